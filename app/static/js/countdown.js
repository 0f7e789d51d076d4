// SLA countdowns that tick without a reload (the queue and the case page).
//
// The server renders each countdown's text and gives, as data- attributes, what it knew then:
// data-now (its clock), data-due, data-warn, data-remaining (seconds of counted time left),
// data-level and, for a clock counting working time, data-windows: the working slots ahead
// (outside them the clock does not move). The words come from #sla-words, in the page's
// language. Every 30 s the time left is counted again; nothing else changes on the page.
"use strict";

(function () {
  const TICK_MS = 30000;
  const SYMBOLS = { ok: "●", risk: "▲", late: "■" };
  const LEVELS = ["ok", "risk", "late"];

  // "%(hours)d h %(minutes)02d min" with {hours: 1, minutes: 5} -> "1 h 05 min".
  function format(template, values) {
    return template.replace(/%\((\w+)\)(0?)(\d*)([sd])/g, (match, name, zero, width, kind) => {
      if (!(name in values)) return match;
      let text = String(values[name]);
      if (kind === "d" && zero && width) text = text.padStart(Number(width), "0");
      return text;
    });
  }

  function duration(words, seconds) {
    const minutesAll = Math.floor(Math.abs(Math.trunc(seconds)) / 60);
    const hours = Math.floor(minutesAll / 60);
    const minutes = minutesAll % 60;
    if (hours) return format(words.hours, { hours, minutes });
    return format(words.minutes, { minutes });
  }

  // Seconds of counted time between two instants (ms), inside the working windows only.
  function countedBetween(windows, from, to) {
    if (!windows) return (to - from) / 1000;
    let total = 0;
    windows.forEach(([start, end]) => {
      const a = Math.max(start, from);
      const b = Math.min(end, to);
      if (b > a) total += (b - a) / 1000;
    });
    return total;
  }

  function setUp(element, words, clockOffset) {
    const serverNow = Date.parse(element.dataset.now);
    const remaining0 = Number(element.dataset.remaining);
    const warn = element.dataset.warn ? Date.parse(element.dataset.warn) : null;
    const windows = element.dataset.windows
      ? JSON.parse(element.dataset.windows).map(([s, e]) => [Date.parse(s), Date.parse(e)])
      : null;
    const wasLate = element.dataset.level === "late";
    const text = element.querySelector("[data-sla-text]");
    const symbol = element.querySelector("[data-sla-symbol]");
    if (Number.isNaN(serverNow) || Number.isNaN(remaining0) || !text) return null;

    return function update() {
      // The server's "now", read off the browser's clock (their difference fixed at load).
      const now = Date.now() + clockOffset;
      const remaining = Math.floor(remaining0 - countedBetween(windows, serverNow, now));
      let level = "ok";
      let wording;
      if (remaining < 0) {
        level = "late";
        wording = format(words.late, { time: duration(words, remaining) });
      } else if (wasLate) {
        level = "late";
        wording = words.lateNow;
      } else if (warn !== null && now >= warn) {
        level = "risk";
        wording = format(words.risk, { time: duration(words, remaining) });
      } else {
        wording = format(words.left, { time: duration(words, remaining) });
      }
      if (text.textContent !== wording) text.textContent = wording;
      LEVELS.forEach((name) => element.classList.toggle(`sla-${name}`, name === level));
      if (symbol) symbol.textContent = SYMBOLS[level];
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("sla-words");
    const elements = document.querySelectorAll("[data-countdown]");
    if (!source || !elements.length) return;
    const words = {
      left: source.dataset.left,
      risk: source.dataset.risk,
      late: source.dataset.late,
      lateNow: source.dataset.lateNow,
      hours: source.dataset.hours,
      minutes: source.dataset.minutes,
    };
    if (Object.values(words).some((word) => !word)) return;
    const updates = [];
    elements.forEach((element) => {
      // All countdowns of one page were rendered at about the same server time.
      const offset = Date.parse(element.dataset.now) - Date.now();
      const update = setUp(element, words, offset);
      if (update) updates.push(update);
    });
    if (!updates.length) return;
    window.setInterval(() => updates.forEach((update) => update()), TICK_MS);
  });
})();

// Keyboard shortcuts for the queue and the case page; `?` lists them (#shortcut-help).
//
// Queue: j / k choose the next / previous case, o or Enter opens it, x ticks it, a assigns it
// (or the ticked ones) to me, / searches. Case page: j / k open the next / previous case of the
// queue last seen, a takes the case, c goes to the note box, u goes back to the queue.
// Nothing happens while the user types in a field or holds Ctrl, Alt or Meta.
"use strict";

(function () {
  const STORE = "socialbeat.queue";

  function typing(target) {
    if (!target || !(target instanceof Element)) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable]"));
  }

  function remember(links) {
    try {
      const data = { queue: window.location.pathname + window.location.search, cases: links };
      window.sessionStorage.setItem(STORE, JSON.stringify(data));
    } catch (error) {
      // Private modes may refuse storage; the shortcuts on the queue still work.
    }
  }

  function remembered() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORE) || "null");
    } catch (error) {
      return null;
    }
  }

  function queueShortcuts(table) {
    const rows = Array.from(table.querySelectorAll("tbody tr"));
    const links = rows.map((row) => row.querySelector("a.case-link"));
    remember(links.map((link) => (link ? link.getAttribute("href") : null)).filter(Boolean));
    let current = -1;

    function mark(index) {
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach((row, n) => row.toggleAttribute("data-current", n === current));
    }

    function choose(index) {
      if (!rows.length) return;
      mark(index);
      const link = links[current];
      if (link) link.focus();
      rows[current].scrollIntoView({ block: "nearest" });
    }

    // Follow the focus too (tabbing, clicking in a row), without moving it or scrolling:
    // on a phone a tap on a row's checkbox must land where the finger is.
    table.addEventListener("focusin", (event) => {
      const index = rows.indexOf(event.target.closest("tr"));
      if (index >= 0 && index !== current) mark(index);
    });

    function tickCurrent() {
      const box = current >= 0 ? rows[current].querySelector('input[name="case_ids"]') : null;
      if (!box) return null;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
      return box;
    }

    function assignToMe() {
      const form = document.getElementById("bulk-form");
      const picker = document.getElementById("bulk-assignee");
      const button = form && form.querySelector('button[name="action"][value="assign"]');
      if (!form || !picker || !button) return;
      const ticked = form.querySelectorAll('input[name="case_ids"]:checked').length;
      if (!ticked && !tickCurrent()) return;
      picker.value = "me";
      form.requestSubmit(button);
    }

    return {
      j: () => choose(current + 1),
      k: () => choose(current < 0 ? 0 : current - 1),
      o: () => current >= 0 && links[current] && links[current].click(),
      x: () => tickCurrent(),
      a: assignToMe,
      "/": () => {
        const search = document.getElementById("q");
        if (search) search.focus();
      },
    };
  }

  function caseShortcuts() {
    const saved = remembered();
    const here = window.location.pathname;
    const cases = saved && Array.isArray(saved.cases) ? saved.cases : [];
    const index = cases.indexOf(here);

    function go(step) {
      const target = index >= 0 ? cases[index + step] : null;
      if (target) window.location.assign(target);
    }

    return {
      j: () => go(1),
      k: () => go(-1),
      a: () => {
        const me = document.querySelector(
          'form[action$="/assign"] input[name="assignee_id"][value="me"]',
        );
        if (me) {
          me.form.requestSubmit();
          return;
        }
        // A supervisor picks from the list; a case already mine has nothing to take.
        const picker = document.querySelector('form[action$="/assign"] select');
        if (picker) picker.focus();
      },
      c: () => {
        const note = document.getElementById("comment-body");
        if (note) {
          note.scrollIntoView({ block: "center" });
          note.focus();
        }
      },
      u: () => window.location.assign(saved && saved.queue ? saved.queue : "/cases"),
    };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const help = document.getElementById("shortcut-help");
    const table = document.getElementById("queue-table");
    const onQueue = Boolean(document.getElementById("bulk-form") || table);
    const actions = onQueue ? (table ? queueShortcuts(table) : {}) : caseShortcuts();
    if (onQueue && !table) remember([]);

    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target)) return;
      if (event.key === "?") {
        if (!help) return;
        event.preventDefault();
        if (help.open) help.close();
        else help.showModal();
        return;
      }
      if (help && help.open) return;
      // Enter on a focused link opens it already; "o" does the same for the chosen row.
      const action = actions[event.key];
      if (!action) return;
      event.preventDefault();
      action();
    });
  });
})();

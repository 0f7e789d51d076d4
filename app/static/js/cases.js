// The queue and the case page: selecting cases for a bulk action, and finding a unit to
// transfer to. Both pages work without it: the server does the real work.
"use strict";

// Lower-case, without diacritics (đ -> d): what the server's fold() gives (app/core/text.py).
function fold(text) {
  return text
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/\s+/g, " ")
    .trim();
}

function setUpBulkSelection() {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const rows = Array.from(form.querySelectorAll('input[name="case_ids"]'));
  const pageBox = document.getElementById("select-page");
  const allBox = document.getElementById("select-all-filtered");
  const summary = document.getElementById("bulk-selected");
  const total = allBox ? allBox.closest("label").textContent.trim() : "";

  function refresh() {
    const ticked = rows.filter((box) => box.checked).length;
    if (pageBox) {
      pageBox.checked = rows.length > 0 && ticked === rows.length;
      pageBox.indeterminate = ticked > 0 && ticked < rows.length;
    }
    if (summary) {
      summary.hidden = !(ticked || (allBox && allBox.checked));
      summary.textContent = allBox && allBox.checked ? total : `${ticked} / ${rows.length}`;
    }
  }

  if (pageBox) {
    pageBox.hidden = false;
    pageBox.addEventListener("change", () => {
      rows.forEach((box) => (box.checked = pageBox.checked));
      if (!pageBox.checked && allBox) allBox.checked = false;
      refresh();
    });
  }
  if (allBox) {
    allBox.addEventListener("change", () => {
      // Every case matching the filters, so every case on this page too.
      if (allBox.checked) rows.forEach((box) => (box.checked = true));
      refresh();
    });
  }
  rows.forEach((box) =>
    box.addEventListener("change", () => {
      // Leaving one case out is no longer "all matching".
      if (!box.checked && allBox) allBox.checked = false;
      refresh();
    }),
  );
  refresh();
}

// A search box over a <select>: typing "thu duc" keeps "Thủ Đức" and picks the first match.
function setUpOptionFilters() {
  document.querySelectorAll("input[data-filters]").forEach((input) => {
    const select = document.getElementById(input.dataset.filters);
    if (!select) return;
    const wrapper = input.closest(".field");
    if (wrapper) wrapper.hidden = false;
    const options = Array.from(select.options).map((option) => ({
      option,
      text: fold(`${option.dataset.search || ""} ${option.textContent}`),
    }));
    input.addEventListener("input", () => {
      const words = fold(input.value).split(" ").filter(Boolean);
      let first = null;
      options.forEach(({ option, text }) => {
        const match = words.every((word) => text.includes(word));
        option.hidden = !match;
        option.disabled = !match;
        if (match && !first) first = option;
      });
      // The best match is chosen at once; nothing stays chosen that no longer shows.
      if (first && words.length) first.selected = true;
      else if (!first) select.value = "";
    });
    input.addEventListener("keydown", (event) => {
      // Enter in the search box would submit the form; move to the list instead.
      if (event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpBulkSelection();
  setUpOptionFilters();
});

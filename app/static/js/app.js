// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions marked with data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

// Response templates: choosing one fills the response box (the officer can still edit it).
document.addEventListener("change", (event) => {
  const picker = event.target.closest("select[data-fills]");
  if (!picker || !picker.value) return;
  const target = document.getElementById(picker.dataset.fills);
  if (target) target.value = picker.value;
});

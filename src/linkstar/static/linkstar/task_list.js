/* Task list: tick tasks (or all on the page), count them, and show the fields the chosen bulk
   action needs. Loaded only when the reader may act on tasks. */
(function () {
  "use strict";

  const form = document.getElementById("bulk-form");
  const action = document.getElementById("bulk-action");
  const chooseAll = document.getElementById("choose-all");
  if (!form || !action) return;

  function boxes() { return form.querySelectorAll("input.ls-choose"); }
  function count() {
    document.getElementById("chosen-count").textContent =
      form.querySelectorAll("input.ls-choose:checked").length;
  }
  function show() {
    form.querySelectorAll("[data-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for").split(" ").indexOf(action.value) < 0;
    });
  }

  if (chooseAll) {
    chooseAll.addEventListener("change", function (e) {
      boxes().forEach(function (b) { b.checked = e.target.checked; });
      count();
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.classList.contains("ls-choose")) count();
  });
  action.addEventListener("change", show);
  show();
  count();
})();

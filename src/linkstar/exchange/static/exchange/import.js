/* Import preview: once a column mapping changes, the preview no longer holds, so the import
   button waits until the mapping is checked again (the hint says so, in data-changed-hint). */
(function () {
  "use strict";

  const hint = document.getElementById("import-run-hint");
  document.querySelectorAll("#import-mapping-form select").forEach(function (select) {
    select.addEventListener("change", function () {
      const run = document.getElementById("import-run");
      if (run) run.disabled = true;
      if (hint) hint.textContent = hint.dataset.changedHint;
    });
  });
})();

/* Organization settings pages: the client's entity field, copy a token (app.js asks data-confirm). */
(function () {
  "use strict";

  // The seller entity only matters for the client role: show it when that role is chosen.
  document.addEventListener("change", function (evt) {
    const select = evt.target;
    if (!select.name || !/(^|-)role$/.test(select.name)) return;
    const form = select.closest("form");
    if (!form) return;
    form.querySelectorAll(".ls-client-entity").forEach(function (el) {
      el.classList.toggle("d-none", select.value !== "client");
    });
  });

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("click", function (evt) {
    const button = evt.target.closest("[data-copy-target]");
    if (!button) return;
    const target = document.querySelector(button.dataset.copyTarget);
    if (!target) return;
    const text = (target.value !== undefined ? target.value : target.textContent).trim();
    copyText(text).then(
      function () {
        button.textContent = button.dataset.copiedLabel || "✓";
        button.classList.replace("btn-outline-secondary", "btn-success");
      },
      function () {
        if (target.select) target.select();
        window.LinkStar.showError(button.dataset.copyFailed || "Copy failed; select the text and copy it.");
      }
    );
  });
})();

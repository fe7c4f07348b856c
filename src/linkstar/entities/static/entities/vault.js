/* LinkStar: the reveal dialog of the entity and store-credential pages. A reveal asks for a
   reason, posts it, and shows the value in place for one minute; the server audits it. */
(function () {
  "use strict";
  const SHOW_FOR_MS = 60000;
  const modalEl = document.getElementById("reveal-modal");
  const form = document.getElementById("reveal-form");
  if (!modalEl || !form) { return; }
  const modal = bootstrap.Modal.getOrCreateInstance(modalEl);
  const reason = document.getElementById("reveal-reason");
  const error = document.getElementById("reveal-error");
  let target = null;
  let button = null;

  function clearError() {
    reason.classList.remove("is-invalid");
    error.textContent = "";
  }

  document.addEventListener("click", function (evt) {
    const trigger = evt.target.closest("[data-reveal]");
    if (!trigger) { return; }
    button = trigger;
    target = document.getElementById(trigger.dataset.target);
    form.elements.object_type.value = trigger.dataset.objectType;
    form.elements.object_id.value = trigger.dataset.objectId;
    form.elements.field.value = trigger.dataset.field;
    clearError();
    modal.show();
  });

  modalEl.addEventListener("shown.bs.modal", function () { reason.focus(); });

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    clearError();
    // An empty reason is refused by the server, with its message in the page's language.
    const submit = document.getElementById("reveal-submit");
    submit.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json", "X-CSRFToken": window.LinkStar.csrfToken() },
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      return response.text().then(function (text) { return { ok: response.ok, text: text }; });
    }).then(function (result) {
      submit.disabled = false;
      if (!result.ok) {
        reason.classList.add("is-invalid");
        error.textContent = result.text;
        return;
      }
      const shown = target;
      const masked = shown.dataset.masked;
      shown.textContent = result.text;
      shown.classList.add("ls-revealed", "bg-warning-subtle");
      shown.setAttribute("data-revealed", "true");
      if (button) { button.hidden = true; }
      const hiddenButton = button;
      form.reset();
      modal.hide();
      setTimeout(function () {
        shown.textContent = masked;
        shown.classList.remove("ls-revealed", "bg-warning-subtle");
        shown.removeAttribute("data-revealed");
        if (hiddenButton) { hiddenButton.hidden = false; }
      }, SHOW_FOR_MS);
    }).catch(function () {
      submit.disabled = false;
      window.LinkStar.showError(document.documentElement.lang.startsWith("zh") ? "操作失败，请重试。" : "The action failed; please try again.");
    });
  });
})();

/* LinkStar: the small amount of script every page shares. */
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Show a refused action's reason (server sends it in the page's language).
  function showError(message) {
    let area = document.querySelector(".ls-toast-area");
    if (!area) {
      area = document.createElement("div");
      area.className = "ls-toast-area";
      document.body.appendChild(area);
    }
    const alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible shadow ls-error";
    alert.setAttribute("role", "alert");
    alert.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    alert.appendChild(close);
    area.appendChild(alert);
    setTimeout(function () { alert.remove(); }, 8000);
  }

  document.addEventListener("htmx:responseError", function (evt) {
    const xhr = evt.detail.xhr;
    const text = xhr && xhr.status < 500 ? xhr.responseText : "";
    showError(text || (document.documentElement.lang.startsWith("zh") ? "操作失败，请重试。" : "The action failed; please try again."));
  });

  // Behaviours the templates ask for with data attributes (no inline script or handler: the
  // Content-Security-Policy allows scripts from the app's static files only). Listeners sit on the
  // document, so they also serve the parts htmx swaps in later.

  // data-confirm on a form or on its submit button: ask before sending. Captured on the document,
  // so an htmx form never sees a refused submit.
  document.addEventListener("submit", function (evt) {
    const form = evt.target;
    const submitter = evt.submitter;
    const question = (submitter && submitter.dataset && submitter.dataset.confirm) ||
      (form.dataset && form.dataset.confirm);
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (evt) {
    const el = evt.target;
    if (!el.dataset) return;
    // data-autosubmit on a select: choosing sends its form (a filter, the language).
    if ("autosubmit" in el.dataset && el.form) {
      el.form.submit();
      return;
    }
    // data-select-all="name" on a checkbox: tick or untick every checkbox of that name.
    if (el.dataset.selectAll) {
      document.querySelectorAll('input[type="checkbox"][name="' + el.dataset.selectAll + '"]')
        .forEach(function (box) { box.checked = el.checked; });
      return;
    }
    // data-turn-on="id" on a select: choosing a value ticks the checkbox of that id.
    if (el.dataset.turnOn) {
      const box = document.getElementById(el.dataset.turnOn);
      if (box) box.checked = !!el.value;
    }
  });

  // data-select-on-focus on a read-only field (a new token, a link): focusing or clicking it
  // selects its text for copying.
  function selectText(evt) {
    const el = evt.target;
    if (el.matches && el.matches("[data-select-on-focus]") && el.select) el.select();
  }
  document.addEventListener("focusin", selectText);
  document.addEventListener("click", selectText);

  // data-dismiss-row on a button: remove the table row it sits in.
  document.addEventListener("click", function (evt) {
    const button = evt.target.closest && evt.target.closest("[data-dismiss-row]");
    if (!button) return;
    const row = button.closest("tr");
    if (row) row.remove();
  });

  // Highlight the current section in the navigation.
  document.addEventListener("DOMContentLoaded", function () {
    const section = document.body.dataset.section;
    if (section) {
      const link = document.querySelector('[data-nav="' + section + '"]');
      if (link) { link.classList.add("active"); link.setAttribute("aria-current", "page"); }
    }
  });

  window.LinkStar = { csrfToken: csrfToken, showError: showError };
})();

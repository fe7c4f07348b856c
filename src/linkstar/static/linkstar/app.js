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

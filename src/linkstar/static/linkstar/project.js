/* Project page: the task drawer and the Gantt chart's scroll position. */
(function () {
  "use strict";

  // A task link opens the task in the side drawer (htmx loads it); a modified click (new tab,
  // new window) is left to the browser.
  document.addEventListener("click", function (evt) {
    const link = evt.target.closest && evt.target.closest("a.ls-task-link");
    if (link && (evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.button === 1)) {
      evt.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("htmx:afterSwap", function (evt) {
    const target = evt.detail.target;
    if (!target || target.id !== "task-drawer-body") return;
    const drawer = document.getElementById("task-drawer");
    const source = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    const openLink = document.getElementById("task-drawer-open");
    if (source && source.dataset.drawerUrl && openLink) openLink.href = source.dataset.drawerUrl;
    const title = target.querySelector("#task-title");
    const heading = document.getElementById("task-drawer-title");
    if (title && heading) heading.textContent = title.firstChild ? title.firstChild.textContent.trim() : "";
    bootstrap.Offcanvas.getOrCreateInstance(drawer).show();
  });

  // When the drawer changed a task, the rows behind it may be stale: reload when it closes.
  document.addEventListener("hidden.bs.offcanvas", function (evt) {
    if (evt.target.id === "task-drawer" && evt.target.dataset.changed === "1") {
      window.location.reload();
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    const drawer = document.getElementById("task-drawer");
    const elt = evt.detail.elt;
    if (drawer && elt && drawer.contains(elt) && evt.detail.requestConfig.verb === "post" && evt.detail.successful) {
      drawer.dataset.changed = "1";
    }
  });

  // Start the Gantt chart scrolled so that today's line is in view.
  function scrollGantt() {
    const gantt = document.getElementById("gantt");
    if (!gantt) return;
    const line = gantt.querySelector(".ls-gantt-today line");
    if (!line) return;
    const x = parseFloat(line.getAttribute("x1"));
    if (x > gantt.clientWidth * 0.8) gantt.scrollLeft = x - gantt.clientWidth / 2;
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scrollGantt);
  } else {
    scrollGantt();
  }
})();

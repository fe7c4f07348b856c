/* Project page: the task drawer, the Gantt chart's scroll position, dragging a Gantt bar to a new
   due date (the server previews what moves with it; nothing moves until "move" is clicked), and
   cancelling a reschedule prompt. */
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

  // Drag a bar sideways: whole days, previewed by the server before anything moves.
  let drag = null;
  let dragged = null;
  let swallowClick = false;

  function addDays(iso, days) {
    const d = new Date(iso + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }

  function resetDragged() {
    if (dragged) dragged.removeAttribute("transform");
    dragged = null;
  }

  document.addEventListener("pointerdown", function (evt) {
    const bar = evt.target.closest && evt.target.closest(".ls-gantt-draggable");
    if (!bar || evt.button !== 0) return;
    const dayWidth = parseFloat(bar.ownerSVGElement.dataset.dayWidth || "0");
    if (!dayWidth) return;
    drag = { bar: bar, x0: evt.clientX, dayWidth: dayWidth, days: 0, moved: false };
    evt.preventDefault();
  });
  // A bar is a link: the browser's own drag of a link would cancel ours.
  document.addEventListener("dragstart", function (evt) {
    if (evt.target.closest && evt.target.closest(".ls-gantt-draggable")) evt.preventDefault();
  });
  document.addEventListener("pointermove", function (evt) {
    if (!drag) return;
    const dx = evt.clientX - drag.x0;
    if (Math.abs(dx) > 3) drag.moved = true;
    drag.days = Math.round(dx / drag.dayWidth);
    drag.bar.setAttribute("transform", "translate(" + drag.days * drag.dayWidth + ",0)");
  });
  document.addEventListener("pointerup", function () {
    if (!drag) return;
    const d = drag;
    drag = null;
    swallowClick = d.moved;
    if (!d.moved || d.days === 0) {
      d.bar.removeAttribute("transform");
      return;
    }
    const host = document.getElementById("gantt-reschedule");
    if (!host) return;
    resetDragged();
    dragged = d.bar;
    const url = host.dataset.previewUrl.replace("/tasks/0/", "/tasks/" + d.bar.dataset.taskId + "/") +
      "?due_date=" + addDays(d.bar.dataset.due, d.days);
    fetch(url, { headers: { "HX-Request": "true" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        host.innerHTML = html;
        host.scrollIntoView({ block: "nearest" });
      });
  });
  // The click that ends a drag does not open the task.
  document.addEventListener("click", function (evt) {
    if (swallowClick && evt.target.closest && evt.target.closest(".ls-gantt-bar")) {
      evt.preventDefault();
      evt.stopPropagation();
    }
    swallowClick = false;
  }, true);

  // "Cancel" on a reschedule prompt: the prompt goes (and a dragged bar returns).
  document.addEventListener("click", function (evt) {
    const button = evt.target.closest && evt.target.closest("[data-cancel-reschedule]");
    if (!button) return;
    const row = button.closest("tr.ls-reschedule-row, tr.ls-confirm-row");
    if (row) {
      row.remove();
      return;
    }
    const host = button.closest(".ls-reschedule-host");
    if (host) host.innerHTML = "";
    resetDragged();
  });
})();

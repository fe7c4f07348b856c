/* The draft editor of an SOP template: add, remove and reorder task rows.
   Each row posts a hidden "row" field with its id, so the server reads the tasks in the order
   the rows are shown; nothing else is computed here (the server checks the plan). */
(function () {
  "use strict";

  const tbody = document.getElementById("task-rows");
  const blank = document.getElementById("task-row-template");
  if (!tbody || !blank) { return; }
  let counter = 0;

  function renumber() {
    const rows = tbody.querySelectorAll("tr.ls-task-row");
    rows.forEach(function (row, i) {
      const cell = row.querySelector(".ls-row-number");
      if (cell) { cell.textContent = String(i + 1); }
    });
    const empty = document.getElementById("no-tasks");
    if (empty) { empty.hidden = rows.length > 0; }
    refreshKeys();
  }

  // The keys typed so far, offered when filling "depends on".
  function refreshKeys() {
    const list = document.getElementById("task-keys");
    if (!list) { return; }
    list.replaceChildren();
    tbody.querySelectorAll('input[data-field="key"]').forEach(function (input) {
      const key = input.value.trim();
      if (key) {
        const option = document.createElement("option");
        option.value = key;
        list.appendChild(option);
      }
    });
  }

  function summarise(picker) {
    const codes = Array.from(picker.querySelectorAll("input[type=checkbox]:checked")).map(function (box) {
      return box.value;
    });
    const summary = picker.querySelector(".ls-doc-summary");
    if (summary) {
      summary.textContent = codes.length ? String(codes.length) : "—";
      summary.parentElement.title = codes.join(", ");
    }
  }

  function addRow() {
    counter += 1;
    const rid = "n" + Date.now().toString(36) + counter;
    const html = blank.innerHTML.replace(/__RID__/g, rid);
    tbody.insertAdjacentHTML("beforeend", html);
    const row = tbody.lastElementChild;
    renumber();
    const key = row.querySelector('input[data-field="key"]');
    if (key) { key.focus(); }
    return row;
  }

  document.getElementById("add-task").addEventListener("click", addRow);

  tbody.addEventListener("click", function (event) {
    const button = event.target.closest("[data-row-action]");
    if (!button) { return; }
    const row = button.closest("tr");
    const action = button.dataset.rowAction;
    if (action === "remove") {
      row.remove();
    } else if (action === "up" && row.previousElementSibling) {
      tbody.insertBefore(row, row.previousElementSibling);
    } else if (action === "down" && row.nextElementSibling) {
      tbody.insertBefore(row.nextElementSibling, row);
    }
    renumber();
  });

  tbody.addEventListener("change", function (event) {
    const picker = event.target.closest(".ls-doc-picker");
    if (picker) { summarise(picker); }
    if (event.target.matches('input[data-field="key"]')) { refreshKeys(); }
  });

  // Links of the error summary: bring the row into view and focus its first marked cell.
  document.querySelectorAll("[data-goto-row]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      const row = document.getElementById("row-" + link.dataset.gotoRow);
      if (!row) { return; }
      event.preventDefault();
      row.scrollIntoView({ block: "center" });
      const invalid = row.querySelector(".is-invalid");
      if (invalid) { invalid.focus(); }
    });
  });

  if (window.Sortable) {
    window.Sortable.create(tbody, {
      handle: ".ls-drag",
      animation: 150,
      ghostClass: "ls-sortable-ghost",
      onEnd: renumber,
    });
  }

  // A double click on "save" must not post twice.
  document.getElementById("editor-form").addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () { delete form.dataset.sent; }, 5000);
  });

  document.querySelectorAll(".ls-doc-picker").forEach(summarise);
  renumber();
})();

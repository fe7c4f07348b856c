/* Batch creation wizard: add and remove rows without a round trip, send Excel lines pasted into
   a cell to the server's parser, and ask for a new check once a previewed row is edited.
   Without this script every button still works through the server. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("batch-rows-form");
    if (!form) return;
    const table = document.getElementById("batch-rows");
    const body = table.tBodies[0];
    const rowTemplate = document.getElementById("batch-row-template");
    const createButton = document.getElementById("batch-create");

    function renumber() {
      Array.prototype.forEach.call(body.rows, function (tr, i) {
        const number = tr.querySelector("[data-row-number]");
        if (number) number.textContent = String(i + 1);
        const remove = tr.querySelector("[data-remove-row]");
        if (remove) remove.value = "remove:" + i;
      });
    }

    function addRow() {
      const fragment = rowTemplate.content.cloneNode(true);
      body.appendChild(fragment);
      renumber();
      const tr = body.rows[body.rows.length - 1];
      const first = tr.querySelector("input");
      if (first) first.focus();
      return tr;
    }

    function changed() {
      if (createButton && !createButton.disabled) {
        createButton.disabled = true;
        createButton.title = createButton.dataset.recheck || "";
        const again = document.getElementById("preview-again");
        if (again) again.classList.replace("btn-outline-primary", "btn-primary");
      }
    }

    document.getElementById("add-row").addEventListener("click", function (evt) {
      evt.preventDefault();
      addRow();
      changed();
    });

    body.addEventListener("click", function (evt) {
      const button = evt.target.closest("[data-remove-row]");
      if (!button) return;
      evt.preventDefault();
      button.closest("tr").remove();
      if (!body.rows.length) addRow();
      renumber();
      changed();
    });

    body.addEventListener("input", function (evt) {
      const input = evt.target;
      input.classList.remove("is-invalid");
      const tr = input.closest("tr");
      if (tr) tr.classList.remove("ls-row-ok");
      changed();
    });

    // Lines copied from Excel pasted straight into a cell: let the server parse them.
    body.addEventListener("paste", function (evt) {
      const text = (evt.clipboardData || window.clipboardData).getData("text");
      if (!text || (text.indexOf("\t") === -1 && text.indexOf("\n") === -1)) return;
      evt.preventDefault();
      document.getElementById("paste-area").value = text;
      document.getElementById("paste-submit").click();
    });
  });
})();

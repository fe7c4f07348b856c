/* Kanban: drag a card to another column → POST the move → keep the card (redrawn by the server)
   or put it back where it was and show the server's reason. The server decides every move; the
   columns a card may go to (from the card's data-moves) are only highlighted while dragging. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const board = document.getElementById("kanban");
    if (!board || typeof Sortable === "undefined") return;
    const failed = board.dataset.failed || "The move failed.";

    function column(list) {
      return list.closest(".ls-kanban-col");
    }

    function addToCount(list, delta) {
      const badge = column(list).querySelector("[data-count]");
      if (badge) badge.textContent = String(Math.max(0, parseInt(badge.textContent, 10) + delta));
    }

    // Whitespace left behind by moved cards would keep ":empty" (the "No projects" note) off.
    function tidy(list) {
      Array.prototype.slice.call(list.childNodes).forEach(function (node) {
        if (node.nodeType === Node.TEXT_NODE && !node.textContent.trim()) node.remove();
      });
    }

    function highlight(card) {
      const moves = (card.dataset.moves || "").split(" ").filter(Boolean);
      board.querySelectorAll(".ls-kanban-col").forEach(function (col) {
        const stage = col.dataset.stage;
        if (stage === card.dataset.stage) return;
        col.classList.add(moves.indexOf(stage) === -1 ? "ls-col-refused" : "ls-col-allowed");
      });
    }

    function unhighlight() {
      board.querySelectorAll(".ls-kanban-col").forEach(function (col) {
        col.classList.remove("ls-col-refused", "ls-col-allowed");
      });
    }

    function putBack(evt) {
      const card = evt.item;
      evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
      card.classList.remove("ls-card-busy");
      card.classList.add("ls-card-refused");
      setTimeout(function () { card.classList.remove("ls-card-refused"); }, 700);
    }

    function move(evt) {
      const card = evt.item;
      const target = evt.to.dataset.stage;
      card.classList.add("ls-card-busy");
      fetch(card.dataset.moveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Accept": "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
          "X-CSRFToken": LinkStar.csrfToken(),
        },
        body: new URLSearchParams({ stage: target, version: card.dataset.version }),
      })
        .then(function (response) {
          if (response.ok) return response.json();
          const type = response.headers.get("Content-Type") || "";
          return response.text().then(function (text) {
            throw new Error(type.indexOf("text/plain") === 0 && text ? text : failed);
          });
        })
        .then(function (data) {
          const holder = document.createElement("div");
          holder.innerHTML = data.html.trim();
          const fresh = holder.firstElementChild;
          card.replaceWith(fresh);
          fresh.classList.add("ls-card-moved");
          addToCount(evt.from, -1);
          addToCount(evt.to, 1);
          tidy(evt.from);
          tidy(evt.to);
        })
        .catch(function (error) {
          putBack(evt);
          LinkStar.showError(error && error.message && !(error instanceof TypeError) ? error.message : failed);
        });
    }

    board.querySelectorAll(".ls-kanban-list").forEach(function (list) {
      Sortable.create(list, {
        group: "kanban",
        draggable: ".ls-card",
        filter: ".ls-card-busy",
        animation: 150,
        delay: 200, // on touch screens a short press picks a card up; a swipe scrolls the board
        delayOnTouchOnly: true,
        ghostClass: "ls-card-ghost",
        onStart: function (evt) { highlight(evt.item); },
        onEnd: function (evt) {
          unhighlight();
          if (evt.from !== evt.to) move(evt);
        },
      });
    });
  });
})();

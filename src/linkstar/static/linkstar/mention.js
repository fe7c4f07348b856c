/* @mention autocomplete for comment boxes: <textarea data-mention-source="ID"> where ID is a
   json_script element holding the project team as [{id, name, email, handle}]. Typing "@" and
   a few letters lists the matching team members; Enter/Tab or a click inserts "@handle ". */
(function () {
  "use strict";

  let menu = null;
  let state = null;

  function team(textarea) {
    const source = document.getElementById(textarea.dataset.mentionSource);
    if (!source) return [];
    try { return JSON.parse(source.textContent); } catch (e) { return []; }
  }

  // The "@query" just before the caret, if the caret is in one.
  function currentQuery(textarea) {
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret);
    const at = before.lastIndexOf("@");
    if (at < 0) return null;
    if (at > 0 && /[A-Za-z0-9._%+-]/.test(before[at - 1])) return null; // inside an email address
    const query = before.slice(at + 1);
    if (query.length > 40 || /[\n@]/.test(query)) return null;
    return { at: at, caret: caret, query: query.toLowerCase() };
  }

  function close() {
    if (menu) menu.remove();
    menu = null;
    state = null;
  }

  function highlight(index) {
    if (!menu || !state) return;
    state.active = (index + state.matches.length) % state.matches.length;
    menu.querySelectorAll(".dropdown-item").forEach(function (item, i) {
      item.classList.toggle("active", i === state.active);
      item.setAttribute("aria-selected", i === state.active ? "true" : "false");
    });
  }

  function insert(person) {
    const textarea = state.textarea;
    const found = state.found;
    const text = "@" + person.handle + " ";
    textarea.value = textarea.value.slice(0, found.at) + text + textarea.value.slice(found.caret);
    const position = found.at + text.length;
    textarea.focus();
    textarea.setSelectionRange(position, position);
    close();
  }

  function open(textarea) {
    const found = currentQuery(textarea);
    if (!found) return close();
    const matches = team(textarea).filter(function (p) {
      return (p.name || "").toLowerCase().indexOf(found.query) !== -1 ||
        p.email.toLowerCase().indexOf(found.query) !== -1;
    }).slice(0, 8);
    if (!matches.length) return close();
    if (!menu) {
      menu = document.createElement("ul");
      menu.className = "dropdown-menu show ls-mention-menu shadow-sm";
      menu.setAttribute("role", "listbox");
      menu.style.position = "absolute";
      menu.style.zIndex = 1070;
      textarea.parentElement.appendChild(menu);
    }
    menu.style.top = (textarea.offsetTop + textarea.offsetHeight) + "px";
    menu.style.left = textarea.offsetLeft + "px";
    menu.innerHTML = "";
    matches.forEach(function (person, i) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dropdown-item";
      button.setAttribute("role", "option");
      button.dataset.userId = person.id;
      button.dataset.handle = person.handle;
      const name = document.createElement("span");
      name.textContent = person.name || person.email;
      const email = document.createElement("small");
      email.className = "text-body-secondary ms-2";
      email.textContent = person.email;
      button.appendChild(name);
      button.appendChild(email);
      button.addEventListener("mousedown", function (evt) {
        evt.preventDefault(); // keep the focus in the textarea
        insert(person);
      });
      li.appendChild(button);
      menu.appendChild(li);
    });
    state = { textarea: textarea, found: found, matches: matches, active: 0 };
    highlight(0);
  }

  document.addEventListener("input", function (evt) {
    if (evt.target.matches && evt.target.matches("textarea[data-mention-source]")) open(evt.target);
  });

  document.addEventListener("keydown", function (evt) {
    if (!state || evt.target !== state.textarea) return;
    if (evt.key === "ArrowDown") { evt.preventDefault(); highlight(state.active + 1); }
    else if (evt.key === "ArrowUp") { evt.preventDefault(); highlight(state.active - 1); }
    else if (evt.key === "Enter" || evt.key === "Tab") { evt.preventDefault(); insert(state.matches[state.active]); }
    else if (evt.key === "Escape") { close(); }
  });

  document.addEventListener("click", function (evt) {
    if (menu && !menu.contains(evt.target)) close();
  });
  document.addEventListener("htmx:beforeSwap", close);
})();

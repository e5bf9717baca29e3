/*
 * Question editor: rows of choices, answers, pairs or items added and removed in place.
 * Without JavaScript the editor works with its "Ajouter 3 lignes" submit button and the
 * "Supprimer cette ligne" boxes; with it, "Ajouter une réponse" adds one row from the
 * <template>, focuses it and says so to screen readers, and each row gets a "Retirer" button
 * (which ticks the row's delete box and hides it). No inline script or style (strict CSP).
 */
(function () {
  "use strict";

  function visibleRows(container) {
    return Array.prototype.filter.call(container.querySelectorAll("[data-row]"), function (row) {
      return !row.hidden;
    });
  }

  function renumber(container) {
    visibleRows(container).forEach(function (row, index) {
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
    });
  }

  function announce(status, text) {
    if (!status) { return; }
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function enhanceRow(row, container, status, addButton) {
    var deleteBox = row.querySelector("[data-row-delete] input[type=checkbox]");
    var wrapper = row.querySelector("[data-row-delete]");
    if (!deleteBox || !wrapper || row.querySelector(".qrow-remove")) { return; }
    wrapper.hidden = true;
    var legend = row.querySelector("legend");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small button--secondary qrow-remove";
    button.textContent = "Retirer cette ligne";
    button.addEventListener("click", function () {
      var label = legend ? legend.textContent.replace(/\s+/g, " ").trim() : "";
      deleteBox.checked = true;
      row.hidden = true;
      var radio = row.querySelector("input[type=radio]");
      if (radio) { radio.checked = false; }
      renumber(container);
      announce(status, label + " retirée.");
      var rows = visibleRows(container);
      var next = rows.length ? rows[rows.length - 1].querySelector("input:not([type=hidden]), textarea, select") : null;
      (next || addButton).focus();
    });
    row.appendChild(button);
  }

  function setUp(editor) {
    var container = editor.querySelector("[data-rows]");
    var template = editor.querySelector("template[data-row-template]");
    var addButton = editor.querySelector("[data-add-row]");
    var status = editor.querySelector("[data-rows-status]");
    var prefix = container ? container.getAttribute("data-prefix") : null;
    var total = prefix ? editor.querySelector("input[name='" + prefix + "-TOTAL_FORMS']") : null;
    if (!container || !template || !addButton || !total) { return; }
    Array.prototype.forEach.call(container.querySelectorAll("[data-row]"), function (row) {
      enhanceRow(row, container, status, addButton);
    });
    addButton.type = "button";
    addButton.textContent = addButton.getAttribute("data-label-js") || addButton.textContent;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      if (index >= 50) { announce(status, "50 lignes au plus."); return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index))
        .replace(/__num__/g, String(visibleRows(container).length + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      container.appendChild(row);
      total.value = String(index + 1);
      enhanceRow(row, container, status, addButton);
      renumber(container);
      var legend = row.querySelector("legend");
      announce(status, (legend ? legend.textContent.replace(/\s+/g, " ").trim() : "Ligne") + " ajoutée.");
      var first = row.querySelector("textarea, input:not([type=hidden]):not([type=radio]), select");
      if (first) { first.focus(); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-question-editor]"), setUp);
})();

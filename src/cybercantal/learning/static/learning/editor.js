/*
 * Rich-text editor of the cartable électronique (lessons, course summaries).
 *
 * Progressive enhancement of every <textarea data-richtext>: without JavaScript the page
 * keeps the plain textarea of light HTML, and the server cleans whatever it receives
 * (learning.richtext.clean). With JavaScript:
 *   - a WAI-ARIA toolbar of real <button>s (one tab stop, arrow keys move inside it,
 *     Alt+F10 jumps to it from the text, Échap goes back), each with aria-pressed and
 *     aria-keyshortcuts: bold, italic, heading, sub-heading, bullet list, numbered list,
 *     link, quote;
 *   - a contenteditable region (role="textbox", labelled by the field's label, described
 *     by its help and errors) synced into the hidden textarea on every change and on submit;
 *   - pasting from a word processor keeps only the structure the server allows (paragraphs,
 *     headings, lists, bold/italic, links, tables); styles, classes, comments, Office tags
 *     and images from elsewhere are dropped;
 *   - a "Code HTML" toggle shows the textarea again.
 * No third-party code, no inline script or style (the CSP is strict): CSS classes only.
 */
(function () {
  "use strict";

  var ALLOWED = {
    P: [], BR: [], STRONG: [], EM: [], U: [], S: [], SUB: [], SUP: [], MARK: [], SMALL: [],
    H2: [], H3: [], H4: [], UL: [], OL: ["start"], LI: [], BLOCKQUOTE: [], PRE: [], CODE: [], HR: [],
    A: ["href", "title"], IMG: ["src", "alt", "width", "height"], TABLE: [], CAPTION: [], THEAD: [], TBODY: [],
    TR: [], TH: ["scope", "colspan", "rowspan"], TD: ["colspan", "rowspan"], ABBR: ["title"]
  };
  var RENAME = { B: "STRONG", I: "EM", H1: "H2", H5: "H4", H6: "H4", STRIKE: "S", DEL: "S", INS: "U" };
  var DROP = {
    SCRIPT: 1, STYLE: 1, META: 1, LINK: 1, TITLE: 1, HEAD: 1, IFRAME: 1, OBJECT: 1, EMBED: 1, SVG: 1, MATH: 1,
    TEMPLATE: 1, NOSCRIPT: 1, VIDEO: 1, AUDIO: 1, CANVAS: 1, FORM: 1, INPUT: 1, BUTTON: 1, SELECT: 1, TEXTAREA: 1,
    XML: 1
  };
  var BLOCKS = { P: 1, H2: 1, H3: 1, H4: 1, UL: 1, OL: 1, LI: 1, BLOCKQUOTE: 1, PRE: 1, TABLE: 1, DIV: 1, HR: 1 };
  var isMac = /Mac|iPhone|iPad/.test(navigator.platform || "");

  function safeUrl(value, tag) {
    var url = (value || "").trim();
    if (tag === "IMG") {
      return url.charAt(0) === "/" && url.charAt(1) !== "/" ? url : null;
    }
    return /^(https?:|mailto:)/i.test(url) || (url.charAt(0) === "/" && url.charAt(1) !== "/") || url.charAt(0) === "#"
      ? url : null;
  }

  function hasBlockChild(node) {
    for (var child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 1 && BLOCKS[child.tagName.toUpperCase()]) {
        return true;
      }
    }
    return false;
  }

  function copyClean(source, target) {
    var children = Array.prototype.slice.call(source.childNodes);
    children.forEach(function (node) {
      if (node.nodeType === 3) {
        target.appendChild(document.createTextNode(node.nodeValue));
        return;
      }
      if (node.nodeType !== 1) {
        return; // comments (Word's conditional ones too), processing instructions
      }
      var tag = node.tagName.toUpperCase();
      if (DROP[tag] || tag.indexOf(":") !== -1) {
        return; // Office tags such as <o:p>
      }
      if (tag === "DIV") {
        tag = hasBlockChild(node) ? "" : "P";
      }
      tag = RENAME[tag] || tag;
      if (!tag || !ALLOWED[tag]) {
        copyClean(node, target); // unwrap: keep the text, drop the tag (span, font...)
        return;
      }
      if (tag === "IMG" && !safeUrl(node.getAttribute("src"), "IMG")) {
        return; // an image from another site or pasted data: not in a pupil's page
      }
      var element = document.createElement(tag);
      ALLOWED[tag].forEach(function (name) {
        if (!node.hasAttribute(name)) {
          return;
        }
        var value = node.getAttribute(name);
        if (name === "href" || name === "src") {
          value = safeUrl(value, tag);
        }
        if (value !== null) {
          element.setAttribute(name, value);
        }
      });
      copyClean(node, element);
      if (tag === "P" && !element.firstChild) {
        return; // empty paragraphs from a word processor
      }
      target.appendChild(element);
    });
  }

  /* Clean HTML with an allow-list (parsed inert: DOMParser runs no script, loads no image). */
  function sanitize(html) {
    var parsed = new DOMParser().parseFromString("<body>" + (html || "") + "</body>", "text/html");
    var holder = document.createElement("div");
    copyClean(parsed.body, holder);
    return holder.innerHTML;
  }

  function escapeText(text) {
    var holder = document.createElement("div");
    holder.textContent = text;
    return holder.innerHTML;
  }

  function textToHtml(text) {
    return text.replace(/\r\n?/g, "\n").split(/\n{2,}/).map(function (block) {
      return "<p>" + escapeText(block).replace(/\n/g, "<br>") + "</p>";
    }).join("");
  }

  function make(tag, attributes, text) {
    var element = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      element.setAttribute(name, attributes[name]);
    });
    if (text) {
      element.textContent = text;
    }
    return element;
  }

  var counter = 0;

  function enhance(textarea) {
    counter += 1;
    var id = textarea.id || "richtext-" + counter;
    textarea.id = id;
    var label = document.querySelector('label[for="' + id + '"]');
    if (label && !label.id) {
      label.id = id + "-label";
    }

    var wrapper = make("div", { "class": "rte" });
    var toolbar = make("div", {
      "class": "rte__toolbar",
      role: "toolbar",
      "aria-label": label ? "Mise en forme : " + label.textContent.trim() : "Mise en forme",
      "aria-controls": id + "-editor"
    });
    var area = make("div", {
      id: id + "-editor",
      "class": "rte__area richtext",
      contenteditable: "true",
      role: "textbox",
      "aria-multiline": "true",
      spellcheck: "true",
      lang: document.documentElement.lang || "fr"
    });
    if (label) {
      area.setAttribute("aria-labelledby", label.id);
    }
    ["aria-describedby", "aria-invalid", "aria-required"].forEach(function (name) {
      if (textarea.hasAttribute(name)) {
        area.setAttribute(name, textarea.getAttribute(name));
      }
    });

    var mod = isMac ? "Meta" : "Control";
    var shortcutLabel = isMac ? "Cmd" : "Ctrl";
    var tools = [
      { name: "bold", text: "Gras", keys: mod + "+B", hint: shortcutLabel + "+B" },
      { name: "italic", text: "Italique", keys: mod + "+I", hint: shortcutLabel + "+I" },
      { separator: true },
      { name: "h2", text: "Titre", keys: mod + "+Shift+2", hint: shortcutLabel + "+Maj+2" },
      { name: "h3", text: "Sous-titre", keys: mod + "+Shift+3", hint: shortcutLabel + "+Maj+3" },
      { separator: true },
      { name: "ul", text: "Liste à puces", keys: mod + "+Shift+8", hint: shortcutLabel + "+Maj+8" },
      { name: "ol", text: "Liste numérotée", keys: mod + "+Shift+7", hint: shortcutLabel + "+Maj+7" },
      { separator: true },
      { name: "link", text: "Lien", keys: mod + "+K", hint: shortcutLabel + "+K" },
      { name: "quote", text: "Citation", keys: mod + "+Shift+9", hint: shortcutLabel + "+Maj+9" }
    ];
    var buttons = {};
    var order = [];
    tools.forEach(function (tool) {
      if (tool.separator) {
        toolbar.appendChild(make("span", { "class": "rte__separator", "aria-hidden": "true" }));
        return;
      }
      var button = make("button", {
        type: "button",
        "class": "rte__button",
        "aria-pressed": "false",
        "aria-keyshortcuts": tool.keys,
        title: tool.text + " (" + tool.hint + ")",
        tabindex: order.length ? "-1" : "0",
        "data-tool": tool.name
      }, tool.text);
      buttons[tool.name] = button;
      order.push(button);
      toolbar.appendChild(button);
    });

    var sourceToggle = make("button", {
      type: "button",
      "class": "button button--small button--secondary rte__source-toggle",
      "aria-pressed": "false",
      "aria-controls": id
    }, "Code HTML");

    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.appendChild(toolbar);
    wrapper.appendChild(area);
    wrapper.parentNode.insertBefore(sourceToggle, wrapper.nextSibling);
    wrapper.parentNode.insertBefore(textarea, sourceToggle.nextSibling);
    textarea.hidden = true;
    area.innerHTML = sanitize(textarea.value);

    try {
      document.execCommand("defaultParagraphSeparator", false, "p");
      document.execCommand("styleWithCSS", false, false);
    } catch (error) { /* older browsers: defaults are fine, the server cleans anyway */ }

    // --- selection kept while the focus is on the toolbar or in the link dialog ---
    var savedRange = null;

    function inArea(node) {
      return node && (node === area || area.contains(node));
    }

    function saveSelection() {
      var selection = window.getSelection();
      if (selection.rangeCount && inArea(selection.anchorNode)) {
        savedRange = selection.getRangeAt(0).cloneRange();
      }
    }

    function restoreSelection() {
      area.focus();
      var selection = window.getSelection();
      if (savedRange) {
        selection.removeAllRanges();
        selection.addRange(savedRange);
      } else if (!selection.rangeCount || !inArea(selection.anchorNode)) {
        var range = document.createRange();
        range.selectNodeContents(area);
        range.collapse(false);
        selection.removeAllRanges();
        selection.addRange(range);
      }
    }

    function ancestor(tags) {
      var selection = window.getSelection();
      var node = selection.rangeCount ? selection.anchorNode : null;
      while (node && node !== area) {
        if (node.nodeType === 1 && tags.indexOf(node.tagName) !== -1) {
          return node;
        }
        node = node.parentNode;
      }
      return null;
    }

    function sync() {
      var html = sanitize(area.innerHTML);
      var text = area.textContent.replace(/\s+/g, "");
      textarea.value = text || html.indexOf("<img") !== -1 ? html : "";
    }

    function updateState() {
      var selection = window.getSelection();
      if (!selection.rangeCount || !inArea(selection.anchorNode)) {
        return;
      }
      var state = {
        // A collapsed selection after Ctrl+B has no <strong> yet: ask the browser too.
        bold: !!ancestor(["B", "STRONG"]) || commandState("bold"),
        italic: !!ancestor(["I", "EM"]) || commandState("italic"),
        h2: !!ancestor(["H2"]),
        h3: !!ancestor(["H3"]),
        ul: !!ancestor(["UL"]),
        ol: !!ancestor(["OL"]),
        link: !!ancestor(["A"]),
        quote: !!ancestor(["BLOCKQUOTE"])
      };
      Object.keys(state).forEach(function (name) {
        buttons[name].setAttribute("aria-pressed", state[name] ? "true" : "false");
      });
    }

    function commandState(command) {
      try {
        return document.queryCommandState(command);
      } catch (error) {
        return false;
      }
    }

    function unwrapQuote(quote) {
      var parent = quote.parentNode;
      while (quote.firstChild) {
        var child = quote.firstChild;
        if (child.nodeType === 3 && child.nodeValue.trim()) {
          var paragraph = document.createElement("p");
          paragraph.appendChild(child);
          parent.insertBefore(paragraph, quote);
        } else {
          parent.insertBefore(child, quote);
        }
      }
      parent.removeChild(quote);
    }

    function toggleBlock(tag) {
      var current = ancestor([tag.toUpperCase()]);
      if (tag === "blockquote" && current) {
        unwrapQuote(current);
      } else {
        document.execCommand("formatBlock", false, current ? "<p>" : "<" + tag + ">");
      }
    }

    function run(name) {
      restoreSelection();
      if (name === "link") {
        openLinkDialog();
        return;
      }
      switch (name) {
        case "bold": document.execCommand("bold"); break;
        case "italic": document.execCommand("italic"); break;
        case "h2": toggleBlock("h2"); break;
        case "h3": toggleBlock("h3"); break;
        case "ul": document.execCommand("insertUnorderedList"); break;
        case "ol": document.execCommand("insertOrderedList"); break;
        case "quote": toggleBlock("blockquote"); break;
        default: return;
      }
      saveSelection();
      updateState();
      sync();
    }

    // --- the link dialog ---
    var dialog = null;

    function openLinkDialog() {
      var existing = ancestor(["A"]);
      if (!dialog) {
        dialog = make("dialog", { "class": "rte-dialog", "aria-labelledby": id + "-link-title" });
        var form = make("form", { method: "dialog", novalidate: "novalidate" });
        form.appendChild(make("h2", { id: id + "-link-title" }, "Lien"));
        var fieldLabel = make("label", { "for": id + "-link-url" }, "Adresse du lien (https://…)");
        var input = make("input", {
          id: id + "-link-url", type: "url", inputmode: "url", autocomplete: "off", spellcheck: "false",
          "aria-describedby": id + "-link-error"
        });
        var error = make("p", { id: id + "-link-error", "class": "errorlist", role: "alert" });
        var row = make("div", { "class": "button-row" });
        var ok = make("button", { type: "submit", "class": "button", value: "ok" }, "Valider le lien");
        var remove = make("button", { type: "button", "class": "button button--secondary" }, "Retirer le lien");
        var cancel = make("button", { type: "button", "class": "button button--secondary" }, "Annuler");
        row.appendChild(ok);
        row.appendChild(remove);
        row.appendChild(cancel);
        [fieldLabel, input, error, row].forEach(function (part) { form.appendChild(part); });
        dialog.appendChild(form);
        document.body.appendChild(dialog);
        dialog.input = input;
        dialog.error = error;
        dialog.remove = remove;
        form.addEventListener("submit", function (event) {
          var url = input.value.trim();
          if (!/^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(url)) {
            event.preventDefault();
            error.textContent = "Indiquez une adresse complète qui commence par https:// (ou http://).";
            input.setAttribute("aria-invalid", "true");
            input.focus();
            return;
          }
          event.preventDefault();
          dialog.close();
          restoreSelection();
          var selection = window.getSelection();
          var link = ancestor(["A"]);
          if (link) {
            link.setAttribute("href", url);
          } else if (selection.isCollapsed) {
            document.execCommand("insertHTML", false, '<a href="' + escapeText(url).replace(/"/g, "&quot;") + '">' +
              escapeText(url) + "</a>");
          } else {
            document.execCommand("createLink", false, url);
          }
          saveSelection();
          updateState();
          sync();
        });
        remove.addEventListener("click", function () {
          dialog.close();
          restoreSelection();
          var link = ancestor(["A"]);
          if (link) {
            var range = document.createRange();
            range.selectNodeContents(link);
            var selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            document.execCommand("unlink");
          }
          saveSelection();
          updateState();
          sync();
        });
        cancel.addEventListener("click", function () {
          dialog.close();
          restoreSelection();
        });
        dialog.addEventListener("cancel", function () {
          window.setTimeout(restoreSelection, 0);
        });
      }
      dialog.input.value = existing ? existing.getAttribute("href") || "" : "https://";
      dialog.input.removeAttribute("aria-invalid");
      dialog.error.textContent = "";
      dialog.remove.hidden = !existing;
      if (typeof dialog.showModal === "function") {
        dialog.showModal();
      } else {
        dialog.setAttribute("open", "open");
      }
      dialog.input.focus();
      dialog.input.select();
    }

    // --- toolbar: clicks, roving focus ---
    toolbar.addEventListener("mousedown", function (event) {
      if (event.target.closest(".rte__button")) {
        event.preventDefault(); // keep the selection in the text
      }
    });
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest(".rte__button");
      if (button) {
        focusTool(order.indexOf(button), false);
        run(button.getAttribute("data-tool"));
      }
    });

    function focusTool(index, move) {
      order.forEach(function (button, position) {
        button.setAttribute("tabindex", position === index ? "0" : "-1");
      });
      if (move) {
        order[index].focus();
      }
    }

    toolbar.addEventListener("keydown", function (event) {
      var index = order.indexOf(document.activeElement);
      if (index === -1) {
        return;
      }
      var next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") {
        next = (index + 1) % order.length;
      } else if (event.key === "ArrowLeft" || event.key === "ArrowUp") {
        next = (index - 1 + order.length) % order.length;
      } else if (event.key === "Home") {
        next = 0;
      } else if (event.key === "End") {
        next = order.length - 1;
      } else if (event.key === "Escape") {
        event.preventDefault();
        restoreSelection();
        return;
      }
      if (next !== null) {
        event.preventDefault();
        focusTool(next, true);
      }
    });

    // --- the text: shortcuts, paste, sync ---
    var SHORTCUTS = { b: "bold", i: "italic", k: "link" };
    var SHIFTED = { Digit2: "h2", Digit3: "h3", Digit8: "ul", Digit7: "ol", Digit9: "quote" };

    area.addEventListener("keydown", function (event) {
      if (event.altKey && event.key === "F10") {
        event.preventDefault();
        saveSelection();
        var current = order.filter(function (button) { return button.getAttribute("tabindex") === "0"; })[0];
        (current || order[0]).focus();
        return;
      }
      var modifier = isMac ? event.metaKey : event.ctrlKey;
      if (!modifier || event.altKey) {
        return;
      }
      var tool = event.shiftKey ? SHIFTED[event.code] : SHORTCUTS[(event.key || "").toLowerCase()];
      if (tool) {
        event.preventDefault();
        saveSelection();
        run(tool);
      }
    });

    area.addEventListener("paste", function (event) {
      var data = event.clipboardData;
      if (!data) {
        return;
      }
      event.preventDefault();
      var html = data.getData("text/html");
      var clean = html ? sanitize(html) : textToHtml(data.getData("text/plain") || "");
      if (clean) {
        document.execCommand("insertHTML", false, clean);
      }
      sync();
    });

    area.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files && event.dataTransfer.files.length) {
        event.preventDefault(); // files go through "Déposer un fichier", not into the text
      }
    });

    area.addEventListener("input", sync);
    area.addEventListener("keyup", function () { saveSelection(); updateState(); });
    area.addEventListener("mouseup", function () { saveSelection(); updateState(); });
    area.addEventListener("focus", updateState);
    document.addEventListener("selectionchange", function () {
      var selection = window.getSelection();
      if (selection.rangeCount && inArea(selection.anchorNode)) {
        saveSelection();
        updateState();
      }
    });

    if (label) {
      label.addEventListener("click", function (event) {
        if (!textarea.hidden) {
          return;
        }
        event.preventDefault();
        area.focus();
      });
    }

    // --- the HTML source, for those who want it ---
    sourceToggle.addEventListener("click", function () {
      var showSource = textarea.hidden;
      if (showSource) {
        sync();
        textarea.hidden = false;
        wrapper.hidden = true;
        sourceToggle.textContent = "Revenir à la mise en forme";
        sourceToggle.setAttribute("aria-pressed", "true");
        textarea.focus();
      } else {
        area.innerHTML = sanitize(textarea.value);
        textarea.hidden = true;
        wrapper.hidden = false;
        sourceToggle.textContent = "Code HTML";
        sourceToggle.setAttribute("aria-pressed", "false");
        sync();
        area.focus();
      }
    });

    var form = textarea.form;
    if (form) {
      form.addEventListener("submit", function () {
        if (textarea.hidden) {
          sync();
        }
      });
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-richtext]"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  window.cyberCantalRichText = { sanitize: sanitize };
})();

// Attempts: every answer is saved as soon as it is given, and never lost.
//
// - A change (radio, checkbox, select) is sent at once; typing is sent after a pause and when
//   the field is left. "Réponse enregistrée à 10 h 42" is said in an aria-live region.
// - Before sending, the answer is kept in localStorage under "cc-attempt:<attempt>:<slot>"
//   (the attempt number and the form fields, nothing else); it is removed once the server
//   has confirmed. Without network the page says so, keeps the answer, retries every few
//   seconds and when the browser is back online; the next attempt page sends what is left.
// - Ordering: "Monter" / "Descendre" buttons move an item and announce its new position;
//   the "Position" selects work too (and alone, without this script).
// - Essay: a live word count. Time limit: a countdown (the server decides when time is up).
// Without this script every page works with plain forms.
(function () {
  "use strict";

  var PREFIX = "cc-attempt:";
  var RETRY_MS = 5000;
  var DEBOUNCE_MS = 1000;
  var OFFLINE_TEXT = "Hors ligne : vos réponses sont gardées sur cet appareil et seront envoyées dès le retour de la connexion.";
  var SESSION_TEXT = "Votre session a expiré : reconnectez-vous. Vos réponses sont gardées sur cet appareil.";

  var root = document.querySelector(".attempt[data-attempt]");
  if (!root) return;
  var attemptId = root.getAttribute("data-attempt");
  var status = document.querySelector("[data-save-status]");
  var form = document.querySelector("[data-attempt-form]");
  var submitForm = document.querySelector("[data-submit-form]");
  var retryTimer = null;
  var sending = {};

  // --- storage (localStorage may be missing or full: then we simply send) ---------------
  function storage() {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "test", "1");
      s.removeItem(PREFIX + "test");
      return s;
    } catch (e) {
      return null;
    }
  }
  var store = storage();

  function keyFor(slot) { return PREFIX + attemptId + ":" + slot; }

  function pendingKeys() {
    var keys = [];
    if (!store) return keys;
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX + attemptId + ":") === 0) keys.push(key);
    }
    return keys;
  }

  function readPending(key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  // --- sending -----------------------------------------------------------------------------
  function fieldsOf(formElement, submitter) {
    var data = submitter ? new FormData(formElement, submitter) : new FormData(formElement);
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value === "string" && (submitter || name !== "go")) fields.push([name, value]);
    });
    return fields;
  }

  function post(url, fields) {
    var body = new URLSearchParams();
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 0) {
        throw { session: true };
      }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        throw { network: true };
      }
      return response.json().then(function (json) {
        if (response.status >= 500) throw { network: true };
        return json;
      });
    });
  }

  function markNav(slot, json) {
    var item = document.querySelector("[data-nav-slot='" + slot + "']");
    if (!item || !json.nav_label) return;
    var label = item.querySelector("[data-nav-label]");
    if (label) label.textContent = json.nav_label;
    var mark = item.querySelector(".attempt-nav__mark");
    if (mark && !item.classList.contains("attempt-nav__item--read")) mark.textContent = json.answered ? "✓" : "○";
    item.classList.toggle("attempt-nav__item--answered", !!json.answered);
    item.classList.toggle("attempt-nav__item--empty", !json.answered);
  }

  function scheduleRetry() {
    if (retryTimer) return;
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      flush();
    }, RETRY_MS);
  }

  // Send one stored answer; resolves with the server's JSON, or rejects (kept for later).
  function sendKey(key) {
    var entry = readPending(key);
    if (!entry || !entry.url) {
      if (store) store.removeItem(key);
      return Promise.resolve(null);
    }
    if (sending[key]) return sending[key];
    var promise = post(entry.url, entry.fields).then(function (json) {
      var now = readPending(key);
      // Remove it only if nothing newer was stored meanwhile.
      if (store && now && now.t === entry.t) store.removeItem(key);
      if (json && json.ok) {
        markNav(entry.slot, json);
        say(json.message);
      } else if (json) {
        say(json.message);
        if (json.code === "expired" || json.code === "submitted") {
          window.setTimeout(function () { window.location.assign(json.url); }, 4000);
        }
      }
      return json;
    }, function (error) {
      say(error && error.session ? SESSION_TEXT : OFFLINE_TEXT);
      scheduleRetry();
      throw error;
    });
    sending[key] = promise;
    var done = function () { delete sending[key]; };
    promise.then(done, done);
    return promise;
  }

  function flush() {
    var keys = pendingKeys();
    return Promise.all(keys.map(function (key) {
      return sendKey(key).catch(function () { return "failed"; });
    })).then(function (results) {
      return results.indexOf("failed") === -1;
    });
  }

  function remember(url, slot, fields) {
    var entry = { url: url, slot: slot, fields: fields, t: Date.now() };
    if (store) {
      try { store.setItem(keyFor(slot), JSON.stringify(entry)); } catch (e) { /* full: send anyway */ }
    }
    return entry;
  }

  // --- the question form -----------------------------------------------------------------
  if (form) {
    var slot = form.getAttribute("data-slot");
    var url = form.getAttribute("action");
    var locked = form.getAttribute("data-locked") === "true";
    var debounce = null;
    var dirty = false;

    // An answer given here but not yet sent (offline, page closed): put it back.
    var stored = store ? readPending(keyFor(slot)) : null;
    if (stored && stored.fields && !locked) restore(stored.fields);

    var saveNow = function () {
      if (locked) return Promise.resolve(null);
      window.clearTimeout(debounce);
      dirty = false;
      remember(url, slot, fieldsOf(form));
      if (!navigator.onLine) {
        say(OFFLINE_TEXT);
        scheduleRetry();
        return Promise.reject({ network: true });
      }
      return sendKey(keyFor(slot));
    };

    form.addEventListener("change", function () { saveNow().catch(function () {}); });
    form.addEventListener("input", function (event) {
      if (!event.target.hasAttribute("data-debounce")) return;
      dirty = true;
      if (store) remember(url, slot, fieldsOf(form));
      window.clearTimeout(debounce);
      debounce = window.setTimeout(function () { saveNow().catch(function () {}); }, DEBOUNCE_MS);
    });
    form.addEventListener("focusout", function (event) {
      if (dirty && event.target.hasAttribute("data-debounce")) saveNow().catch(function () {});
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submitter = event.submitter || null;
      window.clearTimeout(debounce);
      var fields = fieldsOf(form, submitter);
      if (!locked) remember(url, slot, fields.filter(function (pair) { return pair[0] !== "go"; }));
      say("Enregistrement…");
      post(url, fields).then(function (json) {
        var now = store ? readPending(keyFor(slot)) : null;
        if (store && now) store.removeItem(keyFor(slot));
        if (json.ok || json.url) {
          window.location.assign(json.url);
        } else {
          say(json.message);
        }
      }, function (error) {
        say(error && error.session ? SESSION_TEXT : OFFLINE_TEXT);
        scheduleRetry();
      });
    });
  }

  function restore(fields) {
    var values = {};
    fields.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || name === "csrfmiddlewaretoken" || name === "go" || element.type === "hidden") return;
      var given = values[name] || [];
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = given.indexOf(element.value) !== -1;
      } else if (given.length) {
        element.value = given[0];
      } else if (element.tagName === "TEXTAREA" || element.type === "text") {
        element.value = "";
      }
    });
    var list = form.querySelector("[data-ordering]");
    if (list) sortByPositions(list);
  }

  // --- ordering ----------------------------------------------------------------------------
  function itemsOf(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[data-ordering-item]"));
  }

  function renumber(list) {
    var items = itemsOf(list);
    items.forEach(function (item, index) {
      var position = String(index + 1);
      item.querySelector("[data-ordering-position]").value = position;
      item.querySelector("[data-ordering-at]").value = position;
      var up = item.querySelector("[data-ordering-move=up]");
      var down = item.querySelector("[data-ordering-move=down]");
      if (up) up.setAttribute("aria-disabled", index === 0 ? "true" : "false");
      if (down) down.setAttribute("aria-disabled", index === items.length - 1 ? "true" : "false");
    });
  }

  function sortByPositions(list) {
    var items = itemsOf(list);
    items.sort(function (a, b) {
      return Number(a.querySelector("[data-ordering-position]").value) -
        Number(b.querySelector("[data-ordering-position]").value);
    });
    items.forEach(function (item) { list.appendChild(item); });
    renumber(list);
  }

  function announce(list, item) {
    var live = list.parentNode.querySelector("[data-ordering-live]");
    var items = itemsOf(list);
    var text = item.querySelector("[data-ordering-text]").textContent.trim();
    if (live) {
      live.textContent = "« " + text + " » est maintenant en position " + (items.indexOf(item) + 1) +
        " sur " + items.length + ".";
    }
  }

  function moveTo(list, item, index) {
    var items = itemsOf(list).filter(function (other) { return other !== item; });
    index = Math.max(0, Math.min(index, items.length));
    if (index >= items.length) list.appendChild(item);
    else list.insertBefore(item, items[index]);
    renumber(list);
    announce(list, item);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-ordering]"), function (list) {
    var disabled = list.closest("fieldset[disabled]");
    if (!disabled) {
      Array.prototype.forEach.call(list.querySelectorAll("[data-ordering-move]"), function (button) {
        button.hidden = false;
      });
    }
    renumber(list);
    list.addEventListener("change", function (event) {
      var select = event.target.closest("[data-ordering-position]");
      if (!select) return;
      var item = select.closest("[data-ordering-item]");
      moveTo(list, item, Number(select.value) - 1);
      select.focus();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-ordering-move]");
      if (!button || button.getAttribute("aria-disabled") === "true") return;
      var item = button.closest("[data-ordering-item]");
      var index = itemsOf(list).indexOf(item);
      var up = button.getAttribute("data-ordering-move") === "up";
      moveTo(list, item, up ? index - 1 : index + 1);
      var again = item.querySelector("[data-ordering-move=" + (up ? "up" : "down") + "]");
      if (again && again.getAttribute("aria-disabled") === "true") {
        again = item.querySelector("[data-ordering-move=" + (up ? "down" : "up") + "]");
      }
      if (again) again.focus();
      if (form) form.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });

  // --- essay word count --------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-word-count]"), function (area) {
    var output = document.getElementById(area.getAttribute("data-word-count"));
    if (!output) return;
    var timer = null;
    var min = Number(area.getAttribute("data-min-words") || 0);
    var max = Number(area.getAttribute("data-max-words") || 0);
    function update() {
      var words = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
      var text = words + (words > 1 ? " mots" : " mot");
      if (max && words > max) text += " : c’est plus que les " + max + " mots demandés.";
      else if (min && words < min) text += " (au moins " + min + " demandés).";
      output.textContent = text;
    }
    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 400);
    });
  });

  // --- countdown -------------------------------------------------------------------------------
  var timerBox = document.querySelector("[data-timer]");
  if (timerBox) {
    var remaining = Number(timerBox.getAttribute("data-remaining") || 0);
    var started = Date.now();
    var textBox = timerBox.querySelector("[data-timer-text]");
    var liveBox = document.querySelector("[data-timer-live]");
    var announced = {};
    var finished = false;
    var tick = function () {
      var left = Math.max(0, Math.round(remaining - (Date.now() - started) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      var hours = Math.floor(minutes / 60);
      var text;
      if (hours) text = hours + " h " + String(minutes % 60).padStart(2, "0") + " min";
      else if (minutes) text = minutes + " min " + String(seconds).padStart(2, "0") + " s";
      else text = seconds + " s";
      if (textBox) textBox.textContent = left ? text : "temps écoulé";
      [300, 60].forEach(function (limit) {
        if (left <= limit && left > limit - 5 && !announced[limit] && liveBox) {
          announced[limit] = true;
          liveBox.textContent = limit === 300 ? "Plus que 5 minutes." : "Plus qu’une minute.";
        }
      });
      if (!left && !finished) {
        finished = true;
        say("Temps écoulé : l’exercice est rendu avec les réponses enregistrées.");
        // The server allows a few seconds for the last answers; then it hands the attempt in.
        flush().then(function () {
          window.setTimeout(function () {
            window.location.assign(root.getAttribute("data-review-url") || window.location.href);
          }, 16000);
        });
      }
    };
    tick();
    window.setInterval(tick, 1000);
  }

  // --- hand in: never before every answer kept here is sent -------------------------------
  if (submitForm) {
    submitForm.addEventListener("submit", function (event) {
      if (!pendingKeys().length) return;
      event.preventDefault();
      say("Envoi des dernières réponses…");
      flush().then(function (ok) {
        if (ok && !pendingKeys().length) submitForm.submit();
        else say(OFFLINE_TEXT);
      });
    });
  }

  // --- sending what is left: now, when the network comes back, when leaving -----------------
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { if (pendingKeys().length) say(OFFLINE_TEXT); });
  window.addEventListener("pagehide", function () {
    if (!navigator.sendBeacon || !store) return;
    pendingKeys().forEach(function (key) {
      var entry = readPending(key);
      if (!entry) return;
      var body = new URLSearchParams();
      entry.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
      navigator.sendBeacon(entry.url, body);
    });
  });
  if (pendingKeys().length) flush();
})();

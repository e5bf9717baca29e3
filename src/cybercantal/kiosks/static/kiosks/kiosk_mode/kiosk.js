/* Kiosk mode (/borne/<code>/): the idle reset and a history that never grows.
 *
 * - After data-idle-timeout seconds without a touch or a key, the dialog "Vous êtes toujours
 *   là ?" counts down data-warning-seconds; then (or at once with "Terminer") the browser's
 *   storage is cleared and the page is *replaced* by data-reset-url, which flushes the session,
 *   expires the cookies and sends Clear-Site-Data before going back home.
 * - Links and forms of the kiosk replace the current history entry instead of adding one, so
 *   "Back" cannot bring back what the previous person looked at.
 * - The first page of a new kiosk session (data-fresh) clears sessionStorage and localStorage.
 * Loaded as a static file: the Content-Security-Policy forbids inline scripts.
 */
(function () {
  "use strict";

  var body = document.body;

  function clearStorage() {
    try { window.sessionStorage.clear(); } catch (error) { /* storage disabled */ }
    try { window.localStorage.clear(); } catch (error) { /* storage disabled */ }
  }

  function go(url) {
    window.location.replace(url);
  }

  if (body.dataset.fresh === "1") {
    clearStorage();
    try { window.history.replaceState(null, "", window.location.href); } catch (error) { /* ignore */ }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-kiosk-link]") : null;
    if (link) {
      if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return;
      }
      event.preventDefault();
      if (link.dataset.kioskLink === "end") {
        clearStorage();
      }
      go(link.href);
      return;
    }
    var print = event.target.closest ? event.target.closest("[data-kiosk-print]") : null;
    if (print) {
      event.preventDefault();
      window.print();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-kiosk-form]") || !window.fetch) {
      return;
    }
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Kiosk-Fetch": "1" }
    }).then(function (response) {
      var location = response.headers.get("X-Kiosk-Location");
      if (response.status === 204 && location) {
        go(location);
      } else {
        buttons.forEach(function (button) { button.disabled = false; });
        form.submit();
      }
    }).catch(function () {
      buttons.forEach(function (button) { button.disabled = false; });
      form.submit();
    });
  });

  var timeout = parseInt(body.dataset.idleTimeout, 10);
  var resetUrl = body.dataset.resetUrl;
  var dialog = document.getElementById("kiosk-idle");
  if (!timeout || !resetUrl || !dialog) {
    return;
  }
  var counter = document.getElementById("kiosk-idle-count");
  var continueButton = document.getElementById("kiosk-idle-continue");
  var warningSeconds = parseInt(dialog.dataset.warningSeconds, 10) || 20;
  var idleTimer = null;
  var countdownTimer = null;
  var remaining = 0;

  function endSession() {
    clearStorage();
    go(resetUrl);
  }

  function startIdle() {
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(warn, timeout * 1000);
  }

  function tick() {
    remaining -= 1;
    counter.textContent = String(Math.max(remaining, 0));
    if (remaining <= 0) {
      window.clearInterval(countdownTimer);
      endSession();
    }
  }

  function warn() {
    remaining = warningSeconds;
    counter.textContent = String(remaining);
    if (typeof dialog.showModal === "function") {
      dialog.showModal();
    } else {
      dialog.setAttribute("open", "");
    }
    continueButton.focus();
    countdownTimer = window.setInterval(tick, 1000);
  }

  function keepGoing() {
    window.clearInterval(countdownTimer);
    countdownTimer = null;
    if (typeof dialog.close === "function") {
      dialog.close();
    } else {
      dialog.removeAttribute("open");
    }
    startIdle();
  }

  continueButton.addEventListener("click", keepGoing);
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();  // Escape means "I am here"
    keepGoing();
  });
  ["pointerdown", "touchstart", "keydown", "wheel", "scroll"].forEach(function (name) {
    document.addEventListener(name, function () {
      if (countdownTimer === null) {
        startIdle();
      }
    }, { capture: true, passive: true });
  });
  startIdle();
})();

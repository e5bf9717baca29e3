/* Background saving of the dossier's steps (grants, applying part). Our own code, no library.
 *
 * Each form with data-autosave is posted to its own URL a moment after the person stops typing,
 * with the header X-Autosave ("1": save the draft; "preview": compute the aid of the expense
 * being typed, nothing stored). The server answers JSON {saved, version, stale, message,
 * panels}: the polite status region says "Brouillon enregistré à 10 h 42", server-rendered
 * panels (eligibility, aid) are replaced, the page's version is updated. When the dossier was
 * saved elsewhere since the page was displayed (another tab), the server refuses (stale) and
 * the person is told to reload: saving stops, nothing is overwritten.
 * Without JavaScript, the buttons do the same by a plain submit.
 */
(function () {
  "use strict";

  var DELAY_MS = 1200;
  var status = document.getElementById("autosave-status");
  var staleBox = document.getElementById("autosave-stale");
  var stopped = false;

  function say(text) {
    if (status && text) {
      status.textContent = text;
    }
  }

  function showStale(text) {
    stopped = true;
    if (!staleBox) {
      say(text);
      return;
    }
    var paragraph = staleBox.querySelector("[data-stale-text]");
    if (paragraph) {
      paragraph.textContent = text;
    }
    staleBox.hidden = false;
  }

  function setVersion(version) {
    document.querySelectorAll("input[name=version]").forEach(function (input) {
      input.value = String(version);
    });
  }

  function watch(form) {
    var mode = form.getAttribute("data-autosave") || "1";
    var timer = null;
    var inFlight = false;
    var again = false;
    var submitter = null; // the button pressed while a background save was on its way

    function send() {
      if (stopped) {
        return;
      }
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      var data = new FormData(form);
      if (mode === "preview") {
        data.delete("quote"); // files are sent with the button, not while typing
      }
      // Not form.action: a button named "action" in the form would shadow it.
      window.fetch(form.getAttribute("action") || window.location.href, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Autosave": mode }
      }).then(function (response) {
        return response.json();
      }).then(function (answer) {
        var panels = answer.panels || {};
        Object.keys(panels).forEach(function (name) {
          var panel = document.querySelector('[data-panel="' + name + '"]');
          if (panel) {
            panel.innerHTML = panels[name]; // rendered (and escaped) by the server's templates
          }
        });
        if (answer.stale) {
          showStale(answer.message);
          return;
        }
        if (mode !== "preview" && typeof answer.version === "number") {
          setVersion(answer.version);
        }
        say(answer.message);
      }).catch(function () {
        say(status ? status.getAttribute("data-error") : "");
      }).then(function () {
        inFlight = false;
        if (submitter) {
          // Now that the page has the new version, send what the person asked for.
          var button = submitter;
          submitter = null;
          stopped = true;
          if (form.requestSubmit) {
            form.requestSubmit(button === form ? undefined : button);
          } else {
            form.submit();
          }
          return;
        }
        if (again) {
          again = false;
          schedule();
        }
      });
    }

    function schedule() {
      if (stopped) {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(send, DELAY_MS);
    }

    form.addEventListener("input", function (event) {
      if (event.target && event.target.type !== "file") {
        schedule();
      }
    });
    form.addEventListener("change", function (event) {
      if (event.target && event.target.type !== "file") {
        schedule();
      }
    });
    form.addEventListener("submit", function (event) {
      window.clearTimeout(timer);
      if (inFlight) {
        event.preventDefault();
        submitter = event.submitter || form;
        return;
      }
      if (mode !== "preview") {
        stopped = true;
      }
    });
  }

  if (window.fetch && window.FormData) {
    document.querySelectorAll("form[data-autosave]").forEach(watch);
  }
})();

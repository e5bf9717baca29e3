/* Assignment form: buttons that fill the close date ("Demain", "Vendredi", "Dans une semaine").
   Progressive enhancement: without JavaScript the date fields work as they are (and the
   close date defaults to next Friday). */
(function () {
  "use strict";
  function iso(day) {
    var m = String(day.getMonth() + 1).padStart(2, "0");
    var d = String(day.getDate()).padStart(2, "0");
    return day.getFullYear() + "-" + m + "-" + d;
  }
  function shortcut(label, compute, dateInput, timeInput, status) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small button--secondary";
    button.textContent = label;
    button.addEventListener("click", function () {
      var day = compute(new Date());
      dateInput.value = iso(day);
      if (timeInput && !timeInput.value) { timeInput.value = "18:00"; }
      status.textContent = "Fermeture : " + day.toLocaleDateString("fr-FR", { weekday: "long", day: "numeric", month: "long" }) + ".";
    });
    return button;
  }
  document.querySelectorAll("[data-quick-dates]").forEach(function (block) {
    var dateInput = block.querySelector("input[type=date]");
    var timeInput = block.querySelector("input[type=time]");
    if (!dateInput) { return; }
    var row = document.createElement("div");
    row.className = "assignments-quick";
    var status = document.createElement("p");
    status.className = "help";
    status.setAttribute("role", "status");
    row.appendChild(shortcut("Demain", function (d) { d.setDate(d.getDate() + 1); return d; }, dateInput, timeInput, status));
    row.appendChild(shortcut("Vendredi", function (d) {
      var add = (5 - d.getDay() + 7) % 7;
      d.setDate(d.getDate() + add); return d;
    }, dateInput, timeInput, status));
    row.appendChild(shortcut("Dans une semaine", function (d) { d.setDate(d.getDate() + 7); return d; }, dateInput, timeInput, status));
    block.after(row);
    row.after(status);
  });
})();

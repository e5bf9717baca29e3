// Recurring booking form: show only the fields that matter for the chosen resource (a
// half-day for a seat pool, times for an office or a room) and for the chosen end. Without
// this script every field is shown and the server checks what is needed.
(function () {
  "use strict";
  var form = document.getElementById("series-form");
  if (!form) return;
  var kinds = {};
  try { kinds = JSON.parse(form.getAttribute("data-kinds") || "{}"); } catch (e) { kinds = {}; }
  var resource = form.querySelector("[name=resource]");

  function show(el, visible) {
    el.hidden = !visible;
    el.style.display = visible ? "" : "none";
  }

  function update() {
    var kind = resource ? kinds[resource.value] : undefined;
    form.querySelectorAll("[data-series-kind]").forEach(function (el) {
      var wanted = el.getAttribute("data-series-kind");
      show(el, !kind || (wanted === "seat_pool") === (kind === "seat_pool"));
    });
    var end = form.querySelector("[name=end]:checked");
    form.querySelectorAll("[data-series-end]").forEach(function (el) {
      var hasError = el.querySelector(".errorlist");
      show(el, hasError || !end || end.value === el.getAttribute("data-series-end"));
    });
  }

  form.addEventListener("change", update);
  update();
})();

// Part "booking": on the booking form, show only the fields that matter for the resource
// chosen (a half-day for a seat pool, hours for an office or a room). Without JavaScript,
// both groups stay visible with their legends.
(function () {
  "use strict";
  var select = document.getElementById("id_ressource");
  if (!select) {
    return;
  }
  var groups = document.querySelectorAll("[data-for-kind]");

  function update() {
    var option = select.options[select.selectedIndex];
    var kind = option ? option.getAttribute("data-kind") : "";
    var pool = kind === "seat_pool";
    groups.forEach(function (group) {
      var wanted = group.getAttribute("data-for-kind") === "pool" ? pool : !pool;
      group.hidden = kind ? !wanted : false;
    });
  }

  select.addEventListener("change", update);
  update();
})();

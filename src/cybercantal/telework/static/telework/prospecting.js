// Part "prospecting": on a company's page, the stage move form shows the reason fields only
// for « Perdue » and the agreement field only for « Accord pilote » / « Salariés installés ».
// Without JavaScript every field stays visible, with its legend saying when it applies.
(function () {
  "use strict";
  document.querySelectorAll("form[data-move-form]").forEach(function (form) {
    var select = form.querySelector("select[name=to_stage]");
    if (!select) return;
    var groups = form.querySelectorAll("[data-when-stage]");
    function update() {
      groups.forEach(function (group) {
        var stages = group.getAttribute("data-when-stage").split(" ");
        var hasError = group.querySelector(".errorlist") !== null;
        group.hidden = stages.indexOf(select.value) === -1 && !hasError;
      });
    }
    select.addEventListener("change", update);
    update();
  });
})();

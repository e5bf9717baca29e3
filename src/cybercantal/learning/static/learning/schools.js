// Part "schools": filter the pupils' checkbox list by name (progressive enhancement: the
// whole list works without JavaScript). Accents and case are ignored.
(function () {
  "use strict";
  var box = document.querySelector("[data-pupil-filter]");
  if (!box) {
    return;
  }
  var input = box.querySelector("input");
  var status = box.querySelector("[role=status]");
  var sections = Array.prototype.slice.call(document.querySelectorAll("[data-pupil-section]"));
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function filter() {
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    sections.forEach(function (section) {
      var visible = 0;
      section.querySelectorAll("li[data-name]").forEach(function (item) {
        var name = fold(item.getAttribute("data-name"));
        var match = words.every(function (word) { return name.indexOf(word) !== -1; });
        // Hidden items stay in the form: their checkbox is still sent.
        item.hidden = !match;
        if (match) { visible += 1; }
      });
      section.hidden = visible === 0;
      shown += visible;
    });
    status.textContent = words.length ? shown + (shown > 1 ? " élèves affichés" : " élève affiché") : "";
  }
  box.hidden = false;
  input.addEventListener("input", filter);
  // Enter in the filter must not send the form.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); }
  });
})();

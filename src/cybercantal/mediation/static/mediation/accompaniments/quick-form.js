/* The quick accompaniment form, progressively enhanced (everything works without it):
   - the "autre" duration field and the followed-person fields show only when asked for;
   - each count of a collective workshop says live how many people it counts against the
     participant total (the server checks the rule anyway). */
(function () {
  "use strict";
  var form = document.querySelector("form.quick-form");
  if (!form) return;

  function reveal(block) {
    var trigger = document.getElementById(block.getAttribute("data-reveal-for"));
    if (!trigger) return;
    var group = trigger.type === "radio" ? form.querySelectorAll('input[name="' + trigger.name + '"]') : [trigger];
    function update() {
      var hasErrors = block.querySelector(".errorlist") !== null;
      block.hidden = !(trigger.checked || hasErrors);
      if (!block.hidden) block.removeAttribute("hidden");
    }
    Array.prototype.forEach.call(group, function (input) { input.addEventListener("change", update); });
    update();
  }
  Array.prototype.forEach.call(form.querySelectorAll("[data-reveal-for]"), reveal);

  var total = form.querySelector('input[name="participants"]');
  var groups = form.querySelectorAll(".count-group");
  function number(input) {
    var value = parseInt(input.value, 10);
    return isNaN(value) || value < 0 ? 0 : value;
  }
  function check() {
    var expected = total ? number(total) : 0;
    Array.prototype.forEach.call(groups, function (group) {
      var sum = 0;
      Array.prototype.forEach.call(group.querySelectorAll("input.count-input"), function (input) { sum += number(input); });
      var out = group.querySelector(".count-total");
      if (!out) return;
      out.hidden = false;
      if (sum === expected) {
        out.textContent = "✓ " + sum + " / " + expected + " : le compte est bon.";
      } else {
        out.textContent = "✗ " + sum + " / " + expected + " : " + (sum < expected ? "il manque " + (expected - sum) : "il y a " + (sum - expected) + " de trop") + ".";
      }
    });
  }
  if (total && groups.length) {
    form.addEventListener("input", check);
    check();
  }
})();

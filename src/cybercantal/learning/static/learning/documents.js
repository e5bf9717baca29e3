/* Part "documents": send the chosen files with a progress bar. Without JavaScript the form
   is sent as it is and the page says what happened; with it, sizes are checked before
   sending (a file that is too heavy is not sent for nothing) and the progress is shown and
   spoken every 10 %. */
(function () {
  "use strict";

  var form = document.querySelector("form.documents-upload");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var input = form.querySelector("input[type=file]");
  var box = form.querySelector(".documents-progress");
  var bar = box ? box.querySelector("progress") : null;
  var status = form.querySelector(".documents-status");
  var button = form.querySelector("button[type=submit]");
  var data = form.dataset;

  function megabytes(bytes) {
    return (bytes / (1024 * 1024)).toLocaleString("fr-FR", { maximumFractionDigits: 1 }) + " Mo";
  }

  function say(lines, isError) {
    status.textContent = "";
    status.setAttribute("role", isError ? "alert" : "status");
    if (lines.length === 1) {
      status.textContent = lines[0];
      return;
    }
    var list = document.createElement("ul");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    status.appendChild(list);
  }

  function seeLink(url) {
    var link = document.createElement("a");
    link.href = url;
    link.textContent = data.msgSee;
    status.appendChild(link);
  }

  form.addEventListener("submit", function (event) {
    var files = input && input.files;
    if (!files || !files.length) {
      return; // the server says a file is needed, next to the field
    }
    var maxFile = parseInt(data.maxFile, 10);
    var free = parseInt(data.free, 10);
    var problems = [];
    var total = 0;
    Array.prototype.forEach.call(files, function (file) {
      total += file.size;
      if (file.size > maxFile) {
        problems.push("« " + file.name + " » : " + data.msgTooBig + " " + megabytes(maxFile) + ".");
      }
    });
    if (!problems.length && total > free) {
      problems.push(data.msgNoRoom + " " + megabytes(total) + " / " + megabytes(free) + ".");
    }
    event.preventDefault();
    if (problems.length) {
      say(problems, true);
      return;
    }
    var request = new XMLHttpRequest();
    var spoken = -1;
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable || !bar) {
        return;
      }
      var percent = Math.round((100 * progress.loaded) / progress.total);
      bar.value = percent;
      bar.textContent = percent + " %";
      if (Math.floor(percent / 10) !== spoken) {
        spoken = Math.floor(percent / 10);
        say([data.msgProgress + " " + percent + " %"], false);
      }
    });
    request.upload.addEventListener("load", function () {
      say([data.msgDone], false);
    });
    request.addEventListener("load", function () {
      var answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = null;
      }
      if (!answer) {
        say([data.msgFailed], true);
        button.disabled = false;
        return;
      }
      if (answer.sent.length && !answer.errors.length) {
        window.location.assign(answer.redirect);
        return;
      }
      say(answer.errors, true);
      if (answer.sent.length) {
        seeLink(answer.redirect);
      }
      button.disabled = false;
      if (box) {
        box.hidden = true;
      }
    });
    request.addEventListener("error", function () {
      say([data.msgFailed], true);
      button.disabled = false;
    });
    if (box) {
      box.hidden = false;
    }
    button.disabled = true;
    request.send(new FormData(form));
  });
})();

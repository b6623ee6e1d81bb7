// Behaviour the templates ask for with data- attributes: the Content Security Policy allows no
// inline script or event handler, so every script is a static file like this one.
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
// Small page helpers; no inline script anywhere, so a strict Content-Security-Policy can forbid it.
(function () {
  "use strict";

  // Long fields: a counter under each, so that reaching maxlength is never silent.
  function addCounter(field) {
    var limit = parseInt(field.getAttribute("maxlength"), 10);
    if (!limit || limit < 150) return; // short fields need none
    var counter = document.createElement("div");
    counter.className = "char-counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var left = limit - field.value.length;
      counter.textContent = field.value.length + " / " + limit + (left <= 0 ? " (limit reached)" : "");
      counter.classList.toggle("near-limit", left < limit / 10);
    }
    field.addEventListener("input", update);
    update();
  }

  // A canned reason fills its form's reason, which stays editable before sending.
  function connectCannedReasons(select) {
    select.addEventListener("change", function () {
      var target = document.getElementById(select.dataset.fills);
      if (target && select.value) {
        target.value = select.value;
        target.dispatchEvent(new Event("input"));
        target.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[maxlength], input[type=text][maxlength]").forEach(addCounter);
    document.querySelectorAll("select.canned-reasons[data-fills]").forEach(connectCannedReasons);
  });
})();
// The signed agreement: sent with a progress bar, and its check followed until the result is in.
(function () {
  "use strict";

  function showErrors(form, errors) {
    var box = form.querySelector(".upload-errors");
    if (box) box.textContent = errors.join(" ");
  }

  // To `url`, loading it again when it is this page with another #fragment (assign alone only scrolls).
  function go(url) {
    var target = new URL(url, window.location.href);
    var here = window.location;
    if (target.origin + target.pathname + target.search === here.origin + here.pathname + here.search) {
      here.hash = target.hash;
      here.reload();
    } else {
      here.assign(target.href);
    }
  }

  // The form is sent by XHR (the only way to see upload progress); the view answers JSON.
  function connectUpload(form) {
    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var limit = input ? parseInt(input.dataset.maxBytes, 10) : 0;
      var total = 0;
      if (input) Array.prototype.forEach.call(input.files, function (file) { total += file.size; });
      event.preventDefault();
      if (limit && total > limit) {
        showErrors(form, [form.dataset.tooLarge]);
        return;
      }
      var bar = form.querySelector(".upload-progress");
      var button = form.querySelector("button[type=submit]");
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (progress) {
        if (bar && progress.lengthComputable) bar.value = Math.round((100 * progress.loaded) / progress.total);
      });
      request.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
        if (answer && answer.redirect) {
          go(answer.redirect);
          return;
        }
        if (button) button.disabled = false;
        if (bar) bar.hidden = true;
        showErrors(form, answer && answer.errors ? answer.errors : [form.dataset.failed]);
      });
      request.addEventListener("error", function () {
        if (button) button.disabled = false;
        if (bar) bar.hidden = true;
        showErrors(form, [form.dataset.failed]);
      });
      showErrors(form, []);
      if (bar) { bar.value = 0; bar.hidden = false; }
      if (button) button.disabled = true;
      request.send(new FormData(form));
    });
  }

  // "Checking…": ask how the check stands, less and less often, and show the page again once it ended.
  function followCheck(box) {
    var delay = 1000;
    var waited = 0;
    function poll() {
      var request = new XMLHttpRequest();
      request.open("GET", box.dataset.uploadCheck);
      request.setRequestHeader("Accept", "application/json");
      request.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (error) { answer = null; }
        if (answer && answer.state && answer.state !== "checking") {
          window.location.reload();
          return;
        }
        next();
      });
      request.addEventListener("error", next);
      request.send();
    }
    function next() {
      waited += delay;
      delay = Math.min(delay * 1.5, 30000);
      if (waited < 30 * 60 * 1000) window.setTimeout(poll, delay); // then the "Check again" link
    }
    window.setTimeout(poll, delay);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload-progress]").forEach(connectUpload);
    document.querySelectorAll("[data-upload-check]").forEach(followCheck);
  });
})();

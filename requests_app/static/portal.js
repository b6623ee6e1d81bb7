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

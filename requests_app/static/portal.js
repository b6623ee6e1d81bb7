// Behaviour the templates ask for with data- attributes: the Content Security Policy allows no
// inline script or event handler, so every script is a static file like this one.
document.addEventListener("submit", function (event) {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

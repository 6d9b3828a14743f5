// A print button: the Content-Security-Policy forbids inline handlers (onclick, javascript:),
// so a page marks its button with data-print and this file, served from the site, wires it.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

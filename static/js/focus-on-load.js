// Moves the focus to what the server marked with data-focus-on-load (the messages, a form's
// error summary): screen readers do not read out a live region that was there at load, but
// they read whatever gets the focus.
(function () {
  "use strict";

  var target = document.querySelector("[data-focus-on-load]");
  if (target) {
    target.focus();
  }

  // A link of the error summary leads to its field, which the browser scrolls to the top of
  // the screen: its label, help and error, above it, went off the screen (on a phone, the whole
  // screen held the field alone). The label is scrolled to the top instead, and the field
  // focused where it then is, as GOV.UK's error summary does. Set, not added: the script may
  // be on the page twice (the messages' and the summary's).
  var links = document.querySelectorAll(".error-summary a[href^='#']");
  Array.prototype.forEach.call(links, function (link) {
    link.onclick = function (event) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      var label = field && field.labels && field.labels[0];
      if (!label) {
        return;
      }
      event.preventDefault();
      label.scrollIntoView();
      field.focus({ preventScroll: true });
    };
  });
})();

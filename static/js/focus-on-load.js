// Moves the focus to what the server marked with data-focus-on-load (the messages, a form's
// error summary): screen readers do not read out a live region that was there at load, but
// they read whatever gets the focus.
(function () {
  "use strict";

  var target = document.querySelector("[data-focus-on-load]");
  if (target) {
    target.focus();
  }
})();

// Moves the focus to what the server marked with data-focus-on-load (the messages, a form's
// error summary): screen readers do not read out a live region that was there at load, but
// they read whatever gets the focus.
//
// A link to a field (an error summary's, "Resume it in the schedule below", "Connect a board")
// had the browser scroll the field to the top of the screen: its label, help and error, above
// it, went off the screen (on a phone, the whole screen held the field alone). The field's
// label is scrolled to the top instead, and the field focused where it then is, as GOV.UK's
// error summary does; a link to anything else, or without JavaScript, does what it did.
(function () {
  "use strict";

  // Whether `id` is a field with a label, now shown under it and focused.
  function showWithItsLabel(id) {
    var field = document.getElementById(id);
    var label = field && field.labels && field.labels[0];
    if (!label) {
      return false;
    }
    label.scrollIntoView();
    field.focus({ preventScroll: true });
    return true;
  }

  // How the page was opened: "navigate" (a link, an address, a form sent), "reload" or
  // "back_forward". Browsers without this entry open it as from a link.
  function navigationType() {
    var entry = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    return entry ? entry.type : "navigate";
  }

  // Whether the page was opened by a link or an address, not gone back or forward to, nor
  // reloaded: there the browser puts back where the page was scrolled to, and the field taking
  // the focus again moved the page away from it (to its top, in Chromium), the focus out of
  // sight.
  function arrivedByALink() {
    return navigationType() === "navigate";
  }

  // The messages or a form's errors are focused where the page is new: gone back or forward
  // to and loaded again (from the browser's cache, which keeps what the page said), they were
  // read out when it was first shown, and taking the focus again moved the page away from
  // where the browser put it back. A page kept whole for Back (the back/forward cache: its
  // pageshow's persisted) runs no script again, and keeps the focus where it was left. A form
  // sent again by a reload is answered anew.
  var target = document.querySelector("[data-focus-on-load]");
  if (target) {
    if (navigationType() !== "back_forward") {
      target.focus();
    }
  } else if (location.hash && arrivedByALink()) {
    // Come from another page's link (the jobs page's "Resume it in the settings"): once the
    // page has loaded, as the browser scrolls to the field until then.
    window.addEventListener("load", function () {
      showWithItsLabel(location.hash.slice(1));
    });
  }

  // Set, not added: the script may be on a page more than once (the messages', a summary's).
  var links = document.querySelectorAll("a[href^='#']");
  Array.prototype.forEach.call(links, function (link) {
    link.onclick = function (event) {
      if (showWithItsLabel(link.getAttribute("href").slice(1))) {
        event.preventDefault();
      }
    };
  });
})();

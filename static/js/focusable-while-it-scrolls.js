// A box the server gave tabindex="0" so that Safari's keyboard can scroll it (the job page's
// "About this role" panel without an Apply link) takes the focus only while it scrolls: it
// scrolls in its own box where the screen is wide and tall enough for it to stay beside the
// description and it is taller than that (public.css), and elsewhere (a phone, a short window,
// a short post) it was a stop of the Tab key with nothing to do there. Looked at again as its
// size, the window's or its content's (a font come late, a larger text) changes. Without
// JavaScript it always takes the focus, as it did.
(function () {
  "use strict";

  function focusableWhileItScrolls(box) {
    function update() {
      if (box.scrollHeight > box.clientHeight) {
        box.tabIndex = 0;
      } else if (document.activeElement !== box) {
        // Not while focused, which would lose the focus: once it has left (focusout).
        box.removeAttribute("tabindex");
      }
    }

    update();
    box.addEventListener("focusout", update);
    if (window.ResizeObserver) {
      var observer = new ResizeObserver(update);
      observer.observe(box);
      Array.prototype.forEach.call(box.children, function (child) {
        observer.observe(child);
      });
    } else {
      window.addEventListener("resize", update);
    }
  }

  document.querySelectorAll("[data-focusable-while-it-scrolls]").forEach(focusableWhileItScrolls);
})();

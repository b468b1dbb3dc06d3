// Back or Forward to a page the browser kept whole (its back/forward cache) shows it as it was
// left: with the filters chosen and typed before they were sent, which the jobs listed under
// them are not filtered by. autocomplete="off" covers a page loaded again, not one restored;
// reset() puts back the values the page was served with.
(function () {
  "use strict";

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form.job-filters").forEach(function (form) {
        form.reset();
      });
    }
  });
})();

// Every POST form of the site sends the CSRF token Django expects now, from its cookie
// (CSRF_COOKIE_NAME, which scripts may read: CSRF_COOKIE_HTTPONLY and CSRF_USE_SESSIONS are
// off), not the one the page was served with. Signing in rotates it, so a page left open while
// its user signed in again (in another tab, after being signed out) sent a token Django
// refuses: saving an org's settings, a new password or address, accepting an invitation,
// signing out, signing in on a sign-in page opened before, led to "This form could not be
// sent", and Refresh now said "could not be sent", until the page was reloaded. Loaded by
// every page of a signed-in user, visitors' pages with a form and Django's admin (base.html).
// Only a page of this site can read the cookie, as only it can read the form; only a form
// sent to this site gets it. Without JavaScript, or without the cookie, a form sends the
// token it was served with, as before.
(function () {
  "use strict";

  var CSRF_COOKIE = "csrftoken";
  var FIELD = "csrfmiddlewaretoken";

  // Read as Django reads the Cookie header (django.http.cookie.parse_cookie), which lists the
  // cookies in the order document.cookie does: the last of that name (another at a longer path,
  // set by something else on this host, comes first), a cookie without "=" having no name, the
  // value as written. Taking the first sent a token Django does not read (a 403); decoding a
  // value that is not a token ("%") threw, and the form was not sent at all.
  function cookieToken() {
    var token = "";
    document.cookie.split(";").forEach(function (cookie) {
      var equals = cookie.indexOf("=");
      if (equals !== -1 && cookie.slice(0, equals).trim() === CSRF_COOKIE) {
        token = cookie.slice(equals + 1).trim();
      }
    });
    return token;
  }

  // A form's own property, as the form has it: a field of the form is also a property of its
  // name, which hides the form's (the settings forms' hidden "action" field, for form.action).
  function formProperty(form, name) {
    return Object.getOwnPropertyDescriptor(HTMLFormElement.prototype, name).get.call(form);
  }

  // Where and how the form is sent: a button's formaction and formmethod override the form's.
  function sentTo(form, submitter) {
    function overridden(attribute) {
      return submitter && submitter.form === form && submitter.hasAttribute(attribute);
    }
    return {
      action: overridden("formaction") ? submitter.formAction : formProperty(form, "action"),
      method: overridden("formmethod") ? submitter.formMethod : formProperty(form, "method"),
    };
  }

  // In the capture phase, before any listener on the form itself: sync-status.js's Refresh now
  // reads the form's fields as this leaves them.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var field = formProperty(form, "elements").namedItem(FIELD);
      if (!(field instanceof HTMLInputElement)) {
        return;
      }
      var sent = sentTo(form, event.submitter);
      if (sent.method !== "post" || new URL(sent.action).origin !== window.location.origin) {
        return;
      }
      var token = cookieToken();
      if (token) {
        field.value = token;
      }
    },
    true
  );
})();

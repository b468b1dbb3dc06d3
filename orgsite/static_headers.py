"""The security headers of /static/ responses, which WhiteNoise answers before the middleware
that gives pages theirs (the Content-Security-Policy, X-Frame-Options) runs."""

from __future__ import annotations

from wsgiref.headers import Headers

from django.conf import settings

# A file opened by its address (an SVG, say) is a document of its own: sandboxed, with no script
# and nothing loaded, and never framed. Pages load static files as stylesheets, scripts and
# images, to which a browser does not apply their own policy, so those work as before.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
)


def static_security_headers_add(headers: Headers, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: WhiteNoise calls it once per file and sends the result
    with the file and its compressed copies, beside their caching headers."""
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS

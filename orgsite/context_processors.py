from django.conf import settings
from django.http import HttpRequest


def site_name(request: HttpRequest) -> dict[str, str]:
    """SITE_NAME for every page. Named as the setting: Django's sign-in and sign-out views pass
    a `site_name` of their own, the request's host."""
    return {"SITE_NAME": settings.SITE_NAME}

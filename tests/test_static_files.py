"""Static files in production: the web process serves what collectstatic gathered."""

from __future__ import annotations

import gzip

import pytest
from django.core.management import call_command


def test_collected_static_files_are_served_compressed_by_the_web_process(
    client, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    stylesheet = (tmp_path / "css" / "site.css").read_bytes()

    response = client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    body = b"".join(response.streaming_content)
    assert (gzip.decompress(body) if response.get("Content-Encoding") else body) == stylesheet
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.django_db
def test_the_favicon_is_served_where_browsers_ask_for_it(client, settings, tmp_path):
    """Pages link it; Django's own error pages do not, and a browser then asks /favicon.ico."""
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)

    redirect = client.get("/favicon.ico")
    icon = client.get(redirect["Location"])
    page = client.get("/")

    assert redirect.status_code == 301
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert f'<link rel="icon" href="{redirect["Location"]}"' in page.content.decode()

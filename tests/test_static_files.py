"""Static files in production: the web process serves what collectstatic gathered."""

from __future__ import annotations

import gzip

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

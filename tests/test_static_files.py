"""Static files in production: the web process serves what collectstatic gathered."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.templatetags.static import static
from django.test import override_settings

from orgsite.storage import uncollected_static_files_warn

# What WhiteNoise sends for a name that carries its content's hash: 315,360,000 s, ten years.
KEPT_FOR_TEN_YEARS = "max-age=315360000, public, immutable"


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """A STATIC_ROOT as collectstatic leaves it, gathered once: the tests here only read it."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


def test_collected_static_files_are_served_compressed_by_the_web_process(
    client, settings, collected
):
    settings.STATIC_ROOT = collected
    stylesheet = (collected / "css" / "site.css").read_bytes()

    response = client.get("/static/css/site.css", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    body = b"".join(response.streaming_content)
    assert (gzip.decompress(body) if response.get("Content-Encoding") else body) == stylesheet
    assert response["Content-Encoding"] == "gzip"


@pytest.mark.django_db
def test_the_favicon_is_served_where_browsers_ask_for_it(client, settings, collected):
    """Pages link it; Django's own error pages do not, and a browser then asks /favicon.ico."""
    settings.STATIC_ROOT = collected

    redirect = client.get("/favicon.ico")
    icon = client.get(redirect["Location"])
    linked = re.search(r'<link rel="icon" href="([^"]+)"', client.get("/").content.decode())[1]

    assert redirect.status_code == 301 and redirect["Location"] == "/static/img/favicon.svg"
    assert icon.status_code == 200 and icon["Content-Type"] == "image/svg+xml"
    assert client.get(linked)["Content-Type"] == "image/svg+xml"


@pytest.mark.django_db
def test_pages_link_static_files_by_content_hash_which_browsers_keep_for_ten_years(
    client, settings, collected
):
    """A deploy that changes a stylesheet changes its name, so no browser keeps the old one."""
    settings.STATIC_ROOT = collected

    page = client.get("/").content.decode()
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)[1]
    response = client.get(stylesheet)

    assert response.status_code == 200
    assert response["Cache-Control"] == KEPT_FOR_TEN_YEARS
    assert b"".join(response.streaming_content) == (collected / "css" / "site.css").read_bytes()


@pytest.mark.django_db
def test_pages_still_link_static_files_before_collectstatic(client, settings, tmp_path):
    """A web process started before collectstatic shows its pages, not an error."""
    settings.STATIC_ROOT = tmp_path

    page = client.get("/")

    assert page.status_code == 200
    assert 'href="/static/css/site.css"' in page.content.decode()


@pytest.mark.django_db
def test_a_name_collectstatic_did_not_gather_is_linked_plain_and_logged(
    settings, collected, caplog
):
    """A typo in a template, or a file added since the last collectstatic: the page still shows."""
    settings.STATIC_ROOT = collected

    with caplog.at_level(logging.WARNING, logger="orgsite.storage"):
        url = static("css/no-such-file.css")

    assert url == "/static/css/no-such-file.css"
    assert "static file not collected name=css/no-such-file.css" in caplog.text


def test_pages_in_tests_link_the_stylesheet_the_checkout_has_now():
    """The live server serves /static/ from the checkout (Django's finders), not STATIC_ROOT."""
    assert static("css/site.css") == "/static/css/site.css"


def test_tests_link_the_checkouts_static_files_whatever_collectstatic_left_in_var(tmp_path):
    """A developer who ran collectstatic, then edited a stylesheet, had the browser tests read
    the stylesheet of then: pages linked the name its manifest hashed."""
    left_by_collectstatic = tmp_path / "static"
    left_by_collectstatic.mkdir()
    (left_by_collectstatic / "staticfiles.json").write_text(
        json.dumps({"paths": {"css/site.css": "css/site.0123456789ab.css"}, "version": "1.1"})
    )
    test = f"{__file__}::test_pages_in_tests_link_the_stylesheet_the_checkout_has_now"
    # Options a developer gives the outer run (-n 4, --lf) are not this one's to take.
    environment = {name: value for name, value in os.environ.items() if name != "PYTEST_ADDOPTS"}

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", test],
        env=environment | {"ORGSITE_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_a_web_process_started_before_collectstatic_says_to_run_it(settings, tmp_path, caplog):
    """Its pages show unstyled, and nothing in the log said why (orgsite/wsgi.py calls it)."""
    settings.DEBUG = False
    settings.STATIC_ROOT = tmp_path

    with caplog.at_level(logging.WARNING, logger="orgsite.storage"):
        uncollected_static_files_warn()

    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert f"static files not collected static_root={tmp_path}: " in caplog.text
    assert "run `manage.py collectstatic`" in caplog.text


def test_a_web_process_with_static_files_collected_or_debugging_says_nothing_of_them(
    settings, collected, tmp_path, caplog
):
    """Debugging, runserver serves static files from where they are written."""
    settings.DEBUG = False
    settings.STATIC_ROOT = collected

    with caplog.at_level(logging.WARNING, logger="orgsite.storage"):
        uncollected_static_files_warn()
        settings.DEBUG = True
        settings.STATIC_ROOT = tmp_path
        uncollected_static_files_warn()

    assert caplog.text == ""


def test_a_web_process_starting_after_collectstatic_warns_of_no_missing_file(
    client, settings, collected, caplog
):
    """WhiteNoise asks which collected files carry a hash when it starts: files with a dot in
    their names (admin/js/jquery.init.js) made it ask for names that never existed (jquery.js),
    and every web process warned of them after each deploy."""
    settings.STATIC_ROOT = collected
    hashed_name = static("admin/js/jquery.init.js")

    with caplog.at_level(logging.WARNING, logger="orgsite.storage"):
        response = client.get(hashed_name)
        plain_response = client.get("/static/admin/js/jquery.init.js")

    assert response["Cache-Control"] == KEPT_FOR_TEN_YEARS
    assert plain_response["Cache-Control"] != KEPT_FOR_TEN_YEARS
    assert caplog.text == ""


def test_a_static_file_opened_by_its_address_can_neither_run_script_nor_be_framed(
    client, settings, collected
):
    """WhiteNoise answers /static/ before the middleware that gives pages their policy, so an SVG
    opened by its address was a document of this site with no policy, that any site could frame.
    Pages load static files as stylesheets, scripts and images, to which a browser does not
    apply their own policy."""
    settings.STATIC_ROOT = collected
    icon = static("img/favicon.svg")

    responses = [
        client.get(icon),
        client.get(icon, headers={"Accept-Encoding": "gzip"}),
        client.get("/static/css/site.css"),
        client.get("/static/admin/js/core.js"),
    ]

    for response in responses:
        assert response.status_code == 200
        policy = {part.strip() for part in response["Content-Security-Policy"].split(";")}
        assert {"default-src 'none'", "sandbox", "frame-ancestors 'none'"} <= policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
    plain, gzipped = responses[:2]
    assert gzipped["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert plain["Cache-Control"] == gzipped["Cache-Control"] == KEPT_FOR_TEN_YEARS
    assert plain["ETag"] and plain["Vary"] == "Accept-Encoding"


def test_a_static_files_304_leaves_a_cache_its_stricter_policy(client, settings, collected):
    """A cache takes a 304's headers for those of the file it keeps (RFC 9111, 4.3.4): the
    policy of pages on it, from middleware answering outside WhiteNoise's 304, would stand in
    for the file's own, an SVG opened by its address then running its script."""
    settings.STATIC_ROOT = collected
    icon = static("img/favicon.svg")
    first = client.get(icon)

    again = client.get(icon, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert "sandbox" in first["Content-Security-Policy"]
    assert again.get("Content-Security-Policy") in (None, first["Content-Security-Policy"])


def test_runserver_leaves_static_files_to_whitenoise_as_production_does():
    """Django's runserver serves /static/ itself, without any middleware: `make run` showed
    static files without the headers production gives them."""
    runserver = load_command_class(get_commands()["runserver"], "runserver")

    options = runserver.create_parser("manage.py", "runserver").parse_args([])

    assert options.use_static_handler is False

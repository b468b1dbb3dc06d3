"""Hostile HTML from Greenhouse never reaches a visitor: the "hostile" board of the fake
Greenhouse (script tags, event handlers, javascript: links, iframes, style attributes, SVG and
MathML tricks, entity-escaped payloads, markup in titles) is synced, then every page, feed, the
sitemap and the JSON are checked."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from jobs.models import Job, SyncRun
from jobs.sync import sync_organization
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db

# Markup that would run, load, phish or restyle if it reached a browser as HTML. (The site's own
# search forms, stylesheets and the filters' script are not in it: they post nowhere and load
# only /static/.)
HOSTILE_MARKUP = (
    "<script", "onerror", "onload", "onclick", "onmouseover", "onfocus", "ontoggle",
    "javascript:", "vbscript:", "data:text/html", "<iframe", "srcdoc", "<svg", "<math",
    "<object", "<embed", 'action="https', 'type="password"', "<style", "style=",
    "<meta http-equiv", "<base", "<img", "<template", "<noscript", "<details", "evil.example",
)  # fmt: skip
JSON_LD_BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
# The one script a visitor's page loads: the job filters', from /static/ (CSP allows no other).
OWN_SCRIPT = '<script src="/static/js/filters-as-served.js" defer></script>'


@pytest.fixture
def hostile_jobs(db, fake_greenhouse) -> list[Job]:
    connection = make_connection("hostile", "hostile", name="Mallory Widgets")
    result = sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    assert result.ok and result.counts.created == 3
    return list(Job.objects.filter(organization__slug="hostile").order_by("greenhouse_id"))


def page_urls(jobs: list[Job]) -> list[str]:
    return [
        "/",
        "/jobs/",
        "/jobs/?q=widget",
        "/jobs/?org=hostile&remote=remote",
        "/orgs/",
        "/orgs/hostile/",
        *(f"/orgs/hostile/jobs/{job.greenhouse_id}/" for job in jobs),
    ]


def assert_no_hostile_markup(text: str, where: str) -> None:
    lowered = text.lower()
    for needle in HOSTILE_MARKUP:
        assert needle.lower() not in lowered, f"{needle!r} in {where}"


def test_no_page_carries_hostile_markup(client, hostile_jobs):
    for url in page_urls(hostile_jobs):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        # Our own JSON-LD blocks are data: checked as such, then set aside.
        for block in JSON_LD_BLOCK.findall(html):
            assert "<" not in block and ">" not in block, url
            assert json.loads(block)["@type"] == "JobPosting"
        assert_no_hostile_markup(JSON_LD_BLOCK.sub("", html).replace(OWN_SCRIPT, ""), url)


def test_closed_pages_carry_no_hostile_markup_either(client, hostile_jobs):
    Job.objects.filter(organization__slug="hostile").update(is_open=False)

    for job in hostile_jobs:
        response = client.get(f"/orgs/hostile/jobs/{job.greenhouse_id}/")
        assert response.status_code == 410
        assert_no_hostile_markup(response.content.decode(), job.title)


def test_markup_in_titles_and_locations_is_shown_as_text(client, hostile_jobs):
    job = next(job for job in hostile_jobs if job.title.startswith("Widget Tester"))

    html = client.get(f"/orgs/hostile/jobs/{job.greenhouse_id}/").content.decode()

    assert (
        '<h1 dir="auto">'
        "Widget Tester &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;</h1>" in html
    )
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt; City" in html
    title = json.loads(JSON_LD_BLOCK.search(html).group(1))["title"]
    assert title == "Widget Tester <b>bold</b> & <script>x</script>"


def test_an_entity_escaped_payload_stays_visible_text(client, hostile_jobs):
    job = next(job for job in hostile_jobs if job.title == "Vector Artist")

    html = client.get(f"/orgs/hostile/jobs/{job.greenhouse_id}/").content.decode()

    assert "Shown as text, not run: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<li><strong>Bold</strong> is fine</li>" in html  # allowed markup survives


def test_feeds_carry_no_hostile_markup_even_once_decoded(client, hostile_jobs):
    for url in ("/jobs/feed/", "/orgs/hostile/feed/"):
        response = client.get(url)
        assert_no_hostile_markup(response.content.decode(), url)
        items = ET.fromstring(response.content).find("channel").findall("item")  # noqa: S314 (our own response)
        assert len(items) == 3
        for item in items:
            # Readers take title and description as HTML: after XML decoding, no markup at all.
            for field in ("title", "description"):
                text = item.findtext(field)
                assert "<" not in text and ">" not in text, (url, field, text)


def test_the_sitemap_and_the_json_carry_no_hostile_markup(client, hostile_jobs):
    for url in ["/sitemap.xml", "/sitemap-organizations.xml", "/sitemap-jobs.xml"]:
        assert_no_hostile_markup(client.get(url).content.decode(), url)

    response = client.get("/orgs/hostile/jobs.json")

    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"  # never sniffed as HTML
    for job in response.json()["jobs"]:
        assert_no_hostile_markup(job["description_html"], f"JSON of {job['title']}")


def test_the_page_renders_only_the_sanitized_html_stored_by_the_sync(client, hostile_jobs):
    job = hostile_jobs[0]
    Job.objects.filter(pk=job.pk).update(description_html="<p>Stored by the sync.</p>")

    html = client.get(f"/orgs/hostile/jobs/{job.greenhouse_id}/").content.decode()

    assert '<div class="job-body"><div><p>Stored by the sync.</p></div></div>' in html

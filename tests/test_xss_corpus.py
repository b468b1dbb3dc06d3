"""An XSS corpus (tests/fixtures/greenhouse/xss-corpus.json: vectors in job content, titles,
locations, departments and offices) synced from the fake Greenhouse: no page, feed, sitemap or
JSON of the site carries executable markup afterwards, for visitors or for the org's admins."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from jobs.models import Job, Membership, SyncRun
from jobs.sync import sync_organization
from tests.support.fake_greenhouse import FIXTURES_DIR
from tests.support.helpers import make_connection, sitemap_entries
from tests.support.markup import executable_markup

pytestmark = pytest.mark.django_db

ORG_NAME = 'XSS "><script>alert(1)</script> Org'
CORPUS = json.loads((FIXTURES_DIR / "xss-corpus.json").read_text(encoding="utf-8"))
POSTS = CORPUS["jobs"]["jobs"]
# Searches echo the query into the page (the search box, "no jobs match ...").
HOSTILE_SEARCHES = ("alert", "<script>alert(1)</script>", '" onfocus=alert(1) autofocus x="')
TAG_START = re.compile(r"<[A-Za-z!/?]")
JSON_LD_BLOCK = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.fixture
def xss_jobs(db, fake_greenhouse) -> list[Job]:
    fake_greenhouse.load_fixture("xss-corpus", "xss-corpus")
    connection = make_connection("xss", "xss-corpus", name=ORG_NAME)
    result = sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    assert result.ok, result.error
    # The post whose application link is javascript: is skipped, never stored.
    assert (result.counts.created, result.counts.skipped) == (len(POSTS) - 1, 1)
    return list(Job.objects.filter(organization__slug="xss").order_by("greenhouse_id"))


@pytest.fixture
def xss_admin(db, xss_jobs) -> User:
    user = User.objects.create_user("xavier", "x@xss.example", "correct horse battery")
    Membership.objects.create(
        organization=xss_jobs[0].organization, user=user, role=Membership.Role.ADMIN
    )
    return user


def public_urls(jobs: list[Job]) -> list[str]:
    departments = {d.pk for job in jobs for d in job.departments.all()}
    offices = {o.pk for job in jobs for o in job.offices.all()}
    return [
        "/",
        "/jobs/",
        *(f"/jobs/?q={quote(query)}" for query in HOSTILE_SEARCHES),
        "/jobs/?org=xss&remote=remote",
        *(f"/jobs/?department={pk}" for pk in sorted(departments)),
        *(f"/jobs/?office={pk}" for pk in sorted(offices)),
        "/orgs/",
        "/orgs/xss/",
        "/orgs/xss/?page=2",
        *(f"/orgs/xss/jobs/{job.greenhouse_id}/" for job in jobs),
    ]


def admin_urls(jobs: list[Job]) -> list[str]:
    return [
        "/manage/",
        "/manage/xss/jobs/",
        "/manage/xss/settings/",
        "/manage/xss/history/",
        "/manage/xss/members/",
        "/manage/xss/disconnect/",
        *(f"/manage/xss/jobs/{job.pk}/edit/" for job in jobs),
    ]


def vectors_by_field() -> dict[str, int]:
    """How many vectors the corpus holds in each kind of field: the descriptions' numbered
    paragraphs, and the distinct hostile titles, locations, and department and office names."""
    units = {
        text
        for post in POSTS
        for unit in post["departments"] + post["offices"]
        for text in (unit["name"], unit.get("location"))
        if text and "alert" in text
    }
    return {
        "content": sum(post["content"].count("&lt;p&gt;Vector ") for post in POSTS),
        "title": len({post["title"] for post in POSTS if "alert" in post["title"]}),
        "location": len({post["location"]["name"] for post in POSTS}),
        "department or office": len(units),
    }


def test_the_corpus_has_at_least_50_vectors_in_every_kind_of_field():
    counts = vectors_by_field()

    assert counts["content"] >= 50
    assert min(counts.values()) >= 10
    assert sum(counts.values()) >= 90


def test_the_readme_gives_the_corpus_size():
    readme = " ".join((settings.BASE_DIR / "README.md").read_text().split())

    assert f"xss-corpus.json` ({sum(vectors_by_field().values())} vectors)" in readme


def test_no_public_page_carries_executable_markup(client, xss_jobs):
    for url in public_urls(xss_jobs):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert executable_markup(html) == [], url
        for block in JSON_LD_BLOCK.findall(html):
            assert "<" not in block and ">" not in block, url  # cannot end its <script>
            assert json.loads(block)["@type"] == "JobPosting"


def test_closed_job_pages_carry_none_either(client, xss_jobs):
    Job.objects.filter(organization__slug="xss").update(is_open=False)

    for job in xss_jobs:
        response = client.get(f"/orgs/xss/jobs/{job.greenhouse_id}/")
        assert response.status_code == 410
        assert executable_markup(response.content.decode()) == [], job.title


def test_no_admin_page_carries_executable_markup(client, xss_admin, xss_jobs):
    client.force_login(xss_admin)

    for url in admin_urls(xss_jobs):
        response = client.get(url)
        assert response.status_code == 200, url
        assert executable_markup(response.content.decode()) == [], url


def test_titles_locations_and_units_are_shown_as_text(client, xss_jobs):
    job = next(job for job in xss_jobs if job.title == POSTS[0]["title"])

    html = client.get(f"/orgs/xss/jobs/{job.greenhouse_id}/").content.decode()

    assert '<h1 dir="auto">&lt;script&gt;alert(1)&lt;/script&gt; Engineer</h1>' in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # its location, as text


def test_double_escaped_content_stays_visible_text(client, xss_jobs):
    job = next(job for job in xss_jobs if "double-escaped" in job.description_html)

    html = client.get(f"/orgs/xss/jobs/{job.greenhouse_id}/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; (double-escaped)" in html
    assert "&amp;lt;img src=x onerror=alert(1)&amp;gt; (triple-escaped)" in html


def test_feeds_carry_no_markup_even_once_decoded(client, xss_jobs):
    for url in ("/jobs/feed/", "/orgs/xss/feed/"):
        response = client.get(url)
        assert response.status_code == 200
        channel = ET.fromstring(response.content).find("channel")  # noqa: S314 (our own response)
        items = channel.findall("item")
        assert len(items) == len(xss_jobs)
        for item in items:
            # Readers may take these as HTML: after XML decoding, not one tag may start.
            texts = [item.findtext(field) for field in ("title", "description", "link")]
            texts += [category.text for category in item.findall("category")]
            for text in texts:
                assert not TAG_START.search(text), (url, text)
        for field in ("title", "description"):
            assert not TAG_START.search(channel.findtext(field)), url


def test_the_sitemap_lists_only_our_own_urls(client, xss_jobs):
    locations = list(sitemap_entries(client))

    assert len(locations) == len(xss_jobs) + 1
    assert all(re.fullmatch(r"http://testserver/orgs/xss/(jobs/\d+/)?", loc) for loc in locations)


def test_the_json_carries_only_sanitized_html(client, xss_jobs):
    response = client.get("/orgs/xss/jobs.json")

    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"  # never sniffed as HTML
    jobs = response.json()["jobs"]
    assert len(jobs) == len(xss_jobs)
    for job in jobs:
        assert executable_markup(job["description_html"]) == [], job["title"]
        # Titles, locations and units are text in JSON: exactly what Greenhouse sent.
        assert job["title"] in {post["title"].strip() for post in POSTS}

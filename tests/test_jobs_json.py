"""GET /orgs/<slug>/jobs.json: the public JSON list of an org's open jobs."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date

from jobs.models import Job, Organization, SyncRun
from jobs.sync import sync_organization
from tests.support.helpers import make_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced_acme(acme, fake_greenhouse):
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    return acme


def test_it_lists_open_visible_jobs_with_synced_and_site_fields(client, synced_acme):
    hidden, closed, featured = Job.objects.order_by("pk")[:3]
    Job.objects.filter(pk=hidden.pk).update(hidden=True)
    Job.objects.filter(pk=closed.pk).update(is_open=False)
    Job.objects.filter(pk=featured.pk).update(
        featured=True, tags=["robots"], compensation_note="€70k", remote_policy="hybrid"
    )

    response = client.get("/orgs/acme/jobs.json")

    assert response.status_code == 200
    data = response.json()
    ids = [job["id"] for job in data["jobs"]]
    assert hidden.greenhouse_id not in ids and closed.greenhouse_id not in ids
    assert data["count"] == Job.objects.listed().count() == len(ids)
    first = data["jobs"][0]
    assert first["id"] == featured.greenhouse_id and first["featured"] is True
    assert first["tags"] == ["robots"] and first["compensation_note"] == "€70k"
    assert first["remote_policy"] == "hybrid"
    for key in (
        "title", "description_html", "excerpt", "location", "departments", "offices",
        "absolute_url", "updated_at",
    ):  # fmt: skip
        assert key in first
    assert data["organization"]["name"] == "Acme Robotics"


def test_it_lists_only_the_orgs_own_jobs(client, synced_acme, fake_greenhouse):
    """Another org's open jobs, listed by the same query, are not this org's to publish."""
    liberte = make_connection("liberte", "liberte-sante", name="Liberté Santé")
    sync_organization(liberte, trigger=SyncRun.Trigger.COMMAND)

    data = client.get("/orgs/acme/jobs.json").json()

    acme_ids = set(
        Job.objects.listed()
        .filter(organization__slug="acme")
        .values_list("greenhouse_id", flat=True)
    )
    assert Job.objects.listed().exclude(organization__slug="acme").exists()
    assert {job["id"] for job in data["jobs"]} == acme_ids
    assert data["count"] == len(acme_ids)


def test_the_remote_policy_is_the_one_visitors_see_with_where_it_comes_from(client, synced_acme):
    """An API user reproduces /jobs/?remote=: the site's choice, else what Greenhouse says."""
    from_greenhouse, set_here, unspecified = Job.objects.order_by("pk")[:3]
    assert from_greenhouse.greenhouse_remote_policy == Job.RemotePolicy.HYBRID
    Job.objects.filter(pk=set_here.pk).update(remote_policy=Job.RemotePolicy.ONSITE)
    Job.objects.filter(pk=unspecified.pk).update(greenhouse_remote_policy="")

    jobs = {job["id"]: job for job in client.get("/orgs/acme/jobs.json").json()["jobs"]}

    policies = {
        job_id: (job["remote_policy"], job["remote_policy_source"]) for job_id, job in jobs.items()
    }
    assert policies[from_greenhouse.greenhouse_id] == ("hybrid", "greenhouse")
    assert policies[set_here.greenhouse_id] == ("onsite", "site")
    assert policies[unspecified.greenhouse_id] == ("", None)
    for remote in ("onsite", "hybrid", "remote"):
        listed = client.get("/jobs/", {"org": "acme", "remote": remote}).context["page"]
        in_json = {
            jobs[job_id]["title"] for job_id, (policy, _) in policies.items() if policy == remote
        }
        assert in_json == {job.title for job in listed}, remote


def test_it_keeps_non_ascii_text_readable(client, db, fake_greenhouse):
    connection = make_connection("liberte", "liberte-sante")
    sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)

    response = client.get("/orgs/liberte/jobs.json")

    assert response["Content-Type"] == "application/json"
    assert "é".encode() in response.content


def test_an_unknown_org_is_a_404_in_json_that_other_sites_may_read(client, db):
    response = client.get("/orgs/nobody/jobs.json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "No organization has this address."}
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("address", ["acme robotics", "acme.inc", "%FF", "acmé", ""])
def test_an_address_no_slug_can_be_is_the_same_404_in_json(client, db, address):
    """It was the site's HTML 404, which a script on another site could not read (no
    Access-Control-Allow-Origin)."""
    for method in (client.get, client.head):
        response = method(f"/orgs/{address}/jobs.json")

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["X-Robots-Tag"] == "noindex"
    assert client.get(f"/orgs/{address}/jobs.json").json() == {
        "error": "No organization has this address."
    }
    assert client.post(f"/orgs/{address}/jobs.json")["Access-Control-Allow-Origin"] == "*"


def test_a_post_dated_ahead_is_dated_by_the_sync_that_read_it(client, synced_acme):
    """Greenhouse's clock may run up to a day ahead of ours (CLOCK_MARGIN): its dates said
    tomorrow, where the feeds and sitemap said the sync's."""
    job = Job.objects.listed().first()
    synced = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    ahead = synced + timedelta(hours=23)
    Job.objects.filter(pk=job.pk).update(
        synced_at=synced, greenhouse_updated_at=ahead, first_published_at=ahead
    )

    (entry,) = (
        e for e in client.get("/orgs/acme/jobs.json").json()["jobs"] if e["id"] == job.greenhouse_id
    )

    assert datetime.fromisoformat(entry["updated_at"]) == synced
    assert datetime.fromisoformat(entry["first_published"]) == synced


def test_the_query_count_does_not_grow_with_jobs(client, synced_acme, django_assert_num_queries):
    with django_assert_num_queries(4):  # its date (listing_changed) read with the org
        client.get("/orgs/acme/jobs.json")


def test_any_website_may_read_it_from_a_browser_without_cookies(client, synced_acme):
    """An org's own site lists its jobs with fetch(); "*" never carries a visitor's session."""
    for _ in range(2):  # rendered, then from the page cache
        response = client.get("/orgs/acme/jobs.json", headers={"Origin": "https://acme.example"})

        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response


def test_its_address_in_capitals_leads_to_it_in_a_way_other_sites_may_follow(client, synced_acme):
    """A browser follows a cross-site fetch()'s redirect only if the redirect allows the origin:
    without the header, /orgs/ACME/jobs.json was a network error where it had been a 404."""
    response = client.get("/orgs/ACME/jobs.json", headers={"Origin": "https://acme.example"})

    assert (response.status_code, response["Location"]) == (301, "/orgs/acme/jobs.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


def test_it_answers_the_preflight_of_a_script_that_sends_if_none_match(client, synced_acme):
    """If-None-Match is not CORS-safelisted: without the preflight's 204, the browser never
    sends the GET."""
    response = client.options(
        "/orgs/acme/jobs.json",
        headers={
            "Origin": "https://acme.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD"
    assert response["Access-Control-Allow-Headers"] == "If-None-Match, If-Modified-Since"
    assert int(response["Access-Control-Max-Age"]) > 0
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert "Access-Control-Allow-Credentials" not in response


def test_the_preflights_204_and_its_own_304_describe_no_content(client, synced_acme):
    """The 204 said "Content-Type: text/html" and "Content-Length: 0", and the 304 the view
    makes itself (with its CORS headers) the length: RFC 9110 has a server send no
    Content-Length in a 204, and in a 304 only the length of the 200's content."""
    url = "/orgs/acme/jobs.json"
    preflight = client.options(
        url, headers={"Origin": "https://acme.example", "Access-Control-Request-Method": "GET"}
    )
    tagged = {"If-None-Match": client.get(url)["ETag"]}

    for response in (preflight, client.get(url, headers=tagged), client.head(url, headers=tagged)):
        assert response.status_code in (204, 304)
        assert response.content == b""
        assert "Content-Type" not in response
        assert "Content-Length" not in response
    health = client.options("/healthz")  # answered as a GET, with its JSON
    assert health["Content-Type"] == "application/json"
    assert int(health["Content-Length"]) == len(health.content) > 0


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_script_may_read_the_etag_it_sends_back_and_the_304_it_gets(client, synced_acme, method):
    """ConditionalGetMiddleware's own 304 kept none of the view's CORS headers: a script that
    sent If-None-Match saw a network error. A HEAD's 304, made by the site's middleware, kept
    none either, nor X-Robots-Tag."""
    headers = {"Origin": "https://acme.example"}
    first = client.get("/orgs/acme/jobs.json", headers=headers)
    again = getattr(client, method)(
        "/orgs/acme/jobs.json", headers={**headers, "If-None-Match": first["ETag"]}
    )

    assert first["Access-Control-Expose-Headers"] == "ETag"
    assert again.status_code == 304
    assert again["Access-Control-Allow-Origin"] == "*"
    assert again["Access-Control-Expose-Headers"] == "ETag"
    assert again["X-Robots-Tag"] == "noindex"
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("method", ["get", "head"])
def test_it_is_dated_as_the_orgs_feed_and_answers_if_modified_since(client, synced_acme, method):
    """It sent an ETag and no Last-Modified: a client that polls with If-Modified-Since, as
    it does the org's feed, was sent the whole list each time. Its date is the feed's, when
    what visitors are shown of the org last changed; a script may send it back too."""
    an_hour_ago = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    Organization.objects.filter(pk=synced_acme.organization_id).update(
        listing_changed_at=an_hour_ago
    )
    headers = {"Origin": "https://acme.example"}
    first = client.get("/orgs/acme/jobs.json", headers=headers)

    assert parsedate_to_datetime(first["Last-Modified"]) == an_hour_ago
    assert first["Last-Modified"] == client.get("/orgs/acme/feed/")["Last-Modified"]
    for answer in ("rendered", "from the page cache"):
        again = getattr(client, method)(
            "/orgs/acme/jobs.json", headers={**headers, "If-Modified-Since": first["Last-Modified"]}
        )
        assert (again.status_code, again.content) == (304, b""), answer
        assert again["Last-Modified"] == first["Last-Modified"], answer
        assert again["Access-Control-Allow-Origin"] == "*", answer
        assert again["X-Robots-Tag"] == "noindex", answer
        cache.clear()
    earlier = http_date((an_hour_ago - timedelta(seconds=1)).timestamp())
    older = getattr(client, method)("/orgs/acme/jobs.json", headers={"If-Modified-Since": earlier})
    assert older.status_code == 200
    assert older["Last-Modified"] == first["Last-Modified"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_another_method_is_a_405_that_other_sites_may_read(synced_acme, method):
    """A cross-site script sees the 405 itself, not a network error nor the CSRF check's 403."""
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        "/orgs/acme/jobs.json", headers={"Origin": "https://acme.example"}
    )

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Expose-Headers"] == "ETag"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_script_on_another_site_reads_it_then_its_304(live_server, chromium, synced_acme):
    """In Chromium, from another origin (the same server by another name): the ETag and the
    Last-Modified are readable, the preflights for If-None-Match and If-Modified-Since pass and
    the 304s reach the script rather than a network error."""
    other_origin = live_server.url.replace("localhost", "127.0.0.1")
    assert other_origin != live_server.url
    # This site's own policy forbids its pages to fetch() elsewhere; an org's website's would not.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{other_origin}/robots.txt")

    seen = page.evaluate(
        """async (url) => {
            const first = await fetch(url);
            const etag = first.headers.get("ETag");
            const again = await fetch(url, {headers: {"If-None-Match": etag}});
            const since = first.headers.get("Last-Modified");
            const dated = await fetch(url, {headers: {"If-Modified-Since": since}});
            return [
                first.status, (await first.json()).count, etag !== null, again.status,
                dated.status,
            ];
        }""",
        f"{live_server.url}/orgs/acme/jobs.json",
    )
    context.close()

    assert seen == [200, Job.objects.listed().count(), True, 304, 304]


def test_no_other_address_answers_other_sites(client, synced_acme):
    for path in ("/orgs/acme/", "/orgs/acme/feed/", "/jobs/", "/healthz"):
        assert "Access-Control-Allow-Origin" not in client.get(path, follow=True)
        assert "Access-Control-Allow-Origin" not in client.options(path)


@pytest.mark.parametrize("seconds", [0, 300])
def test_browsers_may_keep_it_as_long_as_the_sites_own_cache(
    client, synced_acme, settings, seconds
):
    """Only the site's own cache hears of a sync or an edit at once; a browser or proxy that
    kept the list longer would show what changed since."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = seconds

    response = client.get("/orgs/acme/jobs.json")
    assert response["Cache-Control"] == f"public, max-age={seconds}"


def test_the_404_of_an_unknown_org_is_kept_by_others_no_longer_than_the_sites_other_404s(
    client, synced_acme, settings
):
    """It said public, max-age as a list does, though the site's cache keeps no 404: a proxy
    went on answering "not found" once the org was made. It says nothing, as a page's 404."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300

    for url in ("/orgs/nobody/jobs.json", "/orgs/nobody/", "/orgs/nobody/feed/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Cache-Control" not in response, url


def test_search_engines_are_told_not_to_list_any_of_its_answers(client, synced_acme):
    """It repeats the job pages' text as data for programs: listed beside them, it was a page
    of JSON among the results. Every answer says so, its 304 and redirect too (a crawler
    that followed a link in capitals, or asked again with the ETag it kept)."""
    first = client.get("/orgs/acme/jobs.json")
    answers = {
        "rendered": first,
        "from the page cache": client.get("/orgs/acme/jobs.json"),
        "HEAD": client.head("/orgs/acme/jobs.json"),
        "304": client.get("/orgs/acme/jobs.json", headers={"If-None-Match": first["ETag"]}),
        "redirect": client.get("/orgs/ACME/jobs.json"),
        "404": client.get("/orgs/nobody/jobs.json"),
        "preflight": client.options("/orgs/acme/jobs.json"),
        "405": client.post("/orgs/acme/jobs.json"),
    }

    assert (answers["304"].status_code, answers["redirect"].status_code) == (304, 301)
    assert {name: r.get("X-Robots-Tag") for name, r in answers.items()} == dict.fromkeys(
        answers, "noindex"
    )


def test_the_sites_pages_and_feeds_may_be_listed(client, synced_acme):
    job = Job.objects.listed().first()
    for path in ("/orgs/acme/", job.get_absolute_url(), "/orgs/acme/feed/", "/jobs/"):
        assert "X-Robots-Tag" not in client.get(path), path

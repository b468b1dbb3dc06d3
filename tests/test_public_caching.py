"""Visitor pages are cached briefly, and a sync that changes an org's jobs shows at once."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.cache.backends import locmem
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs import views
from jobs.admin import GreenhouseConnectionAdmin, JobAdmin
from jobs.cache import CachedPage, listing_cache_invalidate, listing_value
from jobs.models import Department, Job, Organization, SyncRun
from jobs.selectors import FilterOptions, UnitOption
from jobs.sync import sync_organization
from orgsite.file_cache import UncompressedFileCache
from tests.support.helpers import make_connection
from tests.support.public_jobs import make_job, make_unit
from tests.support.settings_module import settings_under

pytestmark = pytest.mark.django_db
BASE_DIR = Path(__file__).resolve().parent.parent


def sync(connection):
    connection.refresh_from_db()
    result = sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    assert result.ok, result.error
    return result


def acme_pages() -> list[str]:
    job = Job.objects.get(title="Field Service Technician")
    return [
        "/",
        "/jobs/",
        "/orgs/",
        "/orgs/acme/",
        f"/orgs/acme/jobs/{job.greenhouse_id}/",
        "/jobs/feed/",
        "/orgs/acme/feed/",
        "/sitemap.xml",
        "/sitemap-jobs.xml",
        "/orgs/acme/jobs.json",
    ]


def test_a_second_visit_is_served_from_the_cache_without_queries(
    client, synced_acme, django_assert_num_queries
):
    for url in acme_pages():
        first = client.get(url)
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second.status_code == first.status_code == 200, url
        assert second.content == first.content, url
        assert second["Content-Type"] == first["Content-Type"], url


def test_parameters_no_page_reads_share_the_cached_page(
    client, synced_acme, django_assert_num_queries
):
    """A link from a newsletter or a social site (utm_source, fbclid: one per click)."""
    first = client.get("/jobs/?q=robot&utm_source=newsletter")

    with django_assert_num_queries(0):
        for url in ["/jobs/?fbclid=IwAR1&q=robot", "/jobs/?q=robot", "/jobs/?q=robot&x=1"]:
            assert client.get(url).content == first.content, url
    assert client.get("/jobs/?q=gripper").content != first.content  # what the page reads counts
    # A repeated parameter's order counts too: the page reads the last value.
    assert client.get("/jobs/?q=gripper&q=robot").content == first.content
    assert client.get("/jobs/?q=robot&q=gripper").content != first.content


def test_a_page_shares_its_cached_copy_across_the_list_parameters_it_does_not_read(
    client, synced_acme, django_assert_num_queries
):
    """Anyone may add ?page=N to the home page: each N rendered and stored a copy of its own."""
    pages = [
        url
        for url in acme_pages()
        if url not in ("/jobs/", "/orgs/", "/orgs/acme/", "/sitemap-jobs.xml")
    ]
    for url in pages:
        first = client.get(url)
        with django_assert_num_queries(0):
            for query in ("page=2", "page=3&p=2", "q=robot&remote=remote"):
                assert client.get(f"{url}?{query}").content == first.content, (url, query)

    for url in ("/jobs/", "/orgs/"):  # the lists read their page: a copy of its own
        client.get(url)
        with CaptureQueriesContext(connection) as rendered:
            client.get(f"{url}?page=2")
        assert rendered.captured_queries, url


def test_made_up_org_addresses_leave_nothing_in_the_cache(client, synced_acme):
    """A day-long key per made-up slug would let anyone fill Redis, where sign-ins are counted."""
    for url in ["/orgs/nobody/", "/orgs/nobody/feed/", "/orgs/nobody/jobs.json"]:
        assert client.get(url).status_code == 404, url

    assert cache.get("listing-version:org:nobody") is None
    client.get("/orgs/acme/jobs/1/")  # an unknown job of a real org keeps the org's pages
    assert cache.get("listing-version:org:acme") is not None


def test_clients_that_accept_gzip_get_the_cached_page_compressed(
    client, synced_acme, django_assert_num_queries
):
    for url in acme_pages():
        plain = client.get(url)
        with django_assert_num_queries(0):
            compressed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert compressed["Content-Encoding"] == "gzip", url
        assert gzip.decompress(compressed.content) == plain.content, url
        assert compressed["Content-Type"] == plain["Content-Type"], url
        assert "Content-Encoding" not in client.get(url)  # the plain copy is kept as well
        for response in (plain, compressed):
            assert "Accept-Encoding" in response["Vary"], url  # for caches in between


def test_the_first_client_that_accepts_gzip_gets_the_page_compressed_too(client, synced_acme):
    """The request that rendered a page (the first after a sync, or once its copy expired) got it
    uncompressed; only the requests after it got the compressed copy it stored."""
    for url in acme_pages():
        first = client.get(url, headers={"Accept-Encoding": "gzip"})
        plain = client.get(url)
        assert first["Content-Encoding"] == "gzip", url
        assert gzip.decompress(first.content) == plain.content, url
        assert first["ETag"] == f"W/{plain['ETag']}", url
        assert "Accept-Encoding" in first["Vary"], url


def test_feed_readers_and_pollers_that_have_the_page_get_a_304(client, synced_acme):
    for url in acme_pages():
        for accepts in ("identity", "gzip"):
            first = client.get(url, headers={"Accept-Encoding": accepts})
            again = client.get(
                url, headers={"Accept-Encoding": accepts, "If-None-Match": first["ETag"]}
            )
            assert (again.status_code, again.content) == (304, b""), (url, accepts)
    plain = client.get("/orgs/acme/feed/")
    compressed = client.get("/orgs/acme/feed/", headers={"Accept-Encoding": "gzip"})
    assert compressed["ETag"] == f"W/{plain['ETag']}"  # the same page in other bytes


DATED_BY_LAST_MODIFIED = [
    "/jobs/feed/",
    "/orgs/acme/feed/",
    "/orgs/acme/jobs.json",
    "/sitemap.xml",
    "/sitemap-organizations.xml",
    "/sitemap-jobs.xml",
]


@pytest.mark.parametrize("seconds", [0, 300])
def test_feeds_and_sitemaps_are_kept_by_others_no_longer_than_by_the_sites_own_cache(
    client, synced_acme, settings, seconds
):
    """They carry a Last-Modified, and nothing said how long to keep them: browsers and
    proxies may then keep an answer for a tenth of its age (RFC 9111, 4.2.2), a day for a feed
    whose jobs last changed ten days before, and showed neither a sync nor an edit since. As
    jobs.json: only the site's own cache hears of those at once."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = seconds

    for url in DATED_BY_LAST_MODIFIED:
        for _ in ("rendered", "from the cache"):
            response = client.get(url)
            assert response.has_header("Last-Modified"), url
            assert response["Cache-Control"] == f"public, max-age={seconds}", url


@pytest.mark.parametrize("url", ["/jobs/feed/", "/sitemap-jobs.xml", "/orgs/acme/jobs.json"])
def test_a_copy_from_the_cache_is_kept_by_others_only_for_what_is_left_of_its_time(
    client, synced_acme, settings, monkeypatch, url
):
    """Served 200 s into its 300, a copy that said max-age=300 could be kept 300 s more, 500 s
    after it was rendered: by a proxy, or by a reader whose 304 said it again. Now 100 s."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    rendered = client.get(url)
    later = time.time() + 200
    monkeypatch.setattr(time, "time", lambda: later)

    for headers in ({}, {"Accept-Encoding": "gzip"}, {"If-None-Match": rendered["ETag"]}):
        response = client.get(url, headers=headers)
        assert response.status_code == (304 if "If-None-Match" in headers else 200)
        assert response["Cache-Control"] == "public, max-age=100", headers


@pytest.mark.parametrize("cached", [True, False])
def test_a_head_carries_the_headers_of_the_get_and_gets_its_304(client, synced_acme, cached):
    """RFC 9110: a HEAD answers the headers a GET would. Django's ConditionalGetMiddleware
    gave it no ETag, so a CDN or a checker that compares them saw none."""
    compared = ("ETag", "Last-Modified", "Content-Type", "Content-Encoding", "Vary")
    for url in acme_pages():
        for accepts in ("identity", "gzip"):
            headers = {"Accept-Encoding": accepts}
            answers = {}
            for method in ("head", "get"):  # both from the cache, or both rendered
                cache.clear()
                if cached:
                    client.get(url, headers=headers)
                answers[method] = getattr(client, method)(url, headers=headers)
            head, get = answers["head"], answers["get"]
            assert head.has_header("ETag"), (url, accepts)
            assert [head.get(name) for name in compared] == [get.get(name) for name in compared], (
                url,
                accepts,
            )
            again = client.head(url, headers={**headers, "If-None-Match": get["ETag"]})
            assert again.status_code == 304, (url, accepts)


@pytest.mark.parametrize("cached", [True, False])
def test_a_head_is_answered_without_the_body_the_server_would_send(synced_acme, cached):
    """gunicorn sends whatever body the site gives a HEAD (runserver and the test client drop
    it): a page's bytes followed the headers, read by a client on a kept-alive connection as
    the start of its next answer. A HEAD still tells the GET's length."""
    site = WSGIHandler()  # every middleware, as a server runs them; no test client's fixes
    for url in acme_pages():
        answers = {}
        for method in ("head", "get"):
            cache.clear()
            if cached:
                site.get_response(RequestFactory().get(url))
            response = site.get_response(getattr(RequestFactory(), method)(url))
            answers[method] = (response.content, response["Content-Length"])
        assert answers["head"] == (b"", answers["get"][1]), url
        assert answers["get"][0], url


def test_a_cached_page_keeps_its_etag_instead_of_hashing_its_body_again(
    client, synced_acme, monkeypatch
):
    tags = {url: client.get(url)["ETag"] for url in acme_pages()}
    monkeypatch.setattr("django.middleware.http.set_response_etag", hashing_refused)

    for url in acme_pages():
        assert client.get(url)["ETag"] == tags[url], url


def hashing_refused(response):
    raise AssertionError("a cached page's body was hashed again")


def test_a_sync_that_changes_jobs_gives_the_pages_a_new_etag(
    client, acme, synced_acme, fake_greenhouse
):
    tags = {url: client.get(url)["ETag"] for url in acme_pages()}
    post = next(p for p in fake_greenhouse.jobs("acme-robotics") if p["title"].startswith("Field"))
    post["title"] = "Field Service Technician, Night Shift"
    fake_greenhouse.touch("acme-robotics")
    sync(acme)

    for url in ("/jobs/", "/orgs/acme/", "/orgs/acme/feed/", "/orgs/acme/jobs.json"):
        response = client.get(url, headers={"If-None-Match": tags[url]})
        assert response.status_code == 200 and response["ETag"] != tags[url], url


def test_a_sync_that_changes_jobs_shows_on_every_page_at_once(
    client, acme, synced_acme, fake_greenhouse
):
    no_titles = ("/orgs/", "/sitemap.xml", "/sitemap-jobs.xml")
    urls = [url for url in acme_pages() if url not in no_titles]
    for url in urls:
        client.get(url)
    post = next(p for p in fake_greenhouse.jobs("acme-robotics") if p["title"].startswith("Field"))
    post["title"] = "Field Service Technician, Night Shift"
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.updated == 1

    for url in urls:
        assert "Night Shift" in client.get(url).content.decode(), url


def test_searches_share_the_filter_options_until_a_sync_changes_them(
    client, acme, synced_acme, fake_greenhouse, monkeypatch
):
    reads = []
    read_options = views.job_filter_options
    monkeypatch.setattr(
        views, "job_filter_options", lambda **kw: reads.append(kw) or read_options(**kw)
    )
    for query in ("engineer", "robot", "lead"):  # three pages, one reading of the options
        assert client.get("/jobs/", {"q": query}).status_code == 200
    assert len(reads) == 1
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["departments"] = [*post["departments"], {"id": 77, "name": "Night Operations"}]
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.updated == 1

    html = client.get("/jobs/", {"q": "field"}).content.decode()
    assert len(reads) == 2 and ">Night Operations</option>" in html
    client.get("/orgs/acme/", {"q": "field"})
    client.get("/orgs/acme/", {"q": "robot"})
    assert [read["organization_id"] for read in reads[2:]] == [acme.organization_id]


def test_the_all_jobs_page_with_an_org_chosen_shares_the_org_pages_options(
    client, acme, synced_acme, monkeypatch
):
    """Read once for both pages, and each page cached under its own address: the unfiltered
    list still offers every org's units."""
    other = Organization.objects.create(name="Harbor Tools", slug="harbor")
    make_job(other, "Rigger", departments=(make_unit(Department, other, "Rigging"),))
    reads = []
    read_options = views.job_filter_options
    monkeypatch.setattr(
        views, "job_filter_options", lambda **kw: reads.append(kw) or read_options(**kw)
    )

    chosen = client.get("/jobs/", {"org": "acme"}).content.decode()
    client.get("/orgs/acme/", {"q": "robot"})
    client.get("/jobs/", {"org": "acme", "q": "robot"})
    unfiltered = client.get("/jobs/").content.decode()

    assert [read["organization_id"] for read in reads] == [acme.organization_id, None]
    assert ">Rigging</option>" not in chosen and ">Rigging</option>" in unfiltered
    assert client.get("/jobs/", {"org": "acme"}).content.decode() == chosen


@pytest.mark.parametrize(("path", "slug"), [("/jobs/", None), ("/orgs/acme/", "acme")])
def test_filter_options_an_older_release_cached_are_not_read(client, synced_acme, path, slug):
    """The release before cached them as "filter-options", its units without their org's slug:
    read back by this code, UnitOption took their direction for the slug, and every org's
    units made one group. Cached under another name, they are left for the cache to expire."""
    older_shape = FilterOptions(
        # As this code unpickles the older UnitOption(pk, name, organization_name, direction).
        departments=[UnitOption(999_999, "Cached by the release before", "Acme Robotics", "")],
        offices=[],
        locations=[],
        remote_policies=[],
        by_organization=slug is None,
    )
    listing_value("filter-options", organization_slug=slug, compute=lambda: older_shape)

    html = client.get(path).content.decode()

    assert "Cached by the release before" not in html and "Platform</option>" in html


def test_a_job_closed_by_a_sync_is_gone_from_lists_and_410_at_once(
    client, acme, synced_acme, fake_greenhouse
):
    job = Job.objects.get(title="Field Service Technician")
    job_url = f"/orgs/acme/jobs/{job.greenhouse_id}/"
    assert client.get(job_url).status_code == 200
    assert job.title in client.get("/orgs/acme/").content.decode()
    assert "6 open roles" in client.get("/orgs/").content.decode()
    assert job_url in client.get("/sitemap-jobs.xml").content.decode()
    posts = fake_greenhouse.jobs("acme-robotics")
    posts.remove(next(p for p in posts if p["id"] == job.greenhouse_id))
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.closed == 1

    assert client.get(job_url).status_code == 410
    assert job.title not in client.get("/orgs/acme/").content.decode()
    assert job.title not in client.get("/jobs/").content.decode()
    assert "5 open roles" in client.get("/orgs/").content.decode()
    assert job_url not in client.get("/sitemap-jobs.xml").content.decode()


def test_a_job_back_on_the_board_is_listed_and_served_again_at_once(
    client, acme, synced_acme, fake_greenhouse
):
    job = Job.objects.get(title="Field Service Technician")
    job_url = f"/orgs/acme/jobs/{job.greenhouse_id}/"
    posts = fake_greenhouse.jobs("acme-robotics")
    post = next(p for p in posts if p["id"] == job.greenhouse_id)
    posts.remove(post)
    fake_greenhouse.touch("acme-robotics")
    assert sync(acme).counts.closed == 1
    assert client.get(job_url).status_code == 410
    assert job.title not in client.get("/orgs/acme/").content.decode()
    posts.append(post)
    fake_greenhouse.touch("acme-robotics")

    assert sync(acme).counts.reopened == 1

    assert client.get(job_url).status_code == 200
    assert job.title in client.get("/orgs/acme/").content.decode()
    assert "6 open roles" in client.get("/orgs/").content.decode()


def test_a_page_rendered_while_a_sync_ran_is_not_served_after_it(client, synced_acme, monkeypatch):
    """The page keeps the version read before rendering, so a sync that commits mid-render wins."""
    list_groups = views.group_by_department

    def groups_then_a_sync_commits(page, **kwargs):
        groups = list_groups(page, **kwargs)  # the jobs are read here, before the sync
        Job.objects.filter(title="Field Service Technician").update(title="Renamed mid-render")
        listing_cache_invalidate(organization=synced_acme)
        return groups

    monkeypatch.setattr(views, "group_by_department", groups_then_a_sync_commits)
    assert "Renamed mid-render" not in client.get("/orgs/acme/").content.decode()
    monkeypatch.undo()

    assert "Renamed mid-render" in client.get("/orgs/acme/").content.decode()


def test_a_job_reopened_while_its_orgs_page_renders_is_under_its_department_on_the_next(
    client, acme, monkeypatch
):
    """The page ranks the departments of its open jobs, read before its jobs are: a job
    reopened in between, its department of no other open job, falls to "Other roles" for that
    render alone, which is not kept."""
    organization = acme.organization
    make_job(organization, "Welder", departments=(make_unit(Department, organization, "Shop"),))
    archive = make_unit(Department, organization, "Archive")
    archivist = make_job(organization, "Archivist", departments=(archive,), is_open=False)
    read_paths = views.department_paths

    def paths_then_a_sync_commits(**kwargs):
        paths = read_paths(**kwargs)
        Job.objects.filter(pk=archivist.pk).update(is_open=True)
        listing_cache_invalidate(organization=organization)
        return paths

    def headings():
        response = client.get("/orgs/acme/")
        assert response.context, "served from the cache"
        groups = response.context["job_groups"]
        return [(heading, [job.title for job in jobs]) for heading, jobs in groups]

    monkeypatch.setattr(views, "department_paths", paths_then_a_sync_commits)
    assert headings() == [(("Shop",), ["Welder"]), (("Other roles",), ["Archivist"])]
    monkeypatch.undo()

    assert headings() == [(("Archive",), ["Archivist"]), (("Shop",), ["Welder"])]


def test_a_closed_jobs_410_page_is_served_from_the_cache_as_a_410(
    client, synced_acme, django_assert_num_queries
):
    job = Job.objects.get(title="Field Service Technician")
    Job.objects.filter(pk=job.pk).update(is_open=False)
    first = client.get(job.get_absolute_url())

    with django_assert_num_queries(0):
        second = client.get(job.get_absolute_url())

    assert second.status_code == first.status_code == 410
    assert second.content == first.content


def test_the_file_cache_stores_plain_pickles_and_keeps_expiry(tmp_path):
    file_cache = UncompressedFileCache(str(tmp_path), {})
    page = CachedPage("v1", 200, {"Content-Type": "text/html"}, b"<p>Field Service</p>")
    file_cache.set("page", page, 60)

    assert file_cache.get("page") == page
    assert b"<p>Field Service</p>" in next(tmp_path.glob("*.djcache")).read_bytes()
    assert file_cache.add("page", "another") is False
    assert file_cache.touch("page", None) is True and file_cache.get("page") == page
    assert file_cache.touch("page", 0) is True and file_cache.get("page") is None
    assert file_cache.touch("page", None) is False
    file_cache.add("count", 1, 60)
    assert file_cache.incr("count", 300) == 301 and file_cache.decr("count") == 300
    assert file_cache.get("count") == 300
    with pytest.raises(ValueError, match="'page' not found"):
        file_cache.incr("page")


def test_a_full_file_cache_deletes_what_has_expired_before_culling_at_random(tmp_path):
    file_cache = UncompressedFileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 10}})
    file_cache.set("login-failures:user:x", 3, 900)
    for n in range(100):
        file_cache.set(f"page:{n}", b"<p>Field Service</p>", 0)  # as pages are after a minute

    assert file_cache.get("login-failures:user:x") == 3
    assert len(list(tmp_path.glob("*.djcache"))) <= 10


def test_a_sync_without_changes_keeps_the_cached_pages(
    client, acme, synced_acme, django_assert_num_queries
):
    client.get("/orgs/acme/")

    assert sync(acme).counts.unchanged == 6

    with django_assert_num_queries(0):
        client.get("/orgs/acme/")


def test_another_orgs_sync_refreshes_site_wide_pages_only(
    client, synced_acme, fake_greenhouse, django_assert_num_queries
):
    client.get("/orgs/acme/"), client.get("/jobs/")

    sync(make_connection("tiny", "tiny-co", name="Tiny Co."))

    with django_assert_num_queries(0):
        client.get("/orgs/acme/")
    assert "Office Manager (part-time)" in client.get("/jobs/").content.decode()


def test_a_sync_in_another_process_invalidates_this_ones_pages(
    client, synced_acme, settings, tmp_path
):
    """The worker's sync and the web's pages meet only in the shared cache (here the default
    file cache; Redis in production)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "orgsite.file_cache.UncompressedFileCache",
            "LOCATION": str(tmp_path / "file-cache"),
        }
    }
    client.get("/orgs/acme/")
    Job.objects.filter(title="Field Service Technician").update(title="Renamed by the worker")
    assert "Renamed by the worker" not in client.get("/orgs/acme/").content.decode()

    run_django(
        "from jobs.cache import listing_cache_invalidate; from jobs.models import Organization; "
        "listing_cache_invalidate(organization=Organization(slug='acme'))",
        CACHE_URL="",
        ORGSITE_VAR_DIR=str(tmp_path),
    )

    assert "Renamed by the worker" in client.get("/orgs/acme/").content.decode()


def test_signed_in_visitors_never_get_or_leave_a_cached_page(client, synced_acme):
    anonymous_html = client.get("/orgs/acme/").content.decode()
    User.objects.create_user("carol", password="correct horse battery")
    client.login(username="carol", password="correct horse battery")

    signed_in_html = client.get("/orgs/acme/").content.decode()
    client.logout()
    client.cookies.clear()

    assert "carol" in signed_in_html and "carol" not in anonymous_html
    assert "carol" not in client.get("/orgs/acme/").content.decode()


def test_a_message_waiting_for_one_visitor_is_shown_to_them_alone(client, synced_acme):
    """Signed out by deleting their account, a visitor has only the messages cookie left: the
    home page shows them its message, and must not keep it for everyone else."""
    client.get("/")  # cached for visitors without cookies
    User.objects.create_user("carol", password="correct horse battery")
    client.login(username="carol", password="correct horse battery")
    client.post("/accounts/delete/", {"password": "correct horse battery"})
    assert not client.cookies.pop("sessionid").value  # expired, as a browser then drops it

    assert "Your account was deleted." in client.get("/").content.decode()
    assert "Your account was deleted." not in Client().get("/").content.decode()


def test_each_host_the_site_answers_on_gets_pages_naming_that_host(client, synced_acme, settings):
    """Pages carry absolute canonical and feed addresses: one rendered for www. must not be
    served on the bare host."""
    settings.ALLOWED_HOSTS = ["jobs.example", "www.jobs.example"]
    for host in settings.ALLOWED_HOSTS:
        html = client.get("/orgs/acme/", headers={"Host": host}).content.decode()
        assert f'<link rel="canonical" href="http://{host}/orgs/acme/"' in html, host


def test_a_cached_page_is_rendered_afresh_after_public_page_cache_seconds(
    client, synced_acme, settings, monkeypatch
):
    """A deadline passing writes nothing, so nothing makes the pages fresh: they must be kept
    no longer than PUBLIC_PAGE_CACHE_SECONDS (the versions they are checked against, a day)."""
    job = Job.objects.filter(title="Field Service Technician")
    job.update(application_deadline=timezone.now() + timedelta(hours=1))
    assert "Field Service Technician" in client.get("/orgs/acme/").content.decode()
    job.update(application_deadline=timezone.now() - timedelta(seconds=1))

    later = time.time() + settings.PUBLIC_PAGE_CACHE_SECONDS + 1
    monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: later))
    assert "Field Service Technician" not in client.get("/orgs/acme/").content.decode()


def test_a_broken_cache_breaks_neither_pages_nor_syncs(
    client, acme, synced_acme, fake_greenhouse, settings, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["title"] = "Robot Whisperer"

    assert client.get("/orgs/acme/").status_code == 200
    assert sync(acme).counts.updated == 1
    assert "listing cache invalidation failed" in caplog.text


def run_django(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python code in a fresh process with Django set up and these environment variables."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("cache_url", "backend"),
    [
        ("", "orgsite.file_cache.UncompressedFileCache"),
        ("redis://127.0.0.1:6379/3", "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_cache_url_chooses_the_cache(cache_url, backend, tmp_path):
    cache = settings_under(CACHE_URL=cache_url, ORGSITE_VAR_DIR=str(tmp_path))["CACHES"]["default"]

    assert [cache["BACKEND"], cache["LOCATION"]] == [
        backend,
        cache_url or str(tmp_path / "file-cache"),
    ]


def test_a_cache_url_that_is_not_redis_stops_the_process(tmp_path):
    # Raised as the settings module loads: no process that reads it starts.
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must be a redis:// URL"):
        settings_under(CACHE_URL="memcached://x", ORGSITE_VAR_DIR=str(tmp_path))


def test_an_admins_edit_shows_on_the_cached_pages_at_once(client, owner, synced_acme):
    job = Job.objects.get(title="Field Service Technician")
    assert job.title in client.get("/orgs/acme/").content.decode()  # now cached
    admin = type(client)()
    admin.login(username="alice", password="correct horse battery")

    admin.post(
        f"/manage/acme/jobs/{job.pk}/edit/",
        {"hidden": "on", "remote_policy": "", "compensation_note": "", "tags": ""},
    )

    assert job.title not in client.get("/orgs/acme/").content.decode()


def test_an_org_made_on_the_site_is_listed_at_once(
    client, owner, synced_acme, django_capture_on_commit_callbacks
):
    """As one made in Django's admin is: /orgs/ and the sitemap list every org, jobs or not."""
    for url in ["/orgs/", "/sitemap-organizations.xml"]:
        client.get(url)
    admin = Client()
    admin.force_login(owner)

    with django_capture_on_commit_callbacks(execute=True):  # pages are refreshed once committed
        admin.post("/manage/new/", {"organization_name": "Birch Labs"})

    assert Organization.objects.filter(slug="birch-labs").exists()
    assert "Birch Labs" in client.get("/orgs/").content.decode()
    assert "/orgs/birch-labs/" in client.get("/sitemap-organizations.xml").content.decode()


def test_an_org_made_by_connect_greenhouse_is_listed_at_once(
    client, fake_greenhouse, django_capture_on_commit_callbacks
):
    """As one made on the site is: until its first sync, which refreshes the pages only if it
    changed jobs (none on an empty board), the cached copies went on without it."""
    for url in ["/orgs/", "/sitemap-organizations.xml"]:
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("connect_greenhouse", "birch", "empty-board", "--name", "Birch Labs")

    assert "Birch Labs" in client.get("/orgs/").content.decode()
    assert "/orgs/birch/" in client.get("/sitemap-organizations.xml").content.decode()


def test_a_disconnect_shows_on_the_cached_pages_at_once(
    client, owner, synced_acme, django_capture_on_commit_callbacks
):
    assert "Field Service Technician" in client.get("/jobs/").content.decode()
    admin = type(client)()
    admin.login(username="alice", password="correct horse battery")

    with django_capture_on_commit_callbacks(execute=True):  # pages are refreshed once committed
        admin.post("/manage/acme/disconnect/")

    assert "Field Service Technician" not in client.get("/jobs/").content.decode()


# --- Django's admin: a change shows on visitors' pages at once too ------------------------------


@pytest.fixture
def admin_client(client, synced_acme):
    """A second browser: the superuser's visits are never cached, the visitor's are."""
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    return admin


def test_a_job_hidden_in_the_admin_is_gone_from_every_page_at_once(
    client, admin_client, django_capture_on_commit_callbacks
):
    job = Job.objects.get(title="Field Service Technician")
    urls = [url for url in acme_pages() if url != "/orgs/"]  # the org list shows no titles
    for url in urls:
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):  # pages are refreshed once committed
        response = admin_client.post(
            f"/admin/jobs/job/{job.pk}/change/", {"hidden": "on", "remote_policy": "", "tags": ""}
        )

    assert response.status_code == 302
    job_url = job.get_absolute_url()
    assert client.get(job_url).status_code == 404
    for url in urls:
        if url != job_url:
            assert job.title not in client.get(url).content.decode(), url


def after_a_visitor_reads(method, client, url: str, job: Job, **as_committed):
    """`method`, run after a visitor's request for `url` that still sees `job` listed, as it is
    committed (`as_committed`) while the admin's transaction is open."""

    def wrapped(self, *args):
        with transaction.atomic():  # the job as other connections still see it
            Job.objects.filter(pk=job.pk).update(**as_committed)
            assert job.title in client.get(url).content.decode()
            transaction.set_rollback(True)
        return method(self, *args)

    return wrapped


def test_a_page_a_visitor_gets_while_an_admins_edit_commits_is_not_served_after_it(
    client, admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    """Django's admin saves in a transaction: a visitor's request meanwhile reads the job as it
    was committed. Pages get their new version once the edit is committed, not before, or that
    visitor's page would be kept under it and the hidden job stay listed."""
    job = Job.objects.get(title="Field Service Technician")
    monkeypatch.setattr(
        JobAdmin,
        "log_change",
        after_a_visitor_reads(JobAdmin.log_change, client, "/orgs/acme/", job, hidden=False),
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/jobs/job/{job.pk}/change/", {"hidden": "on", "remote_policy": "", "tags": ""}
        )

    assert Job.objects.get(pk=job.pk).hidden
    assert job.title not in client.get("/orgs/acme/").content.decode()


def test_a_page_a_visitor_gets_while_a_disconnect_in_the_admin_commits_is_not_served_after_it(
    client, admin_client, synced_acme, monkeypatch, django_capture_on_commit_callbacks
):
    """Deleting the connection in Django's admin closes the jobs in the admin's transaction;
    pages get their new version once that commits."""
    job = Job.objects.get(title="Field Service Technician")
    monkeypatch.setattr(
        GreenhouseConnectionAdmin,
        "response_delete",
        after_a_visitor_reads(
            GreenhouseConnectionAdmin.response_delete, client, "/jobs/", job, is_open=True
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/jobs/greenhouseconnection/{synced_acme.greenhouse.pk}/delete/", {"post": "yes"}
        )

    assert not Job.objects.get(pk=job.pk).is_open
    assert job.title not in client.get("/jobs/").content.decode()


def test_orgs_deleted_in_the_admin_are_gone_at_once(
    client, admin_client, synced_acme, django_capture_on_commit_callbacks
):
    for url in ["/", "/jobs/", "/orgs/acme/"]:
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):  # pages are refreshed once committed
        admin_client.post(
            "/admin/jobs/organization/",
            {"action": "delete_selected", "_selected_action": [synced_acme.pk], "post": "yes"},
        )

    assert not Organization.objects.filter(pk=synced_acme.pk).exists()
    assert client.get("/orgs/acme/").status_code == 404
    for url in ["/", "/jobs/"]:
        assert "Field Service Technician" not in client.get(url).content.decode(), url


def test_an_org_renamed_and_moved_in_the_admin_shows_at_once(
    client, admin_client, synced_acme, django_capture_on_commit_callbacks
):
    organization = synced_acme
    for url in ["/", "/orgs/", "/orgs/acme/"]:
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):  # pages are refreshed once committed
        admin_client.post(
            f"/admin/jobs/organization/{organization.pk}/change/",
            {
                "name": "Acme Automation",
                "slug": "acme-automation",
                "website": "",
                "description": "",
                "memberships-TOTAL_FORMS": 0,
                "memberships-INITIAL_FORMS": 0,
            },
        )

    organization.refresh_from_db()
    assert organization.slug == "acme-automation"
    for url in ["/", "/orgs/"]:
        assert "Acme Automation" in client.get(url).content.decode(), url
    assert client.get("/orgs/acme/").status_code == 404


def test_an_org_renamed_on_its_settings_page_is_named_anew_on_the_all_jobs_page_at_once(
    client, synced_acme, owner
):
    """Its name heads /jobs/?org= (the title) and is among the org filter's options, both kept
    in the cache (the page; the options, under the site's version)."""
    for query in [{"org": "acme"}, {}]:
        assert "Acme Robotics" in client.get("/jobs/", query).content.decode()
    admin = Client()
    admin.force_login(owner)

    response = admin.post(
        "/manage/acme/settings/",
        {
            "action": "profile",
            "profile-name": "Acme Automation",
            "profile-description": "",
            "profile-language": "",
            "profile-website": "",
        },
    )

    assert response.status_code == 302
    chosen = client.get("/jobs/", {"org": "acme"}).content.decode()
    title = chosen.split("<title>")[1].split("</title>")[0]
    assert "Acme Automation" in title and "Acme Robotics" not in title
    for page in [chosen, client.get("/jobs/").content.decode()]:
        assert ">Acme Automation</option>" in page and "Acme Robotics" not in page


def test_a_copy_from_the_cache_varies_on_cookies_as_the_page_rendered_for_it(client, synced_acme):
    """A page read the visitor's session says "Vary: Cookie" (SessionMiddleware), its copy from
    the cache did not: a cache in between could give the signed-out page to a signed-in
    visitor. jobs.json, the feeds and the sitemaps read none, and vary on none."""
    for url in acme_pages():
        rendered, cached = client.get(url), client.get(url)
        assert cached["Vary"] == rendered["Vary"], url
        assert ("Cookie" in cached["Vary"]) is ("text/html" in cached["Content-Type"]), url

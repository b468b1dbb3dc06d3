"""For machines: JobPosting JSON-LD, meta tags and canonical URLs, RSS feeds and sitemap.xml."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape

from jobs import seo, views
from jobs.feeds import AllJobsFeed, OrganizationJobsFeed
from jobs.metadata import employment_types_from_metadata
from jobs.models import Department, Job, Office, Organization, SyncRun
from jobs.sitemaps import JobSitemap, OrganizationSitemap
from jobs.sync import sync_organization
from tests.support.helpers import SITEMAP_NS, sitemap_entries
from tests.support.public_jobs import make_job, make_unit

pytestmark = pytest.mark.django_db
JSON_LD = re.compile(r"<script type=\"application/ld\+json\">(.*?)</script>", re.DOTALL)


def job_page(client, title: str) -> str:
    job = Job.objects.get(title=title)
    response = client.get(f"/orgs/{job.organization.slug}/jobs/{job.greenhouse_id}/")
    assert response.status_code == 200
    return response.content.decode()


def structured_data(html: str) -> dict:
    (block,) = JSON_LD.findall(html)
    return json.loads(block)


# --- JSON-LD ----------------------------------------------------------------------------------


def test_an_open_job_page_carries_a_job_posting_with_the_required_fields(client, synced_acme):
    job = Job.objects.get(title="Customer Success Lead, Japan")

    data = structured_data(job_page(client, job.title))

    assert data["@context"] == "https://schema.org/" and data["@type"] == "JobPosting"
    assert data["title"] == job.title
    assert data["description"] == job.description_html
    assert datetime.fromisoformat(data["datePosted"]) == job.first_published_at
    assert data["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Acme Robotics",
        "sameAs": "https://acme-robotics.example",
    }
    assert data["jobLocation"]["address"]["addressLocality"] == "Tokyo, Japan"
    assert data["identifier"]["value"] == str(job.greenhouse_id)
    assert data["url"] == f"http://testserver/orgs/acme/jobs/{job.greenhouse_id}/"
    assert datetime.fromisoformat(data["validThrough"]) == job.application_deadline
    assert "jobLocationType" not in data  # hybrid, not remote
    assert "employmentType" not in data  # the board does not say


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_a_deadline_given_as_a_date_is_that_whole_day_in_the_sites_time_zone(
    client, settings, acme, zone
):
    """Greenhouse sends "2030-10-31": read as midnight UTC, Los Angeles showed 30 October."""
    settings.TIME_ZONE = zone
    sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)

    html = job_page(client, "Customer Success Lead, Japan")

    assert "Apply by</dt><dd><time" in html and "31 October 2030</time>" in html
    valid_through = datetime.fromisoformat(structured_data(html)["validThrough"])
    local = timezone.localtime(valid_through, ZoneInfo(zone))
    assert (local.date(), local.time()) == (date(2030, 10, 31), time(23, 59, 59))


def test_a_remote_job_is_marked_telecommute(client, synced_acme):
    data = structured_data(job_page(client, "People Operations Partner"))

    assert data["jobLocationType"] == "TELECOMMUTE"
    assert "validThrough" not in data  # no deadline


def localities(data: dict) -> list[str]:
    places = data["jobLocation"]
    return [place["address"]["addressLocality"] for place in places]


def test_a_job_without_a_location_is_located_at_its_offices(client, db):
    """Google requires a jobLocation of a job not done remotely: the post's offices say where."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    offices = (
        make_unit(Office, org, "Head office", location="Rotterdam, Netherlands"),
        make_unit(Office, org, "Works"),  # no location: its name is all there is
        make_unit(Office, org, "Yard", location="Rotterdam, Netherlands"),
    )
    make_job(org, "Welder", location_name="", remote_policy="onsite", offices=offices)

    data = structured_data(job_page(client, "Welder"))

    assert localities(data) == ["Rotterdam, Netherlands", "Works"]
    assert data["jobLocation"][0]["@type"] == "Place"
    assert data["jobLocation"][0]["address"]["@type"] == "PostalAddress"


def test_a_job_in_many_offices_is_located_at_the_first_few(client, db):
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    offices = [make_unit(Office, org, f"Office {n:02}") for n in range(20)]
    make_job(org, "Welder", offices=offices)

    data = structured_data(job_page(client, "Welder"))

    assert localities(data) == [f"Office {n:02}" for n in range(seo.MAX_OFFICE_PLACES)]


def test_a_remote_job_without_a_location_is_not_located_at_its_office(client, db):
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    make_job(org, "Planner", remote_policy="remote", offices=[make_unit(Office, org, "Remote")])
    make_job(org, "Welder")  # nothing says where

    assert "jobLocation" not in structured_data(job_page(client, "Planner"))
    assert "jobLocation" not in structured_data(job_page(client, "Welder"))


def test_the_employment_type_comes_from_metadata(client, synced_acme):
    Job.objects.filter(title="People Operations Partner").update(
        metadata=[{"name": "Employment Type", "value": "Full-time", "value_type": "single_select"}]
    )

    data = structured_data(job_page(client, "People Operations Partner"))

    assert data["employmentType"] == ["FULL_TIME"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Full-Time", ["FULL_TIME"]),
        ("part time", ["PART_TIME"]),
        ("Contractor", ["CONTRACTOR"]),
        ("Fixed-term", ["TEMPORARY"]),
        ("Internship", ["INTERN"]),
        (["Full-time", "Contract"], ["FULL_TIME", "CONTRACTOR"]),
        ("International", []),
        (True, []),
    ],
)
def test_employment_types_are_read_in_schema_org_terms(value, expected):
    metadata = [{"name": "Employment type", "value": value}, {"name": "Team", "value": "Intern"}]

    assert employment_types_from_metadata(metadata) == expected


def test_a_title_cannot_break_out_of_the_json_ld_script(client, db):
    org = Organization.objects.create(name="Q&A <Co>", slug="qa")
    title = '</script><script>alert(1)</script><!-- & "quotes"'
    make_job(org, title, description_html="<p>Welds.</p>", excerpt="Welds.")

    html = job_page(client, title)

    assert html.count("</script>") == 1  # only the JSON-LD block's own end
    assert "\\u003C/script\\u003E" in html
    data = structured_data(html)
    assert data["title"] == title and data["hiringOrganization"]["name"] == "Q&A <Co>"


@pytest.mark.parametrize(
    "content",
    [None, "&lt;p&gt;&amp;nbsp;&lt;/p&gt;", "&lt;p&gt;\u200b&lt;/p&gt;"],
    ids=["null", "no-text", "zero-width-space"],
)
def test_a_job_posting_of_a_post_without_a_word_is_described_by_its_title(
    client, acme, fake_greenhouse, content
):
    """Search engines require a description: markup without a word was a blank one, where a
    post with no content at all was described by its title. The page's meta description, for a
    post of zero-width spaces, was its excerpt of those spaces."""
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["content"] = content
    fake_greenhouse.touch("acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    job = Job.objects.get(greenhouse_id=post["id"])

    html = job_page(client, job.title)

    assert structured_data(html)["description"] == job.title
    assert f'<meta name="description" content="{job.title}">' in html


def test_a_closed_job_has_no_structured_data(client, db):
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    job = make_job(org, "Welder", is_open=False, closed_at=timezone.now())

    html = client.get(f"/orgs/harbor/jobs/{job.greenhouse_id}/").content.decode()

    assert "application/ld+json" not in html and "JobPosting" not in html


# --- Meta tags --------------------------------------------------------------------------------


def test_a_job_page_has_a_meta_description_canonical_url_and_open_graph_tags(client, synced_acme):
    job = Job.objects.get(title="Field Service Technician")
    url = f"http://testserver/orgs/acme/jobs/{job.greenhouse_id}/"

    html = job_page(client, job.title)

    assert f'<meta name="description" content="{escape(job.excerpt[:299])}' in html
    assert f'<link rel="canonical" href="{url}">' in html
    assert '<meta property="og:title" content="Field Service Technician">' in html
    assert f'<meta property="og:description" content="{escape(job.excerpt[:299])}' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta name="robots"' not in html


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/", "http://testserver/"),
        ("/jobs/", "http://testserver/jobs/"),
        ("/jobs/?utm_source=newsletter&page=1", "http://testserver/jobs/"),
        ("/orgs/", "http://testserver/orgs/"),
        ("/orgs/acme/?fbclid=IwAR1", "http://testserver/orgs/acme/"),
    ],
)
def test_unfiltered_pages_have_their_path_as_canonical_url(client, synced_acme, path, canonical):
    html = client.get(path).content.decode()

    assert f'<link rel="canonical" href="{canonical}">' in html
    assert '<meta name="description" content="' in html
    assert '<meta property="og:title" content="' in html
    assert '<meta name="robots"' not in html


@pytest.fixture
def many_roles(db) -> Department:
    """30 open jobs in one department (two pages of them), 30 in another."""
    org = Organization.objects.create(name="Many Roles", slug="many")
    team, other = make_unit(Department, org, "Team"), make_unit(Department, org, "Other")
    for n in range(30):
        make_job(org, f"Analyst {n:02d}", departments=(team,), remote_policy="hybrid")
        make_job(org, f"Welder {n:02d}", departments=(other,), remote_policy="onsite")
    return team


def canonical_of(client, path: str) -> str:
    (link,) = re.findall(
        r'<link rel="canonical" href="([^"]*)">', client.get(path).content.decode()
    )
    return link.replace("&amp;", "&")


def test_a_filtered_page_is_its_own_canonical_url_with_its_filters_and_page(client, many_roles):
    """Not the unfiltered list's page 2, which lists other jobs (Google: each page of a
    paginated sequence its own canonical; a canonical names a page with the same content)."""
    team = many_roles.pk

    assert canonical_of(client, f"/jobs/?department={team}&page=2") == (
        f"http://testserver/jobs/?department={team}&page=2"
    )
    assert canonical_of(client, f"/orgs/many/?remote=hybrid&department={team}&page=2") == (
        f"http://testserver/orgs/many/?department={team}&remote=hybrid&page=2"
    )
    assert canonical_of(client, f"/jobs/?department={team}") == (
        f"http://testserver/jobs/?department={team}"
    )


def test_a_filtered_pages_canonical_url_is_one_address_however_its_link_was_written(
    client, many_roles
):
    """Parameters in a stable order, without page 1, tracking parameters or empty values:
    links that show the same jobs name the same page. Not values that name nothing, which the
    page names in a note and is not indexed for: the list's address beside that noindex could
    take the list out of the index."""
    team = many_roles.pk
    other = Department.objects.get(name="Other").pk
    expected = (
        f"http://testserver/jobs/?department={min(team, other)}&department={max(team, other)}"
    )

    for path in [
        f"/jobs/?department={team}&department={other}",
        f"/jobs/?department={other}&department={team}&page=1",
        f"/jobs/?utm_source=news&department={other}&fbclid=IwAR1&department={team}",
        f"/jobs/?department={other}&org=&department={team}&location=&remote=",
    ]:
        assert canonical_of(client, path) == expected, path
    assert (
        canonical_of(
            client, f"/jobs/?department={other}&department={team}&department=abc&remote=moon"
        )
        == f"{expected}&department=abc&remote=moon"
    )
    # On an org's page, the org is the page's own: no org= beside it.
    assert canonical_of(client, "/orgs/many/?org=many") == "http://testserver/orgs/many/"
    # Keywords as searched, however the link spaced them.
    assert canonical_of(client, "/jobs/?q=%20data%20%20analyst%09") == (
        "http://testserver/jobs/?q=data+analyst"
    )


@pytest.mark.parametrize("path", ["/jobs/?q=analyst&page=2", "/orgs/many/?q=%20analyst%20%20"])
def test_keyword_search_results_are_not_indexed_but_their_links_are_followed(
    client, many_roles, path
):
    html = client.get(path).content.decode()

    assert '<meta name="robots" content="noindex, follow">' in html
    assert "?q=analyst" in canonical_of(client, path)


@pytest.mark.parametrize("path", ["/jobs/?q=%F0%9F%9A%80", "/orgs/many/?q=%25"])
def test_a_query_of_no_word_is_not_noindex_as_its_canonical_url_is_the_list(
    client, many_roles, path
):
    """It said noindex beside a canonical link to the list without the query, which a search
    engine may read as noindex for the list itself."""
    html = client.get(path).content.decode()

    assert "?q=" not in canonical_of(client, path)
    assert 'name="robots"' not in html


def test_filters_without_keywords_may_be_indexed(client, many_roles):
    html = client.get(f"/jobs/?department={many_roles.pk}&remote=hybrid").content.decode()

    assert '<meta name="robots"' not in html


@pytest.mark.parametrize(
    "path", ["/jobs/?location=Cheap+pills+here", "/orgs/many/?location=Cheap+pills+here&page=2"]
)
def test_a_list_its_filters_leave_empty_is_not_indexed(client, many_roles, path):
    """Anyone can make one, of any text as its location, which its title repeats: it was
    offered to search engines as a page of its own, with no job on it."""
    html = client.get(path).content.decode()

    assert "Cheap pills here" in html
    assert '<meta name="robots" content="noindex, follow">' in html


@pytest.mark.parametrize("path", ["/orgs/quiet/", "/orgs/quiet/?q=%F0%9F%9A%80"])
def test_an_org_page_without_open_jobs_may_be_indexed(client, db, path):
    """Unfiltered, it is the org's own page, which the sitemap lists; so is it under a query
    of no word (?q=🚀), whose canonical URL is that page's: a noindex beside it could take the
    page out of the index."""
    Organization.objects.create(name="Quiet Co", slug="quiet")

    html = client.get(path).content.decode()

    assert '<meta name="robots"' not in html


def test_a_cached_page_carries_the_canonical_url_of_its_own_filters(client, many_roles):
    """The page cache keys pages by the parameters they read, so one address's canonical URL
    never shows on another's page, nor a tracking parameter on anyone's."""
    team = many_roles.pk
    filtered = f"http://testserver/jobs/?department={team}&page=2"

    assert canonical_of(client, f"/jobs/?department={team}&page=2&utm_source=a") == filtered
    assert canonical_of(client, "/jobs/?page=2&utm_source=a") == "http://testserver/jobs/?page=2"
    assert canonical_of(client, f"/jobs/?page=2&department={team}") == filtered
    assert canonical_of(client, "/jobs/?page=2") == "http://testserver/jobs/?page=2"
    assert canonical_of(client, "/jobs/?q=analyst&page=2") == (
        "http://testserver/jobs/?q=analyst&page=2"
    )


def job_links(html: str) -> list[str]:
    return re.findall(r'href="(/orgs/many/jobs/\d+/)"', html)


@pytest.mark.parametrize("listing", ["/jobs/", "/orgs/many/"])
def test_a_page_below_1_is_the_first_page_and_one_past_the_end_the_last(
    client, many_roles, listing
):
    """Django's Paginator.get_page() gave ?page=0 and ?page=-3 the last page (the oldest jobs)
    under the last page's canonical URL. Each is asked twice: the second answer is cached. A
    number of more digits than int() reads (4,300) is past the end too: it was the first page."""
    first = job_links(client.get(listing).content.decode())
    last = job_links(client.get(f"{listing}?page=3").content.decode())
    assert first and last and last != first

    for below in ("0", "-3", "-3"):
        html = client.get(f"{listing}?page={below}").content.decode()
        assert job_links(html) == first, below
        assert canonical_of(client, f"{listing}?page={below}") == f"http://testserver{listing}"
        assert 'rel="prev"' not in html and 'rel="next" href="?page=2"' in html
    for beyond in ("4", "99", "99", "9" * 4301):
        html = client.get(f"{listing}?page={beyond}").content.decode()
        assert job_links(html) == last, beyond
        assert canonical_of(client, f"{listing}?page={beyond}") == (
            f"http://testserver{listing}?page=3"
        )


@pytest.mark.parametrize("listing", ["/jobs/", "/orgs/many/"])
@pytest.mark.parametrize("two", ["%EF%BC%92", "%D9%A2", "%202", "%2B2"])
def test_a_page_number_not_in_ascii_digits_is_the_first_page_as_a_word_is(
    client, many_roles, listing, two
):
    """int() read a full-width "２", an Arabic-Indic "٢", " 2" and "+2" as page 2, where "two"
    is the first page; the sitemap answers none of them (a 404)."""
    first = job_links(client.get(listing).content.decode())

    assert job_links(client.get(f"{listing}?page={two}").content.decode()) == first
    assert canonical_of(client, f"{listing}?page={two}") == f"http://testserver{listing}"
    assert job_links(client.get(f"{listing}?page=2").content.decode()) != first


@pytest.mark.parametrize("listing", ["/jobs/", "/orgs/many/", "/orgs/"])
def test_page_last_is_the_last_page_under_its_own_address(client, many_roles, listing, monkeypatch):
    """?page=last, as Django's list views read it, was not a number and so the first page. Its
    canonical URL is the last page's by number: one page, one address. Other words are still
    the first page."""
    monkeypatch.setattr(views, "ORGANIZATIONS_PER_PAGE", 1)
    Organization.objects.create(name="Other Roles", slug="other")
    last_page = client.get(f"{listing}?page=last")
    number = last_page.context["page"].paginator.num_pages

    assert number > 1 and last_page.context["page"].number == number
    assert canonical_of(client, f"{listing}?page=last") == (
        f"http://testserver{listing}?page={number}"
    )
    assert 'rel="next"' not in last_page.content.decode()
    for not_last in ("Last", "lastt", "last page"):
        assert client.get(listing, {"page": not_last}).context["page"].number == 1, not_last


def test_the_organizations_pages_are_their_own_canonical_url_and_count_from_1(
    client, db, monkeypatch
):
    """As the job lists: page 2 names itself, and a page out of range or not a number is the
    nearest page, under that page's address."""
    monkeypatch.setattr(views, "ORGANIZATIONS_PER_PAGE", 2)
    for n in range(5):
        Organization.objects.create(name=f"Org {n}", slug=f"org-{n}")

    assert canonical_of(client, "/orgs/?page=2&utm_source=a") == "http://testserver/orgs/?page=2"
    for asked, canonical in [
        ("0", "/orgs/"),
        ("-3", "/orgs/"),
        ("two", "/orgs/"),
        ("1", "/orgs/"),
        ("3", "/orgs/?page=3"),
        ("99", "/orgs/?page=3"),
    ]:
        assert canonical_of(client, f"/orgs/?page={asked}") == f"http://testserver{canonical}"
    html = client.get("/orgs/?page=0").content.decode()
    assert 'rel="prev"' not in html and 'rel="next" href="?page=2"' in html
    assert '<meta name="robots"' not in html


def test_an_org_page_describes_the_org_and_links_its_feed(client, synced_acme):
    Organization.objects.filter(slug="acme").update(description="Robot arms with a light touch.")

    html = client.get("/orgs/acme/").content.decode()

    assert '<meta name="description" content="Robot arms with a light touch.">' in html
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Open jobs at Acme Robotics" '
        'href="/orgs/acme/feed/">'
    ) in html


ALL_JOBS_FEED_LINK = '<a href="/jobs/feed/">RSS feed of all open jobs</a>'


@pytest.mark.parametrize(
    ("path", "link"),
    [
        ("/orgs/acme/", '<a href="/orgs/acme/feed/">RSS feed of open jobs</a>'),
        ("/jobs/", ALL_JOBS_FEED_LINK),
        ("/jobs/?q=engineer&remote=remote", ALL_JOBS_FEED_LINK),  # the feeds take no filters
        (
            "/jobs/?org=acme",
            '<a href="/orgs/acme/feed/">RSS feed of all open jobs at <bdi>Acme Robotics</bdi></a>',
        ),
    ],
)
def test_a_list_of_jobs_shows_a_link_to_its_feed(client, synced_acme, path, link):
    """Seen on the page, not only in a <link rel="alternate"> that browsers no longer show."""
    assert link in client.get(path).content.decode()


def test_an_org_page_without_a_description_is_described_by_the_orgs_name(client, db):
    """Not one sentence shared by every such org's page: search engines show it under each."""
    Organization.objects.create(name="Tiny Co.", slug="tiny")
    Organization.objects.create(name="Harbor Labs", slug="harbor")

    assert '<meta name="description" content="Open jobs at Tiny Co.">' in (
        client.get("/orgs/tiny/").content.decode()
    )
    assert '<meta name="description" content="Open jobs at Harbor Labs.">' in (
        client.get("/orgs/harbor/").content.decode()
    )


# --- Feeds ------------------------------------------------------------------------------------


def feed_items(client, url: str) -> tuple[ET.Element, list[ET.Element]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314 (our own response)
    return channel, channel.findall("item")


def test_the_all_jobs_feed_lists_open_jobs_newest_first(client, synced_acme):
    hidden = Job.objects.get(title="Senior Platform Engineer")
    Job.objects.filter(pk=hidden.pk).update(hidden=True)
    Job.objects.filter(title="Field Service Technician").update(is_open=False)
    tokyo = Job.objects.get(title="Customer Success Lead, Japan")

    channel, items = feed_items(client, "/jobs/feed/")

    assert channel.findtext("title") == "Open jobs on orgsite"
    assert channel.findtext("link") == "http://testserver/jobs/"
    assert len(items) == 4
    first = items[0]
    assert first.findtext("title") == "Customer Success Lead, Japan — Acme Robotics"
    url = f"http://testserver/orgs/acme/jobs/{tokyo.greenhouse_id}/"
    assert first.findtext("link") == first.findtext("guid") == url
    assert first.findtext("description") == escape(tokyo.excerpt)  # HTML, as readers take it
    assert [c.text for c in first.findall("category")] == ["Customer Success"]
    dates = [parsedate_to_datetime(item.findtext("pubDate")) for item in items]
    assert dates == sorted(dates, reverse=True) and dates[0] == tokyo.first_published_at
    assert hidden.title not in ET.tostring(channel, encoding="unicode")


def test_an_org_feed_lists_only_that_orgs_open_jobs(client, synced_acme):
    other = Organization.objects.create(name="Harbor Tools", slug="harbor")
    make_job(other, "Welder")

    channel, items = feed_items(client, "/orgs/harbor/feed/")

    assert channel.findtext("title") == "Open jobs at Harbor Tools"
    assert channel.findtext("link") == "http://testserver/orgs/harbor/"
    assert [item.findtext("title") for item in items] == ["Welder — Harbor Tools"]
    assert len(feed_items(client, "/orgs/acme/feed/")[1]) == 6


def test_an_org_feed_is_in_the_language_most_of_its_jobs_are(client, db):
    french = Organization.objects.create(name="Liberté Santé", slug="liberte")
    for title, language in [("Infirmier", "fr"), ("Ingénieure", "fr"), ("Nurse", "en")]:
        make_job(french, title, language=language)
    make_job(french, "Hidden", language="de", hidden=True)
    unsaid = Organization.objects.create(name="Harbor Tools", slug="harbor")
    make_job(unsaid, "Welder", language="")

    assert feed_items(client, "/orgs/liberte/feed/")[0].findtext("language") == "fr"
    assert feed_items(client, "/orgs/harbor/feed/")[0].findtext("language") == "en"


def test_the_feeds_are_in_the_sites_language_when_no_org_or_job_says_one(client, db):
    """As the site's pages, <html lang="en">: an org's feed said "en" when its jobs were in
    English, and Django's "en-us" when it had none."""
    english = Organization.objects.create(name="Liberté Santé", slug="liberte")
    make_job(english, "Nurse", language="en")
    Organization.objects.create(name="Harbor Tools", slug="harbor")

    assert feed_items(client, "/orgs/liberte/feed/")[0].findtext("language") == "en"
    assert feed_items(client, "/orgs/harbor/feed/")[0].findtext("language") == "en"
    assert feed_items(client, "/jobs/feed/")[0].findtext("language") == "en"


def test_an_org_feed_passes_over_job_languages_that_are_no_language_tags(client, db):
    # Greenhouse's `language` is stored as sent; the feed's <language> said "en US" or markup.
    mixed = Organization.objects.create(name="Liberté Santé", slug="liberte")
    for title in ("Infirmier", "Ingénieure"):
        make_job(mixed, title, language="fr FR")
    make_job(mixed, "Nurse", language="en")
    unreadable = Organization.objects.create(name="Harbor Tools", slug="harbor")
    make_job(unreadable, "Welder", language="xx-<script>")

    assert feed_items(client, "/orgs/liberte/feed/")[0].findtext("language") == "en"
    assert feed_items(client, "/orgs/harbor/feed/")[0].findtext("language") == "en"


def test_an_org_feed_is_in_the_language_its_admins_set_before_its_jobs(client, db):
    quebec = Organization.objects.create(name="Santé Québec", slug="quebec", language="fr-CA")
    for title in ("Nurse", "Porter"):
        make_job(quebec, title, language="en")
    english = Organization.objects.create(name="Harbor Tools", slug="harbor", language="en")
    make_job(english, "Soudeur", language="fr")

    assert feed_items(client, "/orgs/quebec/feed/")[0].findtext("language") == "fr-CA"
    assert feed_items(client, "/orgs/harbor/feed/")[0].findtext("language") == "en"


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("Harbor Tools", "The newest open jobs at Harbor Tools."),
        ("Tiny Co.", "The newest open jobs at Tiny Co."),
        ("Yahoo!", "The newest open jobs at Yahoo!"),
    ],
)
def test_an_org_feed_without_a_description_says_whose_jobs_in_one_sentence(
    client, db, name, description
):
    Organization.objects.create(name=name, slug="harbor")

    channel, _ = feed_items(client, "/orgs/harbor/feed/")

    assert channel.findtext("description") == description


@pytest.mark.parametrize(
    ("name", "title", "shown_as"),
    [
        # A direction control inside a tag (pages show it as text) was dropped after the tags.
        (
            "Acme <\u2066script>alert(1)<\u2066/script>",
            "Welder <\u202eimg src=x onerror=alert(1)>",
            "Welder  — Acme alert(1)",
        ),
        # A tag left open, which strip_tags() keeps, loses its "<".
        (
            "Acme <img src=x onerror=alert(1)",
            "Welder <<svg onload=alert(1) x=",
            "Welder svg onload=alert(1) x= — Acme img src=x onerror=alert(1)",
        ),
    ],
)
def test_a_name_or_title_with_a_tag_in_disguise_is_no_tag_in_the_feeds(
    client, db, name, title, shown_as
):
    """Readers may take a feed's titles and categories as HTML, in markup of their own, and an
    org's name is anyone's to type: no tag may start in them once their XML is read."""
    org = Organization.objects.create(name=name, slug="acme", description=title)
    make_job(org, title, departments=(make_unit(Department, org, title),))

    for url in ("/jobs/feed/", "/orgs/acme/feed/"):
        channel, items = feed_items(client, url)
        texts = [channel.findtext("title"), channel.findtext("description")]
        for item in items:
            texts += [item.findtext("title"), *(c.text for c in item.findall("category"))]
        for text in texts:
            assert not re.search(r"<[A-Za-z!/?]", text), (url, text)
    assert items[0].findtext("title") == shown_as


@pytest.mark.parametrize(
    ("content", "excerpt"),
    [
        # Greenhouse's intro, blank, and the pay range of a board with pay transparency: the
        # excerpt was read from the intro alone.
        (
            escape(
                '<div class="content-intro"><p>&nbsp;</p></div>'
                '<div class="content-pay-transparency"><div class="pay-input">'
                '<div class="title">Pay for this role</div><div class="pay-range">'
                '<span>$100,000</span><span class="divider">&mdash;</span>'
                "<span>$120,000 USD</span></div></div></div>"
            ),
            "Pay for this role $100,000—$120,000 USD",
        ),
        ("&lt;p&gt;\u200b&lt;/p&gt;", ""),  # it was that zero-width space
    ],
    ids=["pay-range-after-a-blank-intro", "zero-width-space"],
)
def test_a_feed_item_and_jobs_json_give_the_text_a_post_shows_for_its_excerpt(
    client, acme, fake_greenhouse, content, excerpt
):
    post = fake_greenhouse.jobs("acme-robotics")[0]
    post["content"] = content
    fake_greenhouse.touch("acme-robotics")
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).ok
    job = Job.objects.get(greenhouse_id=post["id"])

    _, items = feed_items(client, "/orgs/acme/feed/")
    listed = client.get("/orgs/acme/jobs.json").json()["jobs"]

    (item,) = (item for item in items if item.findtext("guid").endswith(f"/{post['id']}/"))
    assert item.findtext("description") == escape(excerpt) == escape(job.excerpt)
    assert [entry["excerpt"] for entry in listed if entry["id"] == post["id"]] == [excerpt]


def test_a_feed_holds_the_50_newest_jobs(client, db):
    org = Organization.objects.create(name="Big Co", slug="big")
    for n in range(55):
        make_job(org, f"Role {n}")

    assert len(feed_items(client, "/jobs/feed/")[1]) == 50


@pytest.mark.parametrize("feed", [AllJobsFeed(), OrganizationJobsFeed()], ids=["all", "org"])
def test_a_feed_item_is_updated_by_an_edit_here_after_greenhouse(rf, db, feed):
    """As the sitemap dates its page (Job.last_changed_at): it was Greenhouse's date alone.
    RSS 2.0 items carry no such date, so only the feed's data holds it, and an Atom feed's
    <updated> would print it."""
    organization = Organization.objects.create(name="Harbor Tools", slug="harbor")
    now = timezone.now()
    dates = {
        "Edited": (now - timedelta(days=9), now - timedelta(days=1)),
        "Edited before": (now - timedelta(days=2), now - timedelta(days=5)),
        "Never edited": (now - timedelta(days=3), None),
    }
    for title, (greenhouse, here) in dates.items():
        make_job(organization, title, greenhouse_updated_at=greenhouse, site_edited_at=here)

    items = feed.get_feed(organization, rf.get("/")).items

    assert {item["title"].partition(" — ")[0]: item["updateddate"] for item in items} == {
        "Edited": dates["Edited"][1],
        "Edited before": dates["Edited before"][0],
        "Never edited": dates["Never edited"][0],
    }


def test_the_feed_of_an_unknown_org_is_404(client, db):
    assert client.get("/orgs/nobody/feed/").status_code == 404


# --- Sitemap ----------------------------------------------------------------------------------


def test_the_sitemap_lists_org_pages_and_open_job_pages_with_lastmod(client, synced_acme):
    closed = Job.objects.get(title="Field Service Technician")
    Job.objects.filter(pk=closed.pk).update(is_open=False)
    hidden = Job.objects.get(title="People Operations Partner")
    Job.objects.filter(pk=hidden.pk).update(hidden=True)
    quiet = Organization.objects.create(name="Quiet", slug="quiet")

    lastmods = sitemap_entries(client)

    open_jobs = Job.objects.listed()
    assert set(lastmods) == {
        "http://testserver/orgs/acme/",
        "http://testserver/orgs/quiet/",
        *(f"http://testserver/orgs/acme/jobs/{job.greenhouse_id}/" for job in open_jobs),
    }
    for job in open_jobs:
        url = f"http://testserver/orgs/acme/jobs/{job.greenhouse_id}/"
        # The sync that brought it here, months after its post's last change in Greenhouse.
        assert lastmods[url] == timezone.localdate(job.synced_at).isoformat()
    # An org page is dated by its listing (its last change here), not by its newest job: that
    # date would not move when a job left the page.
    synced_acme.refresh_from_db()
    assert (
        lastmods["http://testserver/orgs/acme/"]
        == synced_acme.listing_changed_at.date().isoformat()
    )
    assert lastmods["http://testserver/orgs/quiet/"] == quiet.listing_changed_at.date().isoformat()


def test_a_job_a_sync_reopens_is_dated_in_the_sitemap_by_that_sync(
    client, acme, synced_acme, fake_greenhouse
):
    """Its page was a 410 until then: dated by its post's last change in Greenhouse, months
    before, a crawler that saw the 410 was told the page had not changed since. The sync that
    closed it is the one that last wrote it, too (Django's admin shows when)."""
    job = Job.objects.get(title="Field Service Technician")
    last_year = timezone.now() - timedelta(days=365)
    posts = fake_greenhouse.jobs("acme-robotics")
    post = next(p for p in posts if p["id"] == job.greenhouse_id)
    posts.remove(post)
    fake_greenhouse.touch("acme-robotics")
    Job.objects.filter(pk=job.pk).update(synced_at=last_year)
    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.closed == 1
    job.refresh_from_db()
    assert job.synced_at > last_year
    posts.append(post)
    fake_greenhouse.touch("acme-robotics")
    Job.objects.filter(pk=job.pk).update(synced_at=last_year)  # closed last year

    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.reopened == 1

    job.refresh_from_db()
    assert job.greenhouse_updated_at.date() < job.synced_at.date()  # the post's, months ago
    lastmod = sitemap_entries(client)[f"http://testserver{job.get_absolute_url()}"]
    assert lastmod == timezone.localdate(job.synced_at).isoformat()


def test_a_change_a_sync_brings_days_late_is_dated_in_the_sitemap_by_that_sync(
    client, acme, synced_acme, fake_greenhouse
):
    """Made in Greenhouse while the org's syncing was paused (or failing), it reaches the page
    days later: dated by Greenhouse's change alone, a crawler that saw the page in between was
    told it had not changed since."""
    job = Job.objects.get(title="Field Service Technician")
    three_days_ago = timezone.now() - timedelta(days=3)
    post = next(p for p in fake_greenhouse.jobs("acme-robotics") if p["id"] == job.greenhouse_id)
    post.update(title="Field Service Engineer", updated_at=three_days_ago.isoformat())
    fake_greenhouse.touch("acme-robotics")
    Job.objects.filter(pk=job.pk).update(synced_at=three_days_ago - timedelta(days=1))

    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1

    job.refresh_from_db()
    assert job.greenhouse_updated_at == three_days_ago
    lastmod = sitemap_entries(client)[f"http://testserver{job.get_absolute_url()}"]
    assert lastmod == timezone.localdate(job.synced_at).isoformat()


def test_a_post_dated_ahead_is_published_dated_by_the_sync_that_read_it(
    client, rf, acme, synced_acme, fake_greenhouse
):
    """Greenhouse's clock may run up to a day ahead of ours (CLOCK_MARGIN), and the sync keeps
    its dates: the sitemap's lastmod and the feeds' dates said tomorrow, a change not yet made."""
    job = Job.objects.get(title="Field Service Technician")
    ahead = timezone.now().replace(microsecond=0) + timedelta(hours=23, minutes=59)
    post = next(p for p in fake_greenhouse.jobs("acme-robotics") if p["id"] == job.greenhouse_id)
    post.update(updated_at=ahead.isoformat(), first_published=ahead.isoformat())
    fake_greenhouse.touch("acme-robotics")

    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1

    job.refresh_from_db()
    assert job.greenhouse_updated_at == job.first_published_at == ahead  # stored as sent
    lastmod = sitemap_entries(client)[f"http://testserver{job.get_absolute_url()}"]
    assert lastmod == timezone.localdate(job.synced_at).isoformat()
    for feed in (AllJobsFeed(), OrganizationJobsFeed()):
        items = feed.get_feed(synced_acme, rf.get("/")).items
        (item,) = (i for i in items if i["link"].endswith(job.get_absolute_url()))
        assert item["pubdate"] == item["updateddate"] == job.synced_at < ahead


def test_a_post_published_ahead_tells_crawlers_on_its_page_it_was_posted_by_the_sync(
    client, acme, synced_acme, fake_greenhouse
):
    """The JobPosting's datePosted said tomorrow, as the feeds' pubDate did, where they now
    say the sync that read it: a search engine was told of a job not yet posted."""
    job = Job.objects.get(title="Field Service Technician")
    ahead = timezone.now().replace(microsecond=0) + timedelta(hours=23, minutes=59)
    post = next(p for p in fake_greenhouse.jobs("acme-robotics") if p["id"] == job.greenhouse_id)
    post.update(first_published=ahead.isoformat())
    fake_greenhouse.touch("acme-robotics")

    assert sync_organization(acme, trigger=SyncRun.Trigger.COMMAND).counts.updated == 1

    job.refresh_from_db()
    assert job.first_published_at == ahead  # stored as sent
    data = structured_data(job_page(client, job.title))
    assert datetime.fromisoformat(data["datePosted"]) == job.synced_at < ahead


def test_robots_txt_points_crawlers_to_the_sitemap_and_away_from_sign_in_pages(client, db):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert {"Disallow: /manage/", "Disallow: /accounts/", "Disallow: /admin/"} <= set(lines)
    assert "Disallow: /" not in lines  # visitor pages stay open to crawlers


def test_the_sitemap_is_an_index_of_sections_cut_into_pages(client, synced_acme, monkeypatch):
    """A sitemap file holds at most 50,000 addresses: a big site's jobs need several."""
    monkeypatch.setattr(JobSitemap, "limit", 2)
    jobs = Job.objects.listed()

    index = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 (our own response)

    pages = [loc.text for loc in index.findall("sm:sitemap/sm:loc", SITEMAP_NS)]
    assert pages == [
        "http://testserver/sitemap-organizations.xml",
        "http://testserver/sitemap-jobs.xml",
        "http://testserver/sitemap-jobs.xml?p=2",
        "http://testserver/sitemap-jobs.xml?p=3",
    ]
    synced_acme.refresh_from_db()
    assert {lastmod.text for lastmod in index.iter(f"{{{SITEMAP_NS['sm']}}}lastmod")} == {
        synced_acme.listing_changed_at.isoformat()
    }
    assert len(sitemap_entries(client)) == jobs.count() + 1  # and each once
    assert client.get("/sitemap-jobs.xml?p=4").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


@pytest.mark.parametrize("page", ["%EF%BC%91", "%D9%A1", "%201", "1%20", "%2B1", "01"])
def test_a_sitemap_page_number_not_written_as_the_index_writes_it_is_a_404(
    client, synced_acme, page
):
    """Django's sitemap reads it with int(): a full-width "１", an Arabic-Indic "١", " 1", "1 ",
    "+1" or "01" answered page 1 with a 200 at another address."""
    assert client.get(f"/sitemap-jobs.xml?p={page}").status_code == 404
    assert client.get("/sitemap-jobs.xml?p=1").status_code == 200


def test_the_sitemap_index_reads_no_job_one_by_one(client, synced_acme, monkeypatch):
    """Its lastmod is one aggregate per section: Django's default reads every item's lastmod,
    every open job of the site, to find the newest."""

    def read_one_by_one(self, item):
        raise AssertionError("the index read an item's lastmod")

    for section in (JobSitemap, OrganizationSitemap):
        monkeypatch.setattr(section, "lastmod", read_one_by_one)

    assert client.get("/sitemap.xml").status_code == 200


def test_the_sitemap_index_reads_the_listings_date_once_for_all_its_sections(
    client, synced_acme, monkeypatch, django_assert_num_queries
):
    """The date the index gives each section is the site's listing's (three queries: the orgs'
    last change, the last org deleted, the last deadline passed), read once, not once for each;
    then one count of each section's items, for its pages. What it lists: the test above."""
    monkeypatch.setattr(JobSitemap, "limit", 2)

    with django_assert_num_queries(5):
        response = client.get("/sitemap.xml")

    assert response.status_code == 200 and response.content.count(b"<sitemap>") == 4


# --- Last-Modified: a job that leaves moves it ------------------------------------------------

# What feed readers and crawlers poll with If-Modified-Since.
DATED_URLS = [
    "/orgs/acme/feed/",
    "/orgs/acme/jobs.json",
    "/jobs/feed/",
    "/sitemap.xml",
    "/sitemap-organizations.xml",
    "/sitemap-jobs.xml",
]


def hidden_by_its_admins(client, job: Job, fake_greenhouse) -> None:
    admin = type(client)()
    admin.login(username="alice", password="correct horse battery")
    response = admin.post(f"/manage/acme/jobs/{job.pk}/edit/", {"hidden": "on", "tags": ""})
    assert response.status_code == 302


def hidden_in_djangos_admin(client, job: Job, fake_greenhouse) -> None:
    admin = type(client)()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    response = admin.post(
        f"/admin/jobs/job/{job.pk}/change/", {"hidden": "on", "remote_policy": "", "tags": ""}
    )
    assert response.status_code == 302


def closed_by_a_sync(client, job: Job, fake_greenhouse) -> None:
    posts = fake_greenhouse.jobs("acme-robotics")
    posts.remove(next(post for post in posts if post["id"] == job.greenhouse_id))
    fake_greenhouse.touch("acme-robotics")
    result = sync_organization(job.organization.greenhouse, trigger=SyncRun.Trigger.COMMAND)
    assert result.counts.closed == 1


def closed_by_a_disconnect(client, job: Job, fake_greenhouse) -> None:
    admin = type(client)()
    admin.login(username="alice", password="correct horse battery")
    assert admin.post("/manage/acme/disconnect/").status_code == 302


def last_modified(response) -> datetime:
    return parsedate_to_datetime(response["Last-Modified"])


@pytest.mark.parametrize(
    "leave",
    [hidden_by_its_admins, hidden_in_djangos_admin, closed_by_a_sync, closed_by_a_disconnect],
)
def test_a_job_that_leaves_the_listing_moves_the_last_modified_of_feeds_and_sitemap(
    client, owner, synced_acme, fake_greenhouse, leave, django_capture_on_commit_callbacks
):
    """The newest date of the jobs still listed does not move when one leaves: a reader asking
    If-Modified-Since was answered 304 and kept the job. Done within the second of the sync
    that listed it, as a reader's copy may be: HTTP dates count whole seconds."""
    job = Job.objects.get(title="Field Service Technician")
    job_path = f"/orgs/acme/jobs/{job.greenhouse_id}/"
    before = {url: client.get(url) for url in DATED_URLS}

    with django_capture_on_commit_callbacks(execute=True):  # the admin's pages refresh then
        leave(client, job, fake_greenhouse)

    for url, first in before.items():
        response = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
        assert response.status_code == 200, url
        assert last_modified(response) > last_modified(first), url
        assert job_path not in response.content.decode(), url
    for url in ("/orgs/acme/feed/", "/jobs/feed/", "/sitemap-jobs.xml"):  # those that listed it
        first = before[url]
        assert job_path in first.content.decode(), url
        headers = {"If-Modified-Since": first["Last-Modified"], "If-None-Match": first["ETag"]}
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and job_path not in response.content.decode(), url


def deleted_by_its_admins(client, organization: Organization) -> None:
    admin = type(client)()
    admin.login(username="alice", password="correct horse battery")
    response = admin.post(f"/manage/{organization.slug}/delete/", {"confirm": organization.slug})
    assert response.status_code == 302


def deleted_in_djangos_admin(client, organization: Organization) -> None:
    admin = type(client)()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    response = admin.post(f"/admin/jobs/organization/{organization.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302


@pytest.mark.parametrize("delete", [deleted_by_its_admins, deleted_in_djangos_admin])
def test_deleting_an_org_moves_the_last_modified_of_the_site_wide_feed_and_sitemap(
    client, owner, synced_acme, delete, django_capture_on_commit_callbacks
):
    """Its jobs leave them, and its date with them: the newest date of the orgs left did not
    move, and a reader asking If-Modified-Since was answered 304 and kept the jobs. Done within
    the second of the sync that listed them, as a reader's copy may be."""
    quiet = Organization.objects.create(name="Quiet", slug="quiet")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Organization.objects.filter(pk=quiet.pk).update(listing_changed_at=an_hour_ago)
    site_wide = [url for url in DATED_URLS if not url.startswith("/orgs/")]
    before = {url: client.get(url) for url in site_wide}  # cached pages too

    with django_capture_on_commit_callbacks(execute=True):  # pages are refreshed once committed
        delete(client, synced_acme)

    for url, first in before.items():
        response = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
        assert response.status_code == 200, url
        assert last_modified(response) > last_modified(first), url
        if url != "/sitemap.xml":  # the index lists sections, dated as their Last-Modified
            assert "/orgs/acme/" in first.content.decode(), url
            assert "/orgs/acme/" not in response.content.decode(), url


def test_a_deadline_passing_moves_the_last_modified_to_the_deadline(client, synced_acme):
    """Nothing is written when a deadline passes, yet the job leaves every list and feed."""
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Organization.objects.filter(pk=synced_acme.pk).update(listing_changed_at=an_hour_ago)
    before = {url: client.get(url) for url in DATED_URLS}
    deadline = (timezone.now() - timedelta(minutes=1)).replace(microsecond=0)
    Job.objects.filter(title="Field Service Technician").update(application_deadline=deadline)
    cache.clear()  # cached pages show it within PUBLIC_PAGE_CACHE_SECONDS (README)

    for url, first in before.items():
        assert last_modified(first) == an_hour_ago.replace(microsecond=0), url
        response = client.get(url, headers={"If-Modified-Since": first["Last-Modified"]})
        assert response.status_code == 200 and last_modified(response) == deadline, url
    assert "Field Service Technician" not in client.get("/orgs/acme/feed/").content.decode()


def test_a_deadline_passing_dates_its_own_orgs_pages_and_no_others(client, synced_acme):
    """Acme's sitemap entry moves to the deadline with its feed; another org's stay."""
    quiet = Organization.objects.create(name="Quiet", slug="quiet")
    days_ago = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    Organization.objects.update(listing_changed_at=days_ago)
    deadline = (timezone.now() - timedelta(minutes=1)).replace(microsecond=0)
    Job.objects.filter(title="Field Service Technician").update(application_deadline=deadline)

    entries = sitemap_entries(client)  # dated by the day
    assert entries["http://testserver/orgs/acme/"] == str(timezone.localdate(deadline))
    assert entries["http://testserver/orgs/quiet/"] == str(timezone.localdate(days_ago))
    assert last_modified(client.get(f"/orgs/{quiet.slug}/feed/")) == days_ago


def test_an_edit_that_changes_nothing_keeps_the_last_modified(client, owner, synced_acme):
    job = Job.objects.get(title="Field Service Technician")
    first = client.get("/orgs/acme/feed/")
    admin = type(client)()
    admin.login(username="alice", password="correct horse battery")

    assert admin.post(f"/manage/acme/jobs/{job.pk}/edit/", {"tags": ""}).status_code == 302

    response = client.get("/orgs/acme/feed/", headers={"If-Modified-Since": first["Last-Modified"]})
    assert response.status_code == 304

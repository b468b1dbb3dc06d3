"""A visitor in a real browser (Debian's Chromium): home, search, filters, a job, Apply.

Screenshots of the jobs list and a job page, at desktop and phone widths, are kept under
test-artifacts/ for people to look at.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect

from jobs.models import Department, Job, Organization, SyncRun
from jobs.sync import sync_organization
from jobs.text import first_strong_direction
from tests.support.browser import contrast, fits_the_screen, save_screenshot, wait_until_true
from tests.support.helpers import make_connection
from tests.support.public_jobs import make_job, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def boards(fake_greenhouse):
    for slug, token, name in (
        ("acme", "acme-robotics", "Acme Robotics"),
        ("liberte", "liberte-sante", "Liberté Santé"),
    ):
        sync_organization(make_connection(slug, token, name=name), trigger=SyncRun.Trigger.COMMAND)


def computed(locator, name: str) -> str:
    return locator.evaluate("(element, name) => getComputedStyle(element)[name]", name)


def test_a_visitor_searches_filters_and_reaches_the_apply_link(live_server, page, boards):
    job = Job.objects.get(title="Senior Platform Engineer")

    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Find an open job", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Acme Robotics")).to_be_visible()

    # Search from the home page with the keyboard.
    page.get_by_label("Search open jobs").fill("engineer")
    page.get_by_label("Search open jobs").press("Enter")
    expect(page).to_have_url(re.compile(r"/jobs/\?q=engineer$"))
    expect(page.locator(".match-count")).to_contain_text("jobs match")
    expect(
        page.get_by_role("link", name="Robotics Software Engineer, Motion Planning")
    ).to_be_visible()

    # Narrow down by department and location; the filters land in the address.
    page.get_by_label("Department").select_option(label="Engineering › Platform")
    page.get_by_label("Location").select_option(label="Pittsburgh, PA")
    page.get_by_role("button", name="Show jobs").click()
    expect(page.locator(".match-count")).to_contain_text("1 job matches")
    assert "location=Pittsburgh%2C+PA" in page.url and "department=" in page.url
    save_screenshot(page, "jobs-list-desktop")
    page.set_viewport_size(PHONE)
    save_screenshot(page, "jobs-list-phone")
    assert fits_the_screen(page)

    # Open the job; the Apply link goes to Greenhouse's application form.
    page.get_by_role("link", name="Senior Platform Engineer").click()
    expect(page.get_by_role("heading", name="Senior Platform Engineer", level=1)).to_be_visible()
    apply = page.get_by_role("link", name="Apply for this job").first
    expect(apply).to_have_attribute("href", job.absolute_url)
    save_screenshot(page, "job-page-phone")
    assert fits_the_screen(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    save_screenshot(page, "job-page-desktop")
    expect(page.get_by_role("complementary")).to_contain_text("Pittsburgh, PA")


def test_the_skip_link_and_filters_work_from_the_keyboard(live_server, page, boards):
    page.goto(f"{live_server.url}/jobs/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("Workplace").select_option("remote")
    page.get_by_role("button", name="Show jobs").focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"remote=remote"))
    expect(page.locator(".match-count")).to_contain_text("3 jobs match")


@pytest.mark.parametrize("kept_on_back", [False, True], ids=["loaded-again", "restored-whole"])
def test_back_shows_the_filters_the_listed_jobs_were_filtered_by(
    live_server, request, boards, kept_on_back
):
    """Back to the unfiltered list: the form there must say so, not what was chosen and sent
    from it (which the browser would otherwise put back), or the filters and jobs disagree.
    Restored whole from the back/forward cache, the page kept what was chosen in its form."""
    page = request.getfixturevalue("page_kept_on_back" if kept_on_back else "page")
    page.add_init_script(
        "addEventListener('pageshow', (event) => { window.restoredWhole = event.persisted; })"
    )
    page.goto(f"{live_server.url}/jobs/?org=acme")
    page.get_by_label("Keywords").fill("engineer")
    page.get_by_label("Workplace").select_option("hybrid")
    page.get_by_role("button", name="Show jobs").click()
    expect(page.locator(".match-count")).to_contain_text("2 jobs match")

    page.go_back(wait_until="commit")  # a page restored whole fires no load event

    expect(page.locator(".match-count")).to_contain_text("6 jobs match")
    # A page loaded again shows its list before its load event, and pageshow after it.
    wait_until_true(page, "() => 'restoredWhole' in window")
    assert page.evaluate("window.restoredWhole") is kept_on_back
    expect(page.get_by_label("Keywords")).to_have_value("")
    expect(page.get_by_label("Workplace")).to_have_value("")
    expect(page.get_by_label("Organization")).to_have_value("acme")


def test_the_focus_ring_and_the_fields_edges_stand_out_from_what_is_next_to_them(
    live_server, page, boards
):
    """WCAG 1.4.11, 3:1 at least: on the white page, on the grey filter panel, on a button."""
    page.goto(f"{live_server.url}/jobs/")
    backgrounds = [
        computed(page.locator(where), "backgroundColor") for where in ("html", ".job-filters")
    ]
    workplace = page.get_by_label("Workplace")
    button = page.get_by_role("button", name="Show jobs")

    for field in (page.get_by_label("Keywords"), workplace):
        assert min(contrast(computed(field, "borderTopColor"), bg) for bg in backgrounds) >= 3

    workplace.focus()
    page.keyboard.press("Tab")  # the ring is for the keyboard
    expect(button).to_be_focused()
    ring = computed(button, "outlineColor")
    assert computed(button, "outlineStyle") == "solid"
    assert min(contrast(ring, bg) for bg in backgrounds) >= 3
    inner_ring = computed(button, "boxShadow")
    assert contrast(inner_ring, computed(button, "backgroundColor")) >= 3


def test_long_names_without_spaces_wrap_on_a_phone_instead_of_widening_the_page(
    live_server, page, db
):
    """WCAG 1.4.10: an org's name or a Greenhouse location may be one long word (a compound, an
    address); every visitor page still fits a phone's width."""
    long_word = "Donaudampfschifffahrtsgesellschaftskapitän" * 2
    org = Organization.objects.create(name=long_word, slug="long", description=long_word)
    team = make_unit(Department, org, long_word)
    description = f"<p>https://{long_word}.example/</p><pre>{long_word}</pre>"
    job = make_job(
        org, long_word, departments=(team,), location_name=long_word, description_html=description
    )
    closed = make_job(org, "Closed", is_open=False)
    job_url, closed_url = job.get_absolute_url(), closed.get_absolute_url()
    page.set_viewport_size(PHONE)

    for path in ("/", "/jobs/", "/orgs/", "/orgs/long/", job_url, closed_url):
        page.goto(f"{live_server.url}{path}")
        assert fits_the_screen(page), path


def test_the_home_page_fits_a_narrow_phone_with_its_text_twice_as_large(live_server, page, db):
    """WCAG 1.4.4: text at 200% (a phone's font size setting) on a 320 px screen. The home
    page's column was as wide as its longest word, "Organizations" in a heading, and the page
    scrolled sideways."""
    make_job(Organization.objects.create(name="Nord", slug="nord"), "Welder")
    page.set_viewport_size({"width": 320, "height": 640})

    page.goto(f"{live_server.url}/")
    page.evaluate("document.documentElement.style.fontSize = '200%'")

    assert fits_the_screen(page)


def test_visitor_pages_fit_a_phone_with_their_text_three_times_as_large(live_server, page, db):
    """Chrome on a phone scales text up to 300%: the menu's "Organizations", the filters' column
    (as wide as its widest label or option) and the home page's Search button beside its box
    each went past the screen's edge."""
    org = Organization.objects.create(name="Nord", slug="nord")
    make_job(org, "Welder", departments=(make_unit(Department, org, "Werkstatt"),))
    page.set_viewport_size({"width": 360, "height": 640})

    for path in ("/", "/jobs/", "/orgs/", "/orgs/nord/"):
        page.goto(f"{live_server.url}{path}")
        page.evaluate("document.documentElement.style.fontSize = '300%'")
        assert fits_the_screen(page), path


def test_a_jobs_long_words_break_with_a_hyphen_in_their_language(live_server, page, db):
    """A compound wider than a phone broke anywhere, with no hyphen to say that the word goes
    on; hyphens need the language of the words (a lang on them or on the page). Links keep
    and code keep their words whole: a hyphen in an address or a command would read as part of
    it."""
    org = Organization.objects.create(name="Nord", slug="nord")
    word = "Kundenbetreuungsmitarbeiterin"
    job = make_job(
        org,
        word,
        language="de",
        description_html=(
            f'<p>{word}</p><p><a href="https://nord.example/">nord.example</a></p>'
            "<p><code>kubectl-configuration</code></p>"
        ),
    )

    def hyphens_and_language(selector: str) -> list[str]:
        return page.locator(selector).first.evaluate(
            "element => [getComputedStyle(element).hyphens, element.closest('[lang]').lang]"
        )

    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    assert hyphens_and_language("h1") == ["auto", "de"]
    assert hyphens_and_language(".job-body p") == ["auto", "de"]
    assert hyphens_and_language(".job-body a")[0] == "manual"
    assert hyphens_and_language(".job-body code")[0] == "manual"
    page.goto(f"{live_server.url}/orgs/nord/")
    assert hyphens_and_language(".job-item-title") == ["auto", "de"]


def test_a_description_wider_than_a_phone_scrolls_from_the_keyboard(live_server, page, db):
    """WCAG 2.1.1: a box that scrolls must take the keyboard focus, or Safari's keyboard cannot
    scroll it; a wide table scrolls the description, which takes it."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    wide_table = "<table><tr>" + "<td>a cell of a wide table</td>" * 12 + "</tr></table>"
    job = make_job(org, "Analyst", description_html=f"<p>Pay bands:</p>{wide_table}")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    description = page.get_by_role("region", name="Job description")

    page.get_by_role("link", name="Apply for this job").first.focus()
    page.keyboard.press("Tab")
    expect(description).to_be_focused()
    page.keyboard.press("ArrowRight")

    wait_until_true(page, "element => element.scrollLeft > 0", arg=description.element_handle())
    assert fits_the_screen(page)


def test_a_listed_jobs_line_is_read_with_a_pause_between_its_parts(live_server, page, db):
    """Its org, place, workplace, team and date, set apart only by the gaps between them, were
    read out as one phrase ("Harbor Tools Lyon Hybrid Yard Posted …"); a comma is said between
    them now, and none before the first (the org page's line starts with the place)."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    yard = make_unit(Department, org, "Yard")
    posted = datetime(2026, 12, 5, 10, tzinfo=UTC)
    make_job(
        org,
        "Welder",
        location_name="Lyon",
        remote_policy="hybrid",
        departments=(yard,),
        first_published_at=posted,
    )

    def line_as_read(url: str) -> str:
        page.goto(f"{live_server.url}{url}")
        rows = page.locator(".job-item-meta").aria_snapshot().splitlines()[1:]  # its parts
        return " ".join(row.split(": ", 1)[1] for row in rows)

    assert line_as_read("/jobs/") == "Harbor Tools , Lyon , Hybrid , Yard , Posted 5 Dec 2026"
    assert line_as_read("/orgs/harbor/") == "Lyon , Hybrid , Posted 5 Dec 2026"


@pytest.mark.parametrize(
    ("viewport", "tags"),
    [
        ({"width": 800, "height": 400}, 3),  # a laptop's browser window, short
        ({"width": 1280, "height": 800}, 60),  # a post whose panel no screen holds
    ],
)
def test_the_about_this_role_panels_apply_link_is_in_sight_once_focused(
    live_server, page, db, viewport, tags
):
    """The panel beside the description stayed in place as the page scrolled (sticky), taller
    than the screen: its Apply link, below the screen's edge, stayed there, even focused from
    the keyboard, until the description's end."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    team = make_unit(Department, org, "Operations")
    job = make_job(
        org,
        "Yard Hand",
        departments=(team,),
        location_name="Rotterdam, Netherlands",
        remote_policy="hybrid",
        compensation_note="€3,100 to €3,600 a month, with a yearly bonus",
        tags=[f"Skill {n}" for n in range(tags)],
        description_html="".join(f"<p>Paragraph {n} of the role.</p>" for n in range(80)),
    )
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    apply = page.locator(".job-facts .apply-link")

    page.locator(".job-body").get_by_text("Paragraph 10 of").scroll_into_view_if_needed()
    apply.focus()  # as Tab reaches it: the browser scrolls what it must to show it

    box = apply.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    # Where the screen is short, the panel goes by with the page, read in its place, rather
    # than in a box of its own scrolling inside it.
    scrolls_in_its_own_box = page.locator(".job-facts").evaluate(
        "panel => panel.scrollHeight > panel.clientHeight"
    )
    assert scrolls_in_its_own_box == (tags > 3)


def test_heights_of_the_screen_follow_mobile_safaris_address_bar(live_server, page, db):
    """100vh is, in mobile Safari, the screen's height with its address bar hidden: a panel as
    tall as the screen went under the bar where it shows. Every such height is 100dvh where
    the browser knows it (as Chromium does), 100vh before it for the ones that do not."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    job = make_job(org, "Yard Hand", tags=["Forklift"])
    page.goto(f"{live_server.url}{job.get_absolute_url()}")

    declarations = page.evaluate(
        """() => {
            const found = [];
            const read = (rules) => {
                for (const rule of rules) {
                    if (rule.cssRules) read(rule.cssRules);
                    if (rule.style) found.push(rule.style.cssText);
                }
            };
            for (const sheet of document.styleSheets) read(sheet.cssRules);
            return found;
        }"""
    )

    assert [d for d in declarations if re.search(r"\dvh\b", d)] == []
    assert any("100dvh" in d for d in declarations)


def test_the_about_this_role_panel_without_an_apply_link_scrolls_from_the_keyboard(
    live_server, page, db
):
    """WCAG 2.1.1: a post without an application link has no Apply link in the panel, so
    nothing in it took the focus, and where the panel scrolls in its own box (taller than a
    wide screen) Safari's keyboard could not scroll it (axe's scrollable-region-focusable)."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    job = make_job(
        org,
        "Yard Hand",
        absolute_url="",
        location_name="Rotterdam, Netherlands",
        tags=[f"Skill {n}" for n in range(120)],
        description_html="".join(f"<p>Paragraph {n} of the role.</p>" for n in range(80)),
    )
    page.add_init_script(AXE_SCRIPT)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    panel = page.get_by_role("complementary", name="About this role")
    assert panel.evaluate("panel => panel.scrollHeight > panel.clientHeight")
    expect(panel.get_by_role("link")).to_have_count(0)

    results = page.evaluate(
        "axe.run({runOnly: ['scrollable-region-focusable'], resultTypes: ['violations']})"
    )
    assert results["violations"] == []
    panel.focus()
    page.keyboard.press("PageDown")
    wait_until_true(page, "element => element.scrollTop > 0", arg=panel.element_handle())


def test_the_panel_without_an_apply_link_is_a_tab_stop_only_while_it_scrolls(live_server, page, db):
    """It took the focus on every screen, for Safari's keyboard where it scrolls in its own box:
    on a phone, in a short window or beside a short post, where it does not, it was a stop of
    the Tab key with nothing to do there. Its script looks again as the window changes, and
    leaves it focusable while it has the focus."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    long = make_job(
        org,
        "Yard Hand",
        absolute_url="",
        tags=[f"Skill {n}" for n in range(120)],
        description_html="".join(f"<p>Paragraph {n} of the role.</p>" for n in range(80)),
    )
    short = make_job(org, "Deck Hand", absolute_url="", tags=["Forklift"])
    no_tab_stop = "panel => !panel.hasAttribute('tabindex')"
    scrolls = "panel => panel.scrollHeight > panel.clientHeight"
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{long.get_absolute_url()}")
    panel = page.get_by_role("complementary", name="About this role")
    assert panel.get_attribute("data-focusable-while-it-scrolls") == ""

    wait_until_true(page, no_tab_stop, arg=panel.element_handle())
    assert not panel.evaluate(scrolls)
    page.set_viewport_size({"width": 1280, "height": 800})
    wait_until_true(page, "panel => panel.tabIndex === 0", arg=panel.element_handle())
    assert panel.evaluate(scrolls)
    panel.focus()
    page.set_viewport_size(PHONE)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert panel.evaluate("panel => document.activeElement === panel && panel.tabIndex === 0")
    page.locator(".job-org a").focus()  # the focus leaves it
    wait_until_true(page, no_tab_stop, arg=panel.element_handle())

    page.set_viewport_size({"width": 1280, "height": 800})
    wait_until_true(page, "panel => panel.tabIndex === 0", arg=panel.element_handle())
    # Taller, the window has room for all of it: the panel grows, and nothing in it changes.
    tall = panel.evaluate("panel => panel.scrollHeight") + 200
    page.set_viewport_size({"width": 1280, "height": tall})
    wait_until_true(page, no_tab_stop, arg=panel.element_handle())
    page.set_viewport_size({"width": 1280, "height": 800})
    wait_until_true(page, "panel => panel.tabIndex === 0", arg=panel.element_handle())

    page.goto(f"{live_server.url}{short.get_absolute_url()}")
    wait_until_true(page, no_tab_stop, arg=panel.element_handle())
    assert not panel.evaluate(scrolls)


def test_a_descriptions_nested_lists_and_quotes_keep_their_words_on_a_narrow_phone(
    live_server, page, db
):
    """WCAG 1.4.10: each level of a list, a definition or a quote indented by the browser's 40px
    (a quote on both sides), so that on a 320 px phone a list 7 levels deep or a quote 4 deep
    (an email pasted into a post) left its words no width, or pushed them past the screen's
    edge, cut off by the description's box."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    nested = {
        "list": "<ul><li>" * 7 + "<span>Forklift licence</span>" + "</li></ul>" * 7,
        "numbered list": "<ol><li>" * 7 + "<span>Forklift licence</span>" + "</li></ol>" * 7,
        "definition": "<dl><dd>" * 7 + "<span>Forklift licence</span>" + "</dd></dl>" * 7,
        "quote": "<blockquote>" * 4 + "<p><span>Forklift licence</span></p>" + "</blockquote>" * 4,
    }
    job = make_job(org, "Yard Hand", description_html="".join(nested.values()))
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}{job.get_absolute_url()}")

    boxes = page.locator(".job-body span").evaluate_all(
        "spans => spans.map(span => span.parentElement.getBoundingClientRect())"
    )
    squeezed = {
        kind: (round(box["left"]), round(box["right"]))
        for kind, box in zip(nested, boxes, strict=True)
        if box["right"] > 320 or box["width"] < 100
    }
    assert squeezed == {}


def test_a_descriptions_paragraphs_are_laid_out_in_the_direction_of_most_of_its_letters(
    live_server, page, db
):
    """With dir="auto", all of them took the direction of the first letter: the English
    paragraphs after a Hebrew place stood on the right, their full stops on the left."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    english = make_job(
        org, "Developer", description_html="<p>תל אביב | Hybrid</p><p>We build tools.</p>"
    )
    hebrew = make_job(
        org, "מפתח/ת", description_html="<p>React ו-TypeScript</p><p>צוות קטן של מפתחים.</p>"
    )
    directions = {}
    for job in (english, hebrew):
        page.goto(f"{live_server.url}{job.get_absolute_url()}")
        paragraphs = page.locator(".job-body p")
        directions[job.title] = paragraphs.evaluate_all(
            "paragraphs => paragraphs.map((p) => getComputedStyle(p).direction)"
        )

    assert directions == {"Developer": ["ltr", "ltr"], "מפתח/ת": ["rtl", "rtl"]}


def test_a_closed_jobs_notice_looks_like_the_sites_other_notices(live_server, page, db):
    """The `notice` of job_closed.html had no style: its box was a near copy of a warning
    message's (.message.warning in site.css), padded apart, two rules to keep alike by hand."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    job = make_job(org, "Analyst", is_open=False)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    # A warning message as base.html shows one after a form, beside the notice.
    page.locator("main").evaluate(
        """main => main.insertAdjacentHTML('afterbegin',
        '<div class="messages"><ul><li class="message warning">Saved.</li></ul></div>')"""
    )
    notice, message = page.locator("main .notice"), page.locator("main .message")

    for name in (
        "backgroundColor",
        "borderLeftColor",
        "borderLeftWidth",
        "borderTopLeftRadius",
        "paddingTop",
        "paddingLeft",
    ):
        assert computed(notice, name) == computed(message, name), name


def test_a_link_the_sanitizer_left_without_an_address_reads_as_the_text_around_it(
    live_server, page, db
):
    """A description's `<a>` loses its href when the address is not allowed (javascript:), and
    Word's bookmarks (`<a name="_Toc1">`) never had one: nothing to follow, so nothing may look
    like a link, where it took the links' colour."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    description = (
        '<p>Read <a rel="noopener noreferrer nofollow">our handbook</a> or '
        '<a href="https://harbor.example/jobs">our jobs</a>.</p>'
    )
    job = make_job(org, "Analyst", description_html=description)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    paragraph = page.locator(".job-body p")
    no_address = paragraph.locator("a:not([href])")
    link = paragraph.get_by_role("link", name="our jobs")

    assert computed(no_address, "color") == computed(paragraph, "color")
    assert computed(link, "color") != computed(paragraph, "color")


def test_a_names_direction_is_the_one_chromium_gives_its_bdi(page):
    """names_direction_attribute() stands in for dir="auto", which passes over each name's
    <bdi>: it must read a name as the <bdi> does, a letter inside an isolate included."""
    names = [
        "\u2067Engineering\u2069 הנדסה",
        "\u2066הנדסה\u2069 Engineering",
        "\u2068R&D\u2069 مختبر",
        "\u202eEngineering",
        "123 הנדסה",
    ]
    page.set_content("".join(f"<bdi>{escape(name)}</bdi>" for name in names))

    taken = page.locator("bdi").evaluate_all(
        "bdis => bdis.map(bdi => bdi.matches(':dir(rtl)') ? 'rtl' : 'ltr')"
    )

    assert taken == [first_strong_direction(name) for name in names]


# For the element given and a copy of the option's text and dir beside it, the left edge of
# each letter shown (not the isolates), from each one's own left.
LETTERS_LAID_OUT = """([reference, option]) => {
  const lines = [reference.cloneNode(true), document.createElement("span")];
  lines[1].textContent = option.textContent;
  lines[1].dir = option.dir;
  return lines.map((line) => {
    line.removeAttribute("class");
    const block = document.createElement("div");
    block.append(line);
    document.body.append(block);
    const start = line.getBoundingClientRect().left;
    const edges = [];
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      for (let index = 0; index < text.length; index++) {
        if (/[\\u2066-\\u2069]/.test(text.data[index])) continue;
        const range = document.createRange();
        range.setStart(text, index);
        range.setEnd(text, index + 1);
        edges.push(Math.round(range.getBoundingClientRect().left - start));
      }
    }
    return edges;
  });
}"""


@pytest.mark.parametrize(
    "path",
    [
        ("הנדסה", "Backend", "Platform"),
        ("Sales (EMEA)", "מכירות 3", "4"),
        ("فريق 3", "QA"),
        ("הנדסה (R&D)", "Backend 2"),
        ("123", "הנדסה"),
    ],
)
def test_the_department_filter_lays_a_path_out_as_the_jobs_line_does(live_server, page, path):
    """An <option> holds no <bdi>: its text lays the path out as the job's line does, each
    name in a <bdi>, where "הנדסה › Backend › Platform" read parent leftmost."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    parent = None
    for name in path:
        above = {"parent_greenhouse_id": parent.greenhouse_id} if parent else {}
        parent = make_unit(Department, org, name, **above)
    make_job(org, "Analyst", departments=(parent,))
    page.goto(f"{live_server.url}/jobs/")

    option = page.locator(f'#filter-department option[value="{parent.pk}"]').element_handle()
    line_path = page.locator(".job-item-department").element_handle()
    on_the_line, in_the_option = page.evaluate(LETTERS_LAID_OUT, [line_path, option])

    assert len(on_the_line) == len(in_the_option)
    assert all(
        abs(line - option) <= 1 for line, option in zip(on_the_line, in_the_option, strict=True)
    )


def test_a_department_is_found_in_the_filter_by_typing_its_first_letter(live_server, page):
    """A browser selects the option whose text starts with the letters typed: one that started
    with an isolate (RLI), to lay a right-to-left path out, was never found so."""
    org = Organization.objects.create(name="Harbor Tools", slug="harbor")
    for name in ("Sales", "הנדסה", "תפעול"):
        make_job(org, "Analyst", departments=(make_unit(Department, org, name),))
    keyboard = page.context.new_cdp_session(page)  # a key's text beyond the US layout

    def option_found_by_typing(letter: str) -> str:
        page.goto(f"{live_server.url}/jobs/")  # what was typed before is forgotten
        select = page.locator("#filter-department")
        select.focus()
        keyboard.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": letter})
        keyboard.send("Input.dispatchKeyEvent", {"type": "keyUp"})
        return select.evaluate("select => select.selectedOptions[0].textContent")

    assert option_found_by_typing("ת") == "תפעול"
    assert option_found_by_typing("ה") == "הנדסה"
    assert option_found_by_typing("S") == "Sales"


@pytest.mark.parametrize(
    ("organization_name", "location_name"),
    [("חברת הייטק (Israel)", "תל אביב-יפו, Israel"), ("شركة 3 (UAE)", "دبي - Remote")],
)
def test_the_organization_and_location_filters_lay_a_name_out_as_the_jobs_line_does(
    live_server, page, organization_name, location_name
):
    """Their options had no dir: a right-to-left name followed by Latin letters read
    "תל אביב-יפו, Israel" left to right in the list, "Israel ,..." in the job's <bdi>."""
    org = Organization.objects.create(name=organization_name, slug="harbor")
    make_job(org, "Analyst", location_name=location_name)
    page.goto(f"{live_server.url}/jobs/")

    for option, on_the_line in (
        ('#filter-org option[value="harbor"]', ".job-item-org bdi"),
        ("#filter-location option:nth-child(2)", ".job-item-meta > span:not([class]) > bdi"),
    ):
        line, option_copy = page.evaluate(
            LETTERS_LAID_OUT,
            [page.locator(on_the_line).element_handle(), page.locator(option).element_handle()],
        )
        assert line == option_copy, option

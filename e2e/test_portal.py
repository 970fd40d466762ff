"""A citizen's walk through the portal, in Chinese, in English, in elderly mode and on a small phone.

Every page visited is checked with axe-core (no violations) and saved as a screenshot in e2e/artifacts/.
"""

import re

import pytest

pytestmark = pytest.mark.browser

QUERY = "生孩子"  # colloquial: the catalogue says 出生 / 新生儿 / 生育
SMALL = 360


def no_horizontal_overflow(page, width=SMALL):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width}px wide at a {width}px viewport"


def walk(page, audit, prefix, *, small=False):
    """home → colloquial query → results → an item guide → its life event; checks on every page."""
    page.goto("/")
    audit(page, f"{prefix}-1-home")
    if small:
        no_horizontal_overflow(page)

    box = page.locator("#search-q")
    box.click()
    box.press_sequentially(QUERY, delay=40)
    suggestions = page.locator("#search-suggestions .suggestion-list a")
    suggestions.first.wait_for(state="visible")
    audit(page, f"{prefix}-2-suggestions")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    results = page.locator(".result-list .result")
    assert results.count() > 0
    # the life event for a birth is found from the colloquial words
    assert page.locator(".result-list").get_by_text("新生儿出生一件事").count() >= 1
    audit(page, f"{prefix}-3-results")
    if small:
        no_horizontal_overflow(page)

    page.locator(".result:has(.kind-item) .result-title a", has_text="出生登记").first.click()
    page.wait_for_url(re.compile(r"/items/GAJ-QR-0001$"))  # through /search/click/… and its redirect
    assert page.locator("h1").inner_text() == "出生登记"
    assert page.locator(".held-badge").count() >= 1
    audit(page, f"{prefix}-4-item")
    if small:
        no_horizontal_overflow(page)

    page.locator("#life-events a", has_text="新生儿出生一件事").click()
    page.wait_for_url(re.compile(r"/life-events/newborn_birth$"))
    assert page.locator(".savings-table").is_visible()
    audit(page, f"{prefix}-5-life-event")
    if small:
        no_horizontal_overflow(page)


def test_walk_in_chinese(page, audit):
    walk(page, audit, "zh")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"


def test_walk_in_english_switched_through_the_ui(page, audit):
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="简体中文").is_visible()
    walk(page, audit, "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#savings-title").inner_text() == "What applying once saves"
    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="Life events").is_visible()


def test_elderly_mode_persists(page, audit):
    page.goto("/")
    toggle = page.get_by_role("button", name="长者模式")
    assert toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    page.wait_for_load_state("load")
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    assert page.get_by_role("button", name="长者模式").get_attribute("aria-pressed") == "true"
    base_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert base_size >= 20
    audit(page, "elderly-1-home")

    # remembered on the next page, reached through a link
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="一件事").click()
    page.wait_for_url(re.compile(r"/life-events$"))
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    audit(page, "elderly-2-life-events")

    page.goto("/items/GAJ-QR-0001")
    assert page.locator(".secondary-col").is_hidden()  # the table of contents column is dropped
    min_button = page.evaluate(
        "Math.min(...[...document.querySelectorAll('main .btn')].filter(b => b.offsetParent)"
        ".map(b => b.getBoundingClientRect().height))")
    assert min_button >= 44
    audit(page, "elderly-3-item")
    page.goto("/search?q=" + QUERY)
    audit(page, "elderly-4-results")

    page.get_by_role("button", name="长者模式").click()
    page.wait_for_load_state("load")
    assert "elderly" not in (page.locator("body").get_attribute("class") or "")


def test_small_screen(context_factory, audit):
    page = context_factory(width=SMALL, height=780).new_page()
    walk(page, audit, "small", small=True)
    for path in ("/departments", "/targets/person", "/life-events", "/search", "/items/BDC-QR-0001",
                 "/items/GAJ-QR-0001/print", "/accounts/login/", "/no-such-page"):
        page.goto(path)
        no_horizontal_overflow(page)


def test_small_screen_in_elderly_mode(context_factory, audit):
    page = context_factory(width=SMALL, height=780).new_page()
    page.goto("/")
    page.get_by_role("button", name="长者模式").click()
    page.wait_for_load_state("load")
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    for index, path in enumerate(("/", "/search?q=" + QUERY, "/items/GAJ-QR-0001", "/life-events/newborn_birth",
                                  "/departments")):
        page.goto(path)
        no_horizontal_overflow(page)
        audit(page, f"small-elderly-{index + 1}")


@pytest.mark.parametrize("path", [
    "/departments", "/departments/GAJ", "/targets/person", "/targets/legal", "/life-events", "/search",
    "/search?q=%E7%99%BB%E8%AE%B0&page=2", "/search?q=zzzzqqq", "/items/BDC-QR-0001", "/accounts/login/",
    "/no-such-page", "/items/NO-SUCH-ITEM",
])
def test_other_pages_are_accessible(page, audit, path):
    response = page.goto(path)
    assert response.status == (404 if "NO-SUCH" in path or "no-such" in path else 200)
    name = "page-" + re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")
    audit(page, name)


def test_skip_link_is_first_and_moves_focus_to_main(page):
    page.goto("/items/GAJ-QR-0001")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, document.activeElement.getAttribute('href')]")
    assert focused == ["skip-link", "#main"]
    box = page.locator(".skip-link").bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the next Tab continues inside the main content, not back in the header
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)")


def test_suggestions_by_keyboard(page):
    page.goto("/")
    box = page.locator("#search-q")
    box.focus()
    box.press_sequentially("出生", delay=40)
    first = page.locator("#search-suggestions .suggestion-list a").first
    first.wait_for(state="visible")
    assert "条建议" in page.locator("#search-status").inner_text()  # announced in the live region
    box.press("ArrowDown")
    assert page.evaluate("document.activeElement.closest('#search-suggestions') !== null")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "search-q"
    assert page.locator("#search-suggestions .suggestion-list").count() == 0


def test_search_works_without_javascript(context_factory):
    context = context_factory()
    page = context.new_page()
    page.route(re.compile(r".*\.js$"), lambda route: route.abort())
    page.goto("/")
    page.locator("#search-q").fill(QUERY)
    page.locator("#search-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    page.locator(".result-title a").first.click()
    page.wait_for_url(re.compile(r"/(items|life-events)/"))


def test_print_view(page, audit):
    page.goto("/items/GAJ-QR-0001")
    page.get_by_role("link", name="打印版").click()
    page.wait_for_url(re.compile(r"/items/GAJ-QR-0001/print$"))
    assert page.locator(".main-nav").count() == 0
    assert page.locator("h1").inner_text() == "出生登记"
    audit(page, "print-view")
    page.emulate_media(media="print")
    page.screenshot(path="e2e/artifacts/print-view-as-printed.png", full_page=True)
    assert page.get_by_role("button", name="打印").is_hidden()

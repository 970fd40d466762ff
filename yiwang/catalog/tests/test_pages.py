"""The public pages of the catalogue, through the Django test client, on the demo catalogue."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from yiwang.catalog import selectors
from yiwang.catalog.models import SearchLog, ServiceItem
from yiwang.core.preferences import ELDERLY_COOKIE

pytestmark = pytest.mark.django_db

ITEM = "GAJ-QR-0001"  # 出生登记: four materials held by the government as electronic licences
EVENT = "newborn_birth"  # 新生儿出生一件事
HELD = "免提交 · 政府部门已持有"


@pytest.fixture(scope="module", autouse=True)
def english_catalog():
    """The English .mo next to the .po: compiled here when missing or stale (the Makefile compiles it
    too), written atomically so parallel workers never read half a file."""
    polib = pytest.importorskip("polib")
    locale_dir = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
    po_path, mo_path = locale_dir / "django.po", locale_dir / "django.mo"
    if po_path.exists() and (not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime):
        tmp = mo_path.with_name(f"django.mo.{os.getpid()}.tmp")
        polib.pofile(str(po_path)).save_as_mofile(str(tmp))
        tmp.replace(mo_path)
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None
    yield


def html(response) -> str:
    return response.content.decode()


def get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return html(response)


# --- each page renders -------------------------------------------------------------------------------

def test_home(client, demo_catalog):
    page = get(client, reverse("catalog:home"))
    assert '<html lang="zh-Hans"' in page
    assert 'role="search"' in page and 'name="q"' in page
    assert 'for="search-q"' in page
    assert reverse("catalog:search-suggest") in page  # htmx suggestions while typing
    assert "热门一件事" in page
    assert reverse("catalog:life-event-detail", args=[EVENT]) in page or "一件事" in page
    assert reverse("catalog:target-detail", args=["person"]) in page
    assert reverse("catalog:target-detail", args=["legal"]) in page
    assert reverse("catalog:department-detail", args=["GAJ"]) in page
    assert "市公安局" in page


def test_landmarks_skip_link_and_switches(client, demo_catalog):
    page = get(client, reverse("catalog:home"))
    assert page.index('class="skip-link" href="#main"') < page.index("<header")
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in page
    assert f'action="{reverse("set_language")}"' in page
    assert f'action="{reverse("core:elderly-mode")}"' in page
    assert 'aria-pressed="false"' in page
    assert f'href="{reverse("identity:login")}' in page


def test_search_page(client, demo_catalog):
    before = SearchLog.objects.count()
    page = get(client, reverse("catalog:search"), data={"q": "出生登记"})
    assert SearchLog.objects.count() == before + 1
    log = SearchLog.objects.order_by("-id").first()
    assert log.query == "出生登记" and log.channel == "web"
    assert "出生登记" in page
    assert f"/search/click/{log.id}/1?kind=" in page
    assert 'class="kind-badge kind-item"' in page
    assert 'name="department"' in page and 'name="target"' in page


def test_search_distinguishes_life_events(client, demo_catalog):
    page = get(client, reverse("catalog:search"), data={"q": "新生儿出生"})
    assert "kind-life_event" in page and "kind-item" in page


def test_empty_search_shows_only_the_form(client, demo_catalog):
    before = SearchLog.objects.count()
    page = get(client, reverse("catalog:search"))
    assert 'name="q"' in page
    assert "result-list" not in page and 'name="department"' not in page
    assert SearchLog.objects.count() == before


@pytest.mark.parametrize("query", ["生" * 5000, "出生\x00登记", "%' OR 1=1 --", "<script>alert(1)</script>",
                                   "\ud7ff" * 10, "   ", "a" * 101])
def test_odd_queries_never_fail(client, demo_catalog, query):
    response = client.get(reverse("catalog:search"), {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html(response)


def test_long_query_is_truncated_with_a_message(client, demo_catalog):
    page = get(client, reverse("catalog:search"), data={"q": "出生登记" + "生" * 5000})
    assert "搜索词过长" in page
    assert len(SearchLog.objects.order_by("-id").first().query) <= 100


def test_search_filters(client, demo_catalog):
    page = get(client, reverse("catalog:search"), data={"q": "登记", "department": "GAJ", "target": "person"})
    assert '<option value="GAJ" selected>' in page
    assert '<option value="person" selected>' in page
    bad = get(client, reverse("catalog:search"), data={"q": "登记", "department": "NOPE", "target": "x"})
    assert " selected>" not in bad.split('id="filter-department"')[1].split("</select>")[0]


def test_pagination_reuses_the_log(client, demo_catalog):
    first = get(client, reverse("catalog:search"), data={"q": "登记"})
    assert 'rel="next"' in first, "登记 has more than one page of results in the demo catalogue"
    log = SearchLog.objects.order_by("-id").first()
    next_url = re.search(r'href="(\?[^"]*page=2[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    assert f"log={log.id}" in next_url
    count = SearchLog.objects.count()
    second = get(client, reverse("catalog:search") + next_url)
    assert SearchLog.objects.count() == count  # page 2 is the same search, not a new one
    assert f"/search/click/{log.id}/21?" in second


def test_did_you_mean_is_a_link(client, demo_catalog, monkeypatch):
    from yiwang.catalog import views
    from yiwang.catalog.search.engine import SearchResult

    monkeypatch.setattr(views, "search", lambda q, **kw: SearchResult(query=q, did_you_mean="出生登记", log_id=None))
    page = get(client, reverse("catalog:search"), data={"q": "出声登记"})
    assert "您是不是要找" in page
    assert 'href="/search?q=%E5%87%BA%E7%94%9F%E7%99%BB%E8%AE%B0"' in page


def test_departments(client, demo_catalog):
    page = get(client, reverse("catalog:department-list"))
    assert "市公安局" in page
    total = selectors.published_versions().filter(department__code="GAJ").count()
    assert re.search(rf"市公安局</span>\s*<span class=\"count\">{total} 项", page)
    detail = get(client, reverse("catalog:department-detail", args=["GAJ"]))
    assert "出生登记" in detail and reverse("catalog:item-detail", args=[ITEM]) in detail
    assert client.get(reverse("catalog:department-detail", args=["NOPE"])).status_code == 404


def test_targets(client, demo_catalog):
    person = get(client, reverse("catalog:target-detail", args=["person"]))
    legal = get(client, reverse("catalog:target-detail", args=["legal"]))
    assert "出生登记" in person and "出生登记" not in legal
    assert "食品经营许可" in legal
    assert client.get(reverse("catalog:target-detail", args=["robot"])).status_code == 404


def test_life_events(client, demo_catalog):
    page = get(client, reverse("catalog:life-event-list"))
    assert "新生儿出生一件事" in page
    detail = get(client, reverse("catalog:life-event-detail", args=[EVENT]))
    assert "新生儿出生一件事" in detail
    # its items, in order
    positions = [detail.index(reverse("catalog:item-detail", args=[c]))
                 for c in ["WJW-GG-0001", "WJW-GG-0002", "GAJ-QR-0001", "YBJ-GG-0001", "RSJ-GG-0001"]]
    assert positions == sorted(positions)
    # the savings, as a table with a caption and header cells
    from yiwang.catalog.savings import life_event_savings

    savings = life_event_savings(selectors.life_event_detail(EVENT))
    table = detail.split('savings-table')[1].split("</table>")[0]
    assert "<caption>" in table and '<th scope="col">' in table and '<th scope="row">' in table
    for key in ("visits", "materials", "days"):
        assert f"{savings[key]['item_by_item']} " in table and f"{savings[key]['bundled']} " in table
    assert client.get(reverse("catalog:life-event-detail", args=["nope"])).status_code == 404


def test_item_guide(client, demo_catalog):
    version = selectors.published_version_for(ITEM)
    page = get(client, reverse("catalog:item-detail", args=[ITEM]))
    assert version.name in page and version.department.name in page
    for heading in ("受理条件", "申请材料", "办理流程", "办理时限", "法定办结时限", "承诺办结时限", "收费标准",
                    "设定依据", "到现场次数", "网上办理深度", "通办范围", "所属一件事"):
        assert heading in page, heading
    for material in version.materials.all():
        assert material.name in page
    for step in version.process_steps.all():
        assert step.name in page
    assert "全程网办" in page  # depth 4 explained in words
    assert reverse("catalog:life-event-detail", args=[EVENT]) in page
    assert reverse("catalog:item-print", args=[ITEM]) in page


def test_materials_held_by_government_are_marked(client, demo_catalog):
    version = selectors.published_version_for(ITEM)
    held = [m for m in version.materials.all() if m.held_by_government]
    assert held
    page = get(client, reverse("catalog:item-detail", args=[ITEM]))
    assert page.count(f'<span class="held-badge">{HELD}</span>') == len(held)
    # an item with materials the applicant must bring shows them as such
    other = next(v for v in selectors.published_versions().prefetch_related("materials")
                 if any(not m.held_by_government for m in v.materials.all()))
    other_page = get(client, reverse("catalog:item-detail", args=[other.item.code]))
    assert "需提交" in other_page


def test_visits_show_their_reason(client, demo_catalog):
    version = selectors.published_versions().filter(max_visits__gt=0).exclude(visit_reason="").first()
    page = get(client, reverse("catalog:item-detail", args=[version.item.code]))
    assert version.visit_reason in page


def test_print_view_has_no_navigation(client, demo_catalog):
    page = get(client, reverse("catalog:item-print", args=[ITEM]))
    assert "出生登记" in page and HELD in page
    assert 'class="main-nav"' not in page and "<nav" not in page.split("<main")[0]
    assert 'media="print"' in page


def test_unknown_and_withdrawn_items_are_404(client, demo_catalog):
    response = client.get(reverse("catalog:item-detail", args=["NO-SUCH-ITEM"]))
    assert response.status_code == 404
    assert "页面不存在" in html(response) and '<main id="main"' in html(response)
    assert client.get(reverse("catalog:item-print", args=["NO-SUCH-ITEM"])).status_code == 404

    from yiwang.catalog.services import item_withdraw

    item_withdraw(item=ServiceItem.objects.get(code="WJW-GG-0002"))
    assert client.get(reverse("catalog:item-detail", args=["WJW-GG-0002"])).status_code == 404


def test_500_page_renders_without_context_processors():
    from yiwang.core.errors import handler500

    request = RequestFactory().get("/items/anything")
    response = handler500(request)
    assert response.status_code == 500
    body = html(response)
    assert "服务器出错了" in body and '<main id="main"' in body and "<html" in body


def test_login_page_and_logout_form(client, demo_catalog, django_user_model):
    page = get(client, reverse("identity:login"))
    assert 'name="username"' in page and 'name="password"' in page
    assert 'autocomplete="current-password"' in page
    user = django_user_model.objects.create_user(username="zhangsan", password="a-long-demo-password")
    client.force_login(user)
    page = get(client, reverse("catalog:home"))
    assert re.search(rf'<form[^>]*action="{reverse("identity:logout")}"\s+method="post"', page)
    assert "zhangsan" in page


# --- language -----------------------------------------------------------------------------------------

def test_english_by_cookie(client, demo_catalog):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = get(client, reverse("catalog:item-detail", args=[ITEM]))
    assert '<html lang="en"' in page
    assert "Skip to main content" in page
    assert "Materials" in page and "Elderly mode" in page
    assert "出生登记" in page  # catalogue content stays Chinese …
    assert 'lang="zh-Hans"' in page  # … and is marked as such


def test_english_by_accept_language(client, demo_catalog):
    page = get(client, reverse("catalog:home"), headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="en"' in page and "Search" in page
    assert re.search(r'name="language" value="zh-hans"[^>]*>.*?简体中文', page, re.S)  # the way back


def test_language_switch(client, demo_catalog):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/life-events"})
    assert response.status_code == 302 and response["Location"] == "/life-events"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in get(client, "/life-events")


def test_every_template_string_has_an_english_translation():
    polib = pytest.importorskip("polib")
    po = polib.pofile(str(Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert not missing, missing[:20]
    with translation.override("en"):
        assert translation.gettext("长者模式") == "Elderly mode"


# --- elderly mode -----------------------------------------------------------------------------------

def test_elderly_mode_toggle(client, demo_catalog):
    item_url = reverse("catalog:item-detail", args=[ITEM])
    response = client.post(reverse("core:elderly-mode"), {"elderly": "1", "next": item_url})
    assert response.status_code == 302 and response["Location"] == item_url
    assert client.cookies[ELDERLY_COOKIE].value == "1"
    page = get(client, item_url)
    assert re.search(r'<body class="elderly[ "]', page)
    assert 'aria-pressed="true"' in page and 'name="elderly" value="0"' in page
    # remembered on the next page too
    assert re.search(r'<body class="elderly[ "]', get(client, reverse("catalog:home")))

    client.post(reverse("core:elderly-mode"), {"elderly": "0", "next": item_url})
    assert not re.search(r'<body class="elderly', get(client, item_url))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http://testserver.evil.example/"])
def test_elderly_toggle_refuses_open_redirects(client, target):
    response = client.post(reverse("core:elderly-mode"), {"elderly": "1", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- search clicks --------------------------------------------------------------------------------

def test_click_records_and_redirects_to_our_item(client, demo_catalog):
    get(client, reverse("catalog:search"), data={"q": "出生登记"})
    log = SearchLog.objects.order_by("-id").first()
    url = reverse("catalog:search-click", args=[log.id, 2]) + f"?kind=item&code={ITEM}"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:item-detail", args=[ITEM])
    log.refresh_from_db()
    assert (log.clicked_kind, log.clicked_code, log.clicked_rank) == ("item", ITEM, 2)
    assert log.clicked_at is not None


def test_click_on_a_life_event(client, demo_catalog):
    get(client, reverse("catalog:search"), data={"q": "新生儿"})
    log = SearchLog.objects.order_by("-id").first()
    response = client.get(reverse("catalog:search-click", args=[log.id, 1]) + f"?kind=life_event&code={EVENT}")
    assert response["Location"] == reverse("catalog:life-event-detail", args=[EVENT])


@pytest.mark.parametrize("query", [
    "kind=item&code=//evil.example", "kind=item&code=https://evil.example/", "kind=item&code=NO-SUCH",
    "kind=redirect&code=GAJ-QR-0001", "kind=life_event&code=../../admin", "", "kind=item&code=%2F%2Fevil.example",
])
def test_click_never_redirects_elsewhere(client, demo_catalog, query):
    get(client, reverse("catalog:search"), data={"q": "出生登记"})
    log = SearchLog.objects.order_by("-id").first()
    response = client.get(reverse("catalog:search-click", args=[log.id, 1]) + "?" + query)
    assert response.status_code == 404
    log.refresh_from_db()
    assert log.clicked_at is None


def test_click_with_unknown_log_is_404(client, demo_catalog):
    response = client.get(reverse("catalog:search-click", args=[987654321, 1]) + f"?kind=item&code={ITEM}")
    assert response.status_code == 404


def test_click_links_work_without_javascript(client, demo_catalog):
    page = get(client, reverse("catalog:search"), data={"q": "出生登记"})
    href = re.search(r'<a href="(/search/click/[^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(href)
    assert response.status_code == 302 and response["Location"].startswith(("/items/", "/life-events/"))


# --- suggestions ------------------------------------------------------------------------------------

def test_suggestions_partial(client, demo_catalog):
    before = SearchLog.objects.count()
    response = client.get(reverse("catalog:search-suggest"), {"q": "出生"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and '<ul class="suggestion-list"' in body
    assert re.search(r'href="/(items|life-events)/[^"]+"', body)
    assert 'hx-swap-oob="innerHTML:#search-status"' in body  # announced through the live region
    assert SearchLog.objects.count() == before  # typing is not a search


def test_suggestions_for_nothing(client, demo_catalog):
    body = get(client, reverse("catalog:search-suggest"), data={"q": ""})
    assert "<li" not in body
    assert client.get(reverse("catalog:search-suggest"), {"q": "x" * 5000}).status_code == 200


def test_page_past_the_end(client, demo_catalog):
    page = get(client, reverse("catalog:search"), data={"q": "出生登记", "page": "40"})
    assert "这一页没有结果" in page
    assert get(client, reverse("catalog:search"), data={"q": "出生登记", "page": "abc"})

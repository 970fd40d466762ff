"""The public catalogue API of API.md: shapes, filters, pagination, errors, query counts, schema."""

import pytest
from django.core.cache import cache

from yiwang.catalog import selectors, services
from yiwang.catalog.api import serializers as s
from yiwang.catalog.models import ServiceItem, ServiceItemVersion
from yiwang.catalog.savings import life_event_savings
from yiwang.catalog.search import engine

pytestmark = pytest.mark.django_db

SUMMARY_FIELDS = set(s.ItemSummarySerializer().fields)
GUIDE_FIELDS = set(s.ItemGuideSerializer().fields)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    # The anonymous rate limit counts in the cache: each test starts with a full budget.
    cache.clear()


def get(client, url, lang=None, **params):
    headers = {"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}
    return client.get(url, params, **headers)


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field:
        assert field in body["error"]["fields"], body
        assert all(isinstance(m, str) and m for m in body["error"]["fields"][field])
    return body["error"]


# --- departments ----------------------------------------------------------------------------------------

def test_departments_list(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = get(client, "/api/v1/departments", page_size=100)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 27 and len(body["results"]) == 27
    first = body["results"][0]
    assert set(first) == set(s.DepartmentSerializer().fields)
    codes = [d["code"] for d in body["results"]]
    assert codes == sorted(codes)
    assert sum(d["item_count"] for d in body["results"]) == 205
    gaj = next(d for d in body["results"] if d["code"] == "GAJ")
    assert gaj["name"] == "市公安局" and gaj["kind"] == "条线部门" and gaj["item_count"] > 0


def test_departments_paginated(client, demo_catalog):
    body = get(client, "/api/v1/departments", page=2, page_size=10).json()
    assert body["count"] == 27 and len(body["results"]) == 10
    assert_error(get(client, "/api/v1/departments", page=4, page_size=10), 404, "not_found")


# --- item list ------------------------------------------------------------------------------------------

def test_items_list_without_query(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # count, rows, targets
        response = get(client, "/api/v1/items", page_size=100)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 205 and len(body["results"]) == 100
    assert "did_you_mean" not in body
    codes = [r["code"] for r in body["results"]]
    assert codes == sorted(codes)
    for row in body["results"]:
        assert set(row) == SUMMARY_FIELDS
        assert set(row["department"]) == {"code", "name"}
        assert row["targets"] and all(isinstance(t, str) for t in row["targets"])
        assert 1 <= row["online_depth"] <= 4
        assert row["promised_days"] <= row["statutory_days"]


def test_items_list_summary_values(client, demo_catalog):
    row = next(r for r in get(client, "/api/v1/items", page_size=100).json()["results"] if r["code"] == "GAJ-QR-0001")
    assert row == {
        "code": "GAJ-QR-0001", "name": "出生登记", "kind": "行政确认", "kind_code": "07",
        "department": {"code": "GAJ", "name": "市公安局"}, "targets": ["自然人"], "promised_days": 0,
        "statutory_days": 1, "max_visits": 0, "online_depth": 4, "scope": row["scope"], "case_kind": "即办件",
    }


def test_items_pagination(client, demo_catalog):
    assert len(get(client, "/api/v1/items").json()["results"]) == 20  # default page size
    last = get(client, "/api/v1/items", page=3, page_size=100).json()
    assert last["count"] == 205 and len(last["results"]) == 5
    capped = get(client, "/api/v1/items", page_size=500).json()
    assert len(capped["results"]) == 100
    page2 = get(client, "/api/v1/items", page=2, page_size=7).json()["results"]
    all_codes = [r["code"] for r in get(client, "/api/v1/items", page_size=100).json()["results"]]
    assert [r["code"] for r in page2] == all_codes[7:14]


def test_page_beyond_the_end_is_404(client, demo_catalog):
    error = assert_error(get(client, "/api/v1/items", page=4, page_size=100), 404, "not_found")
    assert "205" in error["message"]
    assert_error(get(client, "/api/v1/items", page=2**31 - 1), 404, "not_found")


def test_empty_result_first_page_is_200(client, demo_catalog):
    body = get(client, "/api/v1/items", department="GAJ", kind="行政裁决").json()
    assert body == {"count": 0, "results": []}


@pytest.mark.parametrize("params, field", [
    ({"page": "abc"}, "page"),
    ({"page": "0"}, "page"),
    ({"page": "-3"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page": "9" * 50}, "page"),
    ({"page_size": "-1"}, "page_size"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "lots"}, "page_size"),
    ({"q": "办" * 2000}, "q"),
    ({"q": "x" * 101}, "q"),
    ({"kind": "99"}, "kind"),
    ({"target": "外星人"}, "target"),
    ({"scope": "全球通办"}, "scope"),
    ({"department": "NOPE"}, "department"),
])
def test_bad_input_is_400_not_500(client, demo_catalog, params, field):
    assert_error(get(client, "/api/v1/items", **params), 400, "invalid", field)


def test_long_query_message_is_clear(client, demo_catalog):
    error = assert_error(get(client, "/api/v1/items", q="办" * 2000), 400, "invalid", "q")
    assert "100" in error["fields"]["q"][0]
    error = assert_error(get(client, "/api/v1/items", kind="99"), 400, "invalid", "kind")
    assert "99" in error["fields"]["kind"][0] and "行政许可" in error["fields"]["kind"][0]


@pytest.mark.parametrize("endpoint", ["/api/v1/departments", "/api/v1/life-events"])
def test_bad_page_on_other_lists(client, demo_catalog, endpoint):
    assert_error(get(client, endpoint, page="abc"), 400, "invalid", "page")
    assert_error(get(client, endpoint, page_size="-1"), 400, "invalid", "page_size")
    assert_error(get(client, endpoint, page=99), 404, "not_found")


@pytest.mark.parametrize("param, by_value, by_label, expect_key, expect", [
    ("kind", "01", "行政许可", "kind", "行政许可"),
    ("kind", "07", "行政确认", "kind", "行政确认"),
    ("target", "1", "自然人", "targets", "自然人"),
    ("target", "2", "法人", "targets", "法人"),
    ("scope", "4", "全市通办", "scope", "全市通办"),
])
def test_filters_accept_value_or_label(client, demo_catalog, param, by_value, by_label, expect_key, expect):
    a = get(client, "/api/v1/items", page_size=100, **{param: by_value}).json()
    b = get(client, "/api/v1/items", page_size=100, **{param: by_label}).json()
    assert a == b
    assert 0 < a["count"] < 205
    for row in a["results"]:
        value = row[expect_key]
        assert expect in value if isinstance(value, list) else value == expect


def test_filter_english_label_and_combination(client, demo_catalog):
    a = get(client, "/api/v1/items", kind="Administrative licensing", page_size=100).json()
    assert a == get(client, "/api/v1/items", kind="01", page_size=100).json()
    combined = get(client, "/api/v1/items", department="SCJ", kind="01", target="法人", page_size=100).json()
    assert combined["count"] > 0
    for row in combined["results"]:
        assert row["department"]["code"] == "SCJ" and row["kind"] == "行政许可" and "法人" in row["targets"]


def test_department_filter(client, demo_catalog):
    body = get(client, "/api/v1/items", department="GAJ", page_size=100).json()
    gaj = next(d for d in get(client, "/api/v1/departments", page_size=100).json()["results"] if d["code"] == "GAJ")
    assert body["count"] == gaj["item_count"]
    assert {r["department"]["code"] for r in body["results"]} == {"GAJ"}


# --- item list with q -----------------------------------------------------------------------------------

@pytest.fixture
def fake_search(monkeypatch, demo_catalog):
    calls = []
    engine._vocabulary.fresh()  # the per-process snapshot is loaded once, not per request

    def search(query, **kwargs):
        calls.append({"query": query, **kwargs})
        hits = [
            engine.Hit("item", "SCJ-XK-0001", "x", 9.5),
            engine.Hit("item", "GAJ-QR-0001", "y", 7.25),
            engine.Hit("item", "NOT-THERE-0001", "gone", 5.0),  # withdrawn since indexing: skipped
            engine.Hit("item", "WJW-GG-0001", "z", 3.0),
        ]
        engine.attach_summaries(hits)  # as the engine does for the page it returns
        return engine.SearchResult(query=query, hits=hits, total=43, did_you_mean="出生登记")

    monkeypatch.setattr(engine, "search", search)
    return calls


def test_query_keeps_the_engine_ranking(client, demo_catalog, fake_search, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = get(client, "/api/v1/items", q="  生孩子  ", kind="行政许可", target="1", scope="全市通办",
                       department="GAJ", page=2, page_size=10)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 43
    assert body["did_you_mean"] == "出生登记"
    assert [r["code"] for r in body["results"]] == ["SCJ-XK-0001", "GAJ-QR-0001", "WJW-GG-0001"]
    assert [r["score"] for r in body["results"]] == [9.5, 7.25, 3.0]
    assert set(body["results"][0]) == SUMMARY_FIELDS | {"score"}
    (call,) = fake_search
    assert call == {
        "query": "生孩子", "kinds": ("item",), "department": "GAJ", "item_kind": "行政许可", "target": "自然人",
        "scope": "全市通办", "offset": 10, "limit": 10, "channel": "api", "language": "zh-hans",
        "want_log_id": False,  # the API needs no click tracking: its log rows are batched
    }


def test_query_language_and_page_beyond_total(client, demo_catalog, fake_search):
    get(client, "/api/v1/items", lang="en", q="birth")
    assert fake_search[-1]["language"] == "en"
    assert_error(get(client, "/api/v1/items", q="birth", page=5, page_size=20), 404, "not_found")


def test_query_of_100_characters_is_accepted(client, demo_catalog, fake_search):
    assert get(client, "/api/v1/items", q="办" * 100).status_code == 200


def test_blank_query_lists_by_code(client, demo_catalog, fake_search):
    body = get(client, "/api/v1/items", q="   ").json()
    assert body["count"] == 205 and not fake_search


def test_search_finds_the_official_item(client, demo_catalog):
    from yiwang.catalog.models import SearchLog

    body = get(client, "/api/v1/items", q="出生登记").json()
    assert body["count"] >= 1
    assert "GAJ-QR-0001" in [r["code"] for r in body["results"][:3]]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    log = SearchLog.objects.order_by("-id").first()
    assert log.channel == "api" and log.query == "出生登记"


# --- item detail ----------------------------------------------------------------------------------------

def test_item_guide(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(11):  # a fixed number of prefetches, whatever the guide's size
        response = get(client, "/api/v1/items/GAJ-QR-0001")
    assert response.status_code == 200
    guide = response.json()
    assert set(guide) == GUIDE_FIELDS
    assert guide["code"] == "GAJ-QR-0001" and guide["name"] == "出生登记"
    assert guide["statutory_days"] == 1 and guide["promised_days"] == 0 and guide["case_kind"] == "即办件"
    assert guide["version"] >= 1 and guide["effective_from"]
    assert guide["conditions"] and guide["legal_basis"][0].startswith("《")
    material = guide["materials"][0]
    assert set(material) == set(s.MaterialSerializer().fields)
    assert material["name"] == "出生医学证明"
    assert material["license_type"] == {"code": "birth_medical_certificate", "name": material["license_type"]["name"]}
    assert material["held_by_government"] is True
    assert guide["form_fields"][0] == {"key": "applicant_name", "label": "申请人姓名", "type": "text",
                                       "required": True, "prefill_source": "person.name"}
    assert all(set(p) == {"step", "role", "days"} for p in guide["process"])
    assert guide["fees"] == {"charged": False, "standard": "不收费", "amount_yuan": None}
    assert all(set(o) == {"name", "license_type"} for o in guide["outputs"])
    assert {"code": "newborn_birth", "name": "新生儿出生一件事"} in guide["life_events"]
    assert isinstance(guide["handling_forms"], list) and isinstance(guide["parallel_departments"], list)


def test_item_guide_fee_amount(client, demo_catalog):
    version = ServiceItemVersion.objects.filter(status="published", fee_charged=True,
                                                fee_amount__isnull=False).select_related("item").first()
    assert version is not None, "the demo catalogue has charged items with an amount"
    fees = get(client, f"/api/v1/items/{version.item.code}").json()["fees"]
    assert fees["charged"] is True and fees["standard"]
    assert fees["amount_yuan"] == float(version.fee_amount)


def test_unknown_item_is_404(client, demo_catalog):
    error = assert_error(get(client, "/api/v1/items/NOPE-0000"), 404, "not_found")
    assert error["fields"] == {}


def test_withdrawn_item_is_404_and_left_out_of_lists(client, demo_catalog):
    item = ServiceItem.objects.get(code="GAJ-QR-0001")
    services.item_withdraw(item=item)
    assert_error(get(client, "/api/v1/items/GAJ-QR-0001"), 404, "not_found")
    body = get(client, "/api/v1/items", page_size=100).json()
    assert body["count"] == 204 and "GAJ-QR-0001" not in [r["code"] for r in body["results"]]
    event = get(client, "/api/v1/life-events/newborn_birth").json()
    assert "GAJ-QR-0001" not in [i["code"] for i in event["items"]]


def test_drafts_are_not_public(client, demo_catalog):
    item = ServiceItem.objects.get(code="GAJ-QR-0001")
    draft = services.item_version_create_draft(item=item)
    draft.name = "出生登记（修订草稿）"
    draft.save()
    assert get(client, "/api/v1/items/GAJ-QR-0001").json()["name"] == "出生登记"
    row = next(r for r in get(client, "/api/v1/items", department="GAJ", page_size=100).json()["results"]
               if r["code"] == "GAJ-QR-0001")
    assert row["name"] == "出生登记"


# --- life events ----------------------------------------------------------------------------------------

def test_life_events_list(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = get(client, "/api/v1/life-events", page_size=100)
    body = response.json()
    assert body["count"] == 20 and len(body["results"]) == 20
    assert set(body["results"][0]) == set(s.LifeEventSummarySerializer().fields)
    newborn = next(e for e in body["results"] if e["code"] == "newborn_birth")
    assert newborn["name"] == "新生儿出生一件事" and newborn["targets"] == ["自然人"] and newborn["item_count"] == 5


def test_life_event_detail(client, demo_catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):  # the same for any number of items (open_restaurant too)
        response = get(client, "/api/v1/life-events/newborn_birth")
    assert response.status_code == 200
    event = response.json()
    assert set(event) == set(s.LifeEventDetailSerializer().fields)
    assert [i["code"] for i in event["items"]] == ["WJW-GG-0001", "WJW-GG-0002", "GAJ-QR-0001", "YBJ-GG-0001",
                                                  "RSJ-GG-0001"]
    assert all(set(i) == SUMMARY_FIELDS for i in event["items"])
    assert event["item_count"] == 5

    guides = [get(client, f"/api/v1/items/{i['code']}").json() for i in event["items"]]
    savings = event["savings"]
    assert savings["items"] == 5
    assert savings["visits"]["item_by_item"] == sum(g["max_visits"] for g in guides)
    assert savings["visits"]["bundled"] == max(g["max_visits"] for g in guides)
    assert savings["days"]["item_by_item"] == sum(g["promised_days"] for g in guides)
    assert savings["days"]["bundled"] == max(g["promised_days"] for g in guides)
    materials = [m for g in guides for m in g["materials"]]
    assert savings["materials"]["item_by_item"] == len(materials)
    assert savings["materials"]["bundled"] == len({m["name"] for m in materials if not m["held_by_government"]})
    for figure in ("visits", "materials", "days"):
        f = savings[figure]
        assert f["saved"] == f["item_by_item"] - f["bundled"] >= 0


def test_life_event_detail_queries_do_not_grow_with_items(client, demo_catalog):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for event in get(client, "/api/v1/life-events", page_size=100).json()["results"]:
        with CaptureQueriesContext(connection) as queries:
            assert get(client, f"/api/v1/life-events/{event['code']}").status_code == 200
        counts[event["item_count"]] = len(queries)
    assert len(counts) > 1 and len(set(counts.values())) == 1, counts


def test_savings_same_without_prefetch(demo_catalog):
    from yiwang.catalog.models import LifeEvent

    for code in ("newborn_birth", "open_restaurant"):
        prefetched = selectors.life_event_detail(code)
        plain = LifeEvent.objects.get(code=code)
        assert life_event_savings(prefetched) == life_event_savings(plain)


def test_savings_dedupes_materials_and_skips_held_ones(demo_catalog):
    savings = life_event_savings(selectors.life_event_detail("open_restaurant"))
    assert savings["materials"]["bundled"] < savings["materials"]["item_by_item"]
    assert savings["days"]["bundled"] <= savings["days"]["item_by_item"]


def test_unknown_life_event_is_404(client, demo_catalog):
    assert_error(get(client, "/api/v1/life-events/no_such_event"), 404, "not_found")


# --- errors, language, throttling -----------------------------------------------------------------------

def test_errors_default_to_chinese_and_keep_their_shape_in_english(client, demo_catalog):
    zh = assert_error(get(client, "/api/v1/items", page="abc"), 400, "invalid", "page")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["message"] + zh["fields"]["page"][0])
    en = assert_error(get(client, "/api/v1/items", lang="en", page="abc"), 400, "invalid", "page")
    assert set(en) == set(zh)
    assert get(client, "/api/v1/items/NOPE", lang="en").json()["error"]["code"] == "not_found"


def test_public_without_login_and_no_writes(client, demo_catalog):
    assert get(client, "/api/v1/life-events").status_code == 200
    assert_error(client.post("/api/v1/items", {}), 405, "method_not_allowed")


def test_anonymous_requests_are_throttled(client, demo_catalog, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    assert get(client, "/api/v1/departments").status_code == 200
    assert get(client, "/api/v1/departments").status_code == 200
    assert_error(get(client, "/api/v1/departments"), 429, "throttled")


# --- OpenAPI --------------------------------------------------------------------------------------------

def test_schema_documents_the_catalogue(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for p in ("/api/v1/departments", "/api/v1/items", "/api/v1/items/{code}", "/api/v1/life-events",
              "/api/v1/life-events/{code}"):
        assert "get" in paths[p], p
        assert "200" in paths[p]["get"]["responses"]
        assert "404" in paths[p]["get"]["responses"]
    params = {p["name"] for p in paths["/api/v1/items"]["get"]["parameters"]}
    assert {"q", "department", "kind", "target", "scope", "page", "page_size"} <= params
    components = schema["components"]["schemas"]
    assert set(components["ItemGuide"]["properties"]) == GUIDE_FIELDS
    assert {"count", "results", "did_you_mean"} <= set(components["ItemList"]["properties"])
    assert "savings" in components["LifeEventDetail"]["properties"]
    assert set(components["Error"]["properties"]) == {"error"}


def test_api_docs_page_renders(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()

"""Public pages of the catalogue: home, search, browsing, life events and item guides (办事指南).

Views stay thin: every read goes through `selectors` (published content only) or the search engine's
interface (`search`, `suggest`, `record_click`), and the templates do the presentation.
"""

import math
import unicodedata

from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import selectors
from .constants import TARGET
from .models import SearchLog
from .search.engine import record_click, search, suggest

PAGE_SIZE = 20
MAX_QUERY_LENGTH = 100
MAX_PAGE = 50  # nobody reads past 1,000 results; deeper pages only cost the server
HOME_LIFE_EVENTS = 8
SUGGESTIONS = 8
# Colloquial queries shown under the search box on the home page (content, so not translated).
HOT_QUERIES = ["生孩子", "开饭店", "办退休", "社保卡", "营业执照", "结婚登记"]

# URL slug → (value in the 服务对象 code list, its label, the page's title)
TARGETS = {
    "person": ("1", "自然人", _("个人办事")),
    "legal": ("2", "法人", _("法人办事")),
}

# 网上办理深度 (GB/T 39046): what each level means to the applicant.
ONLINE_DEPTH = {
    1: (_("信息公开"), _("网上可查看办事指南，申请须到窗口办理。")),
    2: (_("网上预审"), _("可在网上提交材料预审，通过后到窗口办理。")),
    3: (_("网上受理"), _("可在网上提交申请并受理，领取结果或核验原件时须到现场。")),
    4: (_("全程网办"), _("从申请到领取结果全程在网上办理，无需到现场。")),
}


# --- helpers -----------------------------------------------------------------------------------------

def _clean_query(raw: str) -> str:
    """Drop control characters (NUL and friends) and collapse whitespace; never raises."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in raw or "")
    return " ".join(text.split())


def _positive_int(value, default: int = 1, maximum: int = MAX_PAGE) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return min(max(number, 1), maximum)


def _target_versions(slug: str):
    value = TARGETS[slug][0]
    return selectors.published_versions().filter(targets__code_list__name=TARGET, targets__value=value)


def _department_counts() -> dict[int, int]:
    """department id → number of published items."""
    rows = (selectors.published_versions().prefetch_related(None).order_by()
            .values("department_id").annotate(n=Count("id")).values_list("department_id", "n"))
    return dict(rows)


def _departments_with_counts(*, non_empty: bool = False) -> list:
    counts = _department_counts()
    departments = []
    for department in selectors.department_list():
        department.item_total = counts.get(department.id, 0)
        if department.item_total or not non_empty:
            departments.append(department)
    return departments


def _life_events_with_counts():
    return selectors.life_event_list().annotate(
        item_total=Count("entries", filter=Q(entries__item__current_version__isnull=False))
    )


def _depth(version) -> dict:
    name, explanation = ONLINE_DEPTH.get(version.online_depth, ONLINE_DEPTH[1])
    return {"level": version.online_depth, "name": name, "explanation": explanation}


# --- pages -------------------------------------------------------------------------------------------

@require_GET
def home(request):
    events = _life_events_with_counts().order_by("-popularity", "code")[:HOME_LIFE_EVENTS]
    return render(request, "catalog/home.html", {
        "life_events": events,
        "departments": _departments_with_counts(non_empty=True),
        "targets": TARGETS,
        "item_total": selectors.item_count(),
        "hot_queries": HOT_QUERIES,
    })


@require_GET
def search_page(request):
    raw = _clean_query(request.GET.get("q", ""))
    truncated = len(raw) > MAX_QUERY_LENGTH
    query = raw[:MAX_QUERY_LENGTH].strip()
    departments = list(selectors.department_list())
    department = request.GET.get("department") or ""
    if department not in {d.code for d in departments}:
        department = ""
    target = request.GET.get("target") or ""
    if target not in TARGETS:
        target = ""
    page = _positive_int(request.GET.get("page"))
    context = {
        "query": query, "truncated": truncated, "max_length": MAX_QUERY_LENGTH,
        "departments": departments, "department": department, "target": target, "targets": TARGETS,
        "result": None, "rows": [], "page": page,
    }
    if not query:
        return render(request, "catalog/search.html", context)

    # Later pages of the same search reuse its log (so one search counts once) and are not logged again.
    carried_log = _positive_int(request.GET.get("log"), default=0, maximum=2**62) if page > 1 else 0
    result = search(
        query, department=department or None, target=TARGETS[target][1] if target else None,
        offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
        channel=None if carried_log else "web", language=request.LANGUAGE_CODE,
    )
    log_id = carried_log or result.log_id
    item_codes = [h.code for h in result.hits if h.kind == "item"]
    event_codes = [h.code for h in result.hits if h.kind == "life_event"]
    versions = {v.item.code: v for v in selectors.published_versions().filter(item__code__in=item_codes)}
    events = {e.code: e for e in _life_events_with_counts().filter(code__in=event_codes)}
    rows = []
    for index, hit in enumerate(result.hits):
        obj = versions.get(hit.code) if hit.kind == "item" else events.get(hit.code)
        if obj is None:  # the index lags behind a withdrawal: don't offer a dead link
            continue
        rank = (page - 1) * PAGE_SIZE + index + 1
        if log_id:
            url = reverse("catalog:search-click", args=[log_id, rank]) + "?" + urlencode(
                {"kind": hit.kind, "code": hit.code})
        elif hit.kind == "item":
            url = reverse("catalog:item-detail", args=[hit.code])
        else:
            url = reverse("catalog:life-event-detail", args=[hit.code])
        rows.append({"hit": hit, "rank": rank, "url": url, "object": obj,
                     "depth": _depth(obj) if hit.kind == "item" else None})

    pages = min(max(math.ceil(result.total / PAGE_SIZE), 1), MAX_PAGE)
    base = {"q": query}
    if department:
        base["department"] = department
    if target:
        base["target"] = target

    def page_url(number):
        params = dict(base, page=number)
        if number > 1 and log_id:
            params["log"] = log_id
        return "?" + urlencode(params)

    context.update({
        "result": result, "rows": rows, "pages": pages,
        "previous_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
        "page_links": [{"number": n, "url": page_url(n)} for n in range(max(1, page - 3), min(pages, page + 3) + 1)],
        "did_you_mean_url": "?" + urlencode({"q": result.did_you_mean}) if result.did_you_mean else None,
        "first_rank": (page - 1) * PAGE_SIZE + 1,
        "out_of_range": bool(result.total) and not result.hits,
        "first_page_url": page_url(1),
    })
    return render(request, "catalog/search.html", context)


@require_GET
def search_suggest(request):
    """The partial list of suggestions that htmx puts under the search box while the person types."""
    query = _clean_query(request.GET.get("q", ""))[:MAX_QUERY_LENGTH].strip()
    hits = suggest(query, limit=SUGGESTIONS) if query else []
    links = []
    for hit in hits:
        name = "catalog:item-detail" if hit.kind == "item" else "catalog:life-event-detail"
        links.append({"hit": hit, "url": reverse(name, args=[hit.code])})
    return render(request, "catalog/partials/suggestions.html", {"query": query, "links": links})


@never_cache
@require_GET
def search_click(request, log_id: int, rank: int):
    """Record which result of a logged search was opened, then go there.

    Only ever redirects to our own item guide or life-event page, built with reverse() from a code
    that exists and is published: a crafted `code` cannot turn this into an open redirect.
    """
    kind = request.GET.get("kind", "")
    code = request.GET.get("code", "")
    if not SearchLog.objects.filter(pk=log_id).exists():
        raise Http404
    if kind == "item" and selectors.published_versions().filter(item__code=code).exists():
        target = reverse("catalog:item-detail", args=[code])
    elif kind == "life_event" and selectors.life_event_list().filter(code=code).exists():
        target = reverse("catalog:life-event-detail", args=[code])
    else:
        raise Http404
    record_click(log_id=log_id, kind=kind, code=code, rank=min(rank, 10_000))
    return HttpResponseRedirect(target)


@require_GET
def department_list(request):
    return render(request, "catalog/department_list.html", {"departments": _departments_with_counts()})


@require_GET
def department_detail(request, code: str):
    department = selectors.department_list().filter(code=code).first()
    if department is None:
        raise Http404
    versions = selectors.published_versions().filter(department=department).order_by("item__code")
    return render(request, "catalog/department_detail.html", {"department": department, "versions": versions})


@require_GET
def target_detail(request, target: str):
    if target not in TARGETS:
        raise Http404
    versions = _target_versions(target).order_by("department__code", "item__code")
    return render(request, "catalog/target_detail.html", {
        "target": target, "title": TARGETS[target][2], "versions": versions, "targets": TARGETS,
    })


@require_GET
def life_event_list(request):
    return render(request, "catalog/life_event_list.html", {"life_events": _life_events_with_counts()})


@require_GET
def life_event_detail(request, code: str):
    from .savings import life_event_savings, life_event_versions

    event = selectors.life_event_detail(code)
    if event is None:
        raise Http404
    savings = life_event_savings(event)
    comparison = []
    for key, label, unit in (
        ("visits", _("跑动次数"), _("次")),
        ("materials", _("提交材料"), _("份")),
        ("days", _("承诺办理时间"), _("个工作日")),
    ):
        figure = savings[key]
        before, after = figure["item_by_item"], figure["bundled"]
        comparison.append({
            "key": key, "label": label, "unit": unit, "item_by_item": before, "bundled": after,
            "saved": figure.get("saved", max(before - after, 0)),
            "bundled_percent": round(after * 100 / before) if before else 0,
        })
    return render(request, "catalog/life_event_detail.html", {
        "event": event, "versions": life_event_versions(event), "savings": savings, "comparison": comparison,
    })


def _item_context(code: str) -> dict:
    version = selectors.published_version_for(code)
    if version is None:
        raise Http404
    materials = list(version.materials.all())
    return {
        "version": version,
        "materials": materials,
        "held_count": sum(1 for m in materials if m.held_by_government),
        "depth": _depth(version),
        "depth_levels": [{"level": n, "name": name} for n, (name, _text) in ONLINE_DEPTH.items()],
        "life_events": selectors.life_event_list().filter(items__code=code),
    }


@require_GET
def item_detail(request, code: str):
    return render(request, "catalog/item_detail.html", _item_context(code))


@require_GET
def item_print(request, code: str):
    return render(request, "catalog/item_print.html", _item_context(code))

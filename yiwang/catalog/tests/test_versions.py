"""The version lifecycle (services.py) and the editors' back office (admin.py), plus the unmet-demand
report (reports.py) and its admin page."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from yiwang.catalog import services
from yiwang.catalog.admin import REVIEWER_GROUP, can_review
from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.models import (
    Material,
    SearchDemandReport,
    SearchLog,
    ServiceItem,
    ServiceItemVersion,
)
from yiwang.catalog.reports import build_demand_report
from yiwang.identity.testing import login_verified

pytestmark = pytest.mark.django_db

CODE = "GAJ-QR-0001"


@pytest.fixture
def item(demo_catalog):
    return ServiceItem.objects.select_related("current_version").get(code=CODE)


@pytest.fixture
def draft(item):
    return services.item_version_create_draft(item=item)


def _children(version):
    return {
        "materials": [(m.position, m.name, m.required, m.form, m.copies, m.source, m.license_type_id, m.note,
                       m.tolerant) for m in version.materials.order_by("position")],
        "form_fields": [(f.position, f.key, f.label, f.type, f.required, f.prefill_source, f.validation)
                        for f in version.form_fields.order_by("position")],
        "process_steps": [(p.position, p.name, p.role, p.days) for p in version.process_steps.order_by("position")],
        "outputs": [(o.position, o.name, o.license_type_id) for o in version.outputs.order_by("position")],
        "targets": sorted(version.targets.values_list("pk", flat=True)),
        "handling_forms": sorted(version.handling_forms.values_list("pk", flat=True)),
        "parallel_departments": sorted(version.parallel_departments.values_list("pk", flat=True)),
    }


# --- services -------------------------------------------------------------------------------------------

def test_draft_is_a_full_copy_with_the_next_number(item):
    published = item.current_version
    draft = services.item_version_create_draft(item=item)
    assert draft.pk != published.pk
    assert draft.version == published.version + 1
    assert draft.status == VersionStatus.DRAFT
    assert draft.published_at is None and draft.effective_from is None and draft.content_digest == ""
    assert _children(draft) == _children(published)
    assert _children(draft)["materials"]  # not vacuously equal
    for field in ("name", "kind_id", "department_id", "statutory_days", "promised_days", "max_visits",
                  "online_depth", "conditions", "legal_basis"):
        assert getattr(draft, field) == getattr(published, field), field
    item.refresh_from_db()
    assert item.current_version_id == published.pk


def test_editing_a_draft_leaves_the_published_version_alone(item, draft):
    published = item.current_version
    before = _children(published)
    draft.name = "出生登记（新）"
    draft.conditions = ["只有一条"]
    draft.save()
    material = draft.materials.first()
    material.name = "改过的材料"
    material.save()
    draft.materials.last().delete()
    published.refresh_from_db()
    assert published.name == "出生登记"
    assert published.status == VersionStatus.PUBLISHED
    assert published.conditions != ["只有一条"]
    assert _children(published) == before


@pytest.mark.parametrize("changes", [
    {"promised_days": 30, "statutory_days": 20},
    {"max_visits": 1, "visit_reason": "", "online_depth": 2},
    {"max_visits": 1, "visit_reason": "现场核验原件", "online_depth": 4},
    {"fee_charged": True, "fee_standard": "  "},
])
def test_submit_validates_and_keeps_the_status(draft, changes):
    for key, value in changes.items():
        setattr(draft, key, value)
    with pytest.raises(ValidationError):
        services.item_version_submit(version=draft)
    assert ServiceItemVersion.objects.get(pk=draft.pk).status == VersionStatus.DRAFT


def test_submit_return_publish(item, draft):
    reviewer = _user("reviewer_x", reviewer=True)
    services.item_version_submit(version=draft)
    assert ServiceItemVersion.objects.get(pk=draft.pk).status == VersionStatus.IN_REVIEW
    services.item_version_return(version=draft, user=reviewer, note="请补充受理条件")
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.review_note == "请补充受理条件"
    services.item_version_submit(version=draft)
    old = item.current_version
    services.item_version_publish(version=draft, user=reviewer)
    draft.refresh_from_db()
    old.refresh_from_db()
    item.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and draft.published_at and draft.effective_from
    assert old.status == VersionStatus.RETIRED and old.cancelled_on == timezone.localdate()
    assert item.current_version_id == draft.pk
    assert ServiceItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED).count() == 1


def test_illegal_transitions_raise(item, draft):
    published = item.current_version
    with pytest.raises(ValidationError):
        services.item_version_submit(version=published)
    with pytest.raises(ValidationError):
        services.item_version_return(version=draft, note="x")  # not in review
    services.item_version_publish(version=draft)
    published.refresh_from_db()
    assert published.status == VersionStatus.RETIRED
    with pytest.raises(ValidationError):
        services.item_version_publish(version=published)
    with pytest.raises(ValidationError):
        services.item_version_submit(version=published)
    published.refresh_from_db()
    assert published.status == VersionStatus.RETIRED


def test_second_draft_is_refused(item, draft):
    with pytest.raises(ValidationError):
        services.item_version_create_draft(item=item)
    services.item_version_submit(version=draft)
    with pytest.raises(ValidationError):  # one in review is still open
        services.item_version_create_draft(item=item)
    assert item.versions.count() == 2


# --- admin ----------------------------------------------------------------------------------------------

def _user(username, *, reviewer=False, perms=("view_serviceitem", "change_serviceitem", "view_serviceitemversion",
                                                 "change_serviceitemversion", "delete_serviceitemversion",
                                                 "view_licensetype", "view_department")):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-1", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog", codename__in=perms))
    if reviewer:
        user.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
    return user


@pytest.fixture
def editor(db):
    return _user("editor")


@pytest.fixture
def reviewer(db):
    return _user("reviewer", reviewer=True)


def _change_url(version):
    return reverse("admin:catalog_serviceitemversion_change", args=[version.pk])


def _transition_url(version, action):
    return reverse("admin:catalog_serviceitemversion_transition", args=[version.pk, action])


def _editable_inputs(html):
    """Form controls an editor could change (hidden inputs and the admin's navigation filter aside)."""
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    return [c for c in controls if 'type="hidden"' not in c and 'id="nav-filter"' not in c]


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def _form_data(version, **overrides):
    """The POST of the version change form, inlines untouched."""
    data = {
        "name": version.name, "kind": version.kind_id, "department": version.department_id,
        "level": version.level_id, "case_kind": version.case_kind_id, "scope": version.scope_id,
        "targets": [c.pk for c in version.targets.all()],
        "handling_forms": [c.pk for c in version.handling_forms.all()],
        "parallel_departments": [d.pk for d in version.parallel_departments.all()],
        "legal_basis": "\n".join(version.legal_basis), "conditions": "\n".join(version.conditions),
        "keywords": "\n".join(version.keywords),
        "statutory_days": version.statutory_days, "promised_days": version.promised_days,
        "fee_standard": version.fee_standard, "fee_amount": version.fee_amount or "",
        "max_visits": version.max_visits, "visit_reason": version.visit_reason, "online_depth": version.online_depth,
        "consult_phone": version.consult_phone, "supervise_phone": version.supervise_phone,
        "location": version.location, "effective_from": "",
    }
    if version.fee_charged:
        data["fee_charged"] = "on"
    if version.tolerant_acceptance:
        data["tolerant_acceptance"] = "on"
    for prefix in ("materials", "form_fields", "process_steps", "outputs"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0,
                     f"{prefix}-MAX_NUM_FORMS": 1000})
    data.update(overrides)
    return data


def test_reviewer_predicate(editor, reviewer, admin_user):
    assert can_review(admin_user) and can_review(reviewer)
    assert not can_review(editor)


def test_published_version_is_read_only_in_the_admin(admin_client, item):
    published = item.current_version
    response = admin_client.get(_change_url(published))
    assert response.status_code == 200
    html = response.content.decode()
    assert _editable_inputs(html) == []
    assert "出生医学证明" in html and "applicant_name" in html  # inlines shown, read-only
    response = admin_client.post(_change_url(published), _form_data(published, name="被篡改"))
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.name == "出生登记"
    assert published.materials.count() == Material.objects.filter(version=published).count() > 0


def test_retired_and_in_review_versions_are_read_only(admin_client, item, draft):
    services.item_version_submit(version=draft)
    assert admin_client.post(_change_url(draft), _form_data(draft, name="x")).status_code == 403
    services.item_version_publish(version=draft)
    retired = ServiceItemVersion.objects.get(item=item, status=VersionStatus.RETIRED)
    assert _editable_inputs(admin_client.get(_change_url(retired)).content.decode()) == []
    assert admin_client.post(_change_url(retired), _form_data(retired, name="x")).status_code == 403


def test_draft_is_editable_in_the_admin(client, editor, item, draft):
    login_verified(client, editor)
    html = client.get(_change_url(draft)).content.decode()
    assert 'name="name"' in html and 'name="materials-0-name"' in html
    response = client.post(_change_url(draft), _form_data(draft, name="出生登记（修订）",
                                                          conditions="条件一\n\n条件二\n"), follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.name == "出生登记（修订）" and draft.conditions == ["条件一", "条件二"]
    assert draft.materials.count() == item.current_version.materials.count()
    item.current_version.refresh_from_db()
    assert item.current_version.name == "出生登记"


def test_saving_a_draft_warns_about_what_submit_will_refuse(client, editor, draft):
    login_verified(client, editor)
    response = client.post(_change_url(draft), _form_data(draft, max_visits=1, visit_reason="", online_depth=2),
                           follow=True)
    draft.refresh_from_db()
    assert draft.max_visits == 1
    assert any("到现场原因" in m for m in _messages(response))


def test_admin_form_enforces_promised_within_statutory(client, editor, draft):
    login_verified(client, editor)
    response = client.post(_change_url(draft), _form_data(draft, promised_days=30, statutory_days=20))
    assert response.status_code == 200  # the form again, with the error
    draft.refresh_from_db()
    assert draft.promised_days != 30


def test_reviewer_can_publish_from_the_admin(client, reviewer, item, draft):
    login_verified(client, reviewer)
    old = item.current_version
    response = client.post(_transition_url(draft, "publish"), follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    old.refresh_from_db()
    item.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED and draft.reviewed_by == reviewer
    assert old.status == VersionStatus.RETIRED and item.current_version_id == draft.pk
    assert any("已发布" in m for m in _messages(response))


def test_plain_editor_cannot_publish(client, editor, item, draft):
    login_verified(client, editor)
    response = client.post(_transition_url(draft, "publish"), follow=True)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert any("权限" in m for m in _messages(response))
    # nor through the list action
    client.post(reverse("admin:catalog_serviceitemversion_changelist"),
                {"action": "publish_versions", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    # and the change page offers no publish button
    assert "/transition/publish/" not in client.get(_change_url(draft)).content.decode()


def test_editor_submits_and_reviewer_returns_with_a_note(client, editor, reviewer, draft):
    login_verified(client, editor)
    assert "/transition/submit/" in client.get(_change_url(draft)).content.decode()
    client.post(_transition_url(draft, "submit"))
    draft.refresh_from_db()
    assert draft.status == VersionStatus.IN_REVIEW
    assert client.post(_transition_url(draft, "return"), {"note": "不行"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == VersionStatus.IN_REVIEW  # editors don't return

    login_verified(client, reviewer)
    response = client.post(_transition_url(draft, "return"), {"note": ""}, follow=True)
    assert any("退回意见" in m for m in _messages(response))
    draft.refresh_from_db()
    assert draft.status == VersionStatus.IN_REVIEW
    client.post(_transition_url(draft, "return"), {"note": "请补充法律依据"})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.review_note == "请补充法律依据"
    assert "请补充法律依据" in client.get(_change_url(draft)).content.decode()


def test_submit_reports_validation_errors(client, editor, draft):
    ServiceItemVersion.objects.filter(pk=draft.pk).update(fee_charged=True, fee_standard="")
    login_verified(client, editor)
    response = client.post(_transition_url(draft, "submit"), follow=True)
    assert any("收费标准" in m for m in _messages(response))
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_transition_needs_post(admin_client, draft):
    assert admin_client.get(_transition_url(draft, "publish")).status_code == 405
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_list_actions_submit_and_return_with_note(admin_client, draft):
    url = reverse("admin:catalog_serviceitemversion_changelist")
    admin_client.post(url, {"action": "submit_versions", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.IN_REVIEW
    page = admin_client.post(url, {"action": "return_versions", "_selected_action": [draft.pk]})
    assert page.status_code == 200 and 'name="note"' in page.content.decode()
    admin_client.post(url, {"action": "return_versions", "_selected_action": [draft.pk], "apply": "yes",
                            "note": "批量退回"})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.review_note == "批量退回"


def test_create_draft_from_the_item_page(client, editor, item):
    login_verified(client, editor)
    page = client.get(reverse("admin:catalog_serviceitem_change", args=[item.pk])).content.decode()
    assert "create-draft" in page and "v1" in page  # the button, and the versions list
    url = reverse("admin:catalog_serviceitem_create_draft", args=[item.pk])
    response = client.post(url)
    draft = item.versions.get(status=VersionStatus.DRAFT)
    assert response.status_code == 302 and response["Location"] == _change_url(draft)
    response = client.post(url, follow=True)  # a second one is refused, with the service's message
    assert item.versions.count() == 2
    assert any("草稿" in m for m in _messages(response))


def test_versions_cannot_be_added_or_bulk_deleted(admin_client, item):
    assert admin_client.get(reverse("admin:catalog_serviceitemversion_add")).status_code == 403
    page = admin_client.get(reverse("admin:catalog_serviceitemversion_changelist")).content.decode()
    assert "delete_selected" not in page
    published = item.current_version
    assert admin_client.post(reverse("admin:catalog_serviceitemversion_delete", args=[published.pk]),
                             {"post": "yes"}).status_code == 403
    assert ServiceItemVersion.objects.filter(pk=published.pk).exists()


def test_every_catalogue_admin_page_renders(admin_client, demo_catalog):
    build_demand_report(timezone.localdate())
    for model in django_admin.site._registry:
        if model._meta.app_label != "catalog":
            continue
        prefix = f"admin:catalog_{model._meta.model_name}"
        assert admin_client.get(reverse(f"{prefix}_changelist")).status_code == 200, model
        assert admin_client.get(reverse(f"{prefix}_changelist"), {"q": "出生"}).status_code == 200, model
        obj = model.objects.first()
        if obj is not None:
            assert admin_client.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200, model


def test_history_pages_render(admin_client, demo_catalog):
    from yiwang.catalog.models import Department, LifeEvent, SearchSynonym

    for model in (Department, LifeEvent):
        obj = model.objects.first()
        url = reverse(f"admin:catalog_{model._meta.model_name}_history", args=[obj.pk])
        assert admin_client.get(url).status_code == 200
    synonym = SearchSynonym.objects.create(term="测试词", expansions=["出生登记"])
    assert admin_client.get(reverse("admin:catalog_searchsynonym_history", args=[synonym.pk])).status_code == 200


def test_search_log_is_read_only(admin_client, db):
    log = SearchLog.objects.create(query="q", normalized="q", result_count=0)
    assert admin_client.get(reverse("admin:catalog_searchlog_add")).status_code == 403
    assert admin_client.post(reverse("admin:catalog_searchlog_change", args=[log.pk]),
                             {"query": "x"}).status_code == 403
    log.refresh_from_db()
    assert log.query == "q"


def test_synonym_admin_edits_lines(admin_client, db):
    from yiwang.catalog.models import SearchSynonym

    response = admin_client.post(reverse("admin:catalog_searchsynonym_add"),
                                 {"term": "测一测词", "expansions": "出生登记\n户口登记\n", "active": "on"})
    assert response.status_code == 302
    assert SearchSynonym.objects.get(term="测一测词").expansions == ["出生登记", "户口登记"]


# --- unmet demand report --------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.date(2025, 3, 3)


def _log(query, *, results, clicked=False, at=None, normalized=None):
    log = SearchLog.objects.create(query=query, normalized=normalized or query, result_count=results,
                                   clicked_code="X" if clicked else "", clicked_rank=1 if clicked else None,
                                   clicked_at=timezone.now() if clicked else None, channel="web")
    at = at or datetime.datetime.combine(MONDAY + datetime.timedelta(days=2), datetime.time(10), tzinfo=SHANGHAI)
    SearchLog.objects.filter(pk=log.pk).update(created_at=at)
    return log


def test_report_counts_zero_result_and_no_click_not_clicked(db):
    for _ in range(3):
        _log("办护照", results=0)
    _log("办护照", results=4)
    _log("办护照", results=4, clicked=True)
    _log("生孩子", results=5)
    _log("生孩子", results=5)
    _log("营业执照", results=9, clicked=True)
    report = build_demand_report(MONDAY)
    assert report.week_start == MONDAY
    assert (report.total_searches, report.zero_result_searches, report.no_click_searches) == (8, 3, 3)
    assert report.rows == [
        {"query": "办护照", "searches": 4, "zero_results": 3, "no_click": 1, "total": 5},
        {"query": "生孩子", "searches": 2, "zero_results": 0, "no_click": 2, "total": 2},
    ]  # 营业执照 was clicked every time: met, so not a row


def test_report_groups_by_normalized_query(db):
    _log("办 护照", results=0, normalized="办护照")
    _log("办护照！", results=0, normalized="办护照")
    report = build_demand_report(MONDAY)
    assert report.rows == [{"query": "办护照", "searches": 2, "zero_results": 2, "no_click": 0, "total": 2}]


def test_report_week_boundaries_in_shanghai_time(db):
    start = datetime.datetime.combine(MONDAY, datetime.time.min, tzinfo=SHANGHAI)
    end = start + datetime.timedelta(days=7)
    _log("first", results=0, at=start)  # Monday 00:00 in Shanghai is Sunday 16:00 UTC
    _log("last", results=0, at=end - datetime.timedelta(seconds=1))
    _log("before", results=0, at=start - datetime.timedelta(seconds=1))
    _log("after", results=0, at=end)
    report = build_demand_report(MONDAY)
    assert sorted(r["query"] for r in report.rows) == ["first", "last"]
    assert report.total_searches == 2
    previous = build_demand_report(MONDAY - datetime.timedelta(days=7))
    assert [r["query"] for r in previous.rows] == ["before"]


def test_report_for_any_day_is_the_report_of_its_week(db):
    _log("q", results=0)
    report = build_demand_report(MONDAY + datetime.timedelta(days=6))  # Sunday
    assert report.week_start == MONDAY and report.total_searches == 1


def test_report_rerun_updates_the_same_row(db):
    _log("q", results=0)
    first = build_demand_report(MONDAY)
    _log("q", results=0)
    _log("r", results=3)
    second = build_demand_report(MONDAY)
    assert second.pk == first.pk
    assert SearchDemandReport.objects.filter(week_start=MONDAY).count() == 1
    second.refresh_from_db()
    assert second.total_searches == 3 and second.rows[0] == {"query": "q", "searches": 2, "zero_results": 2,
                                                              "no_click": 0, "total": 2}


def test_report_keeps_the_top_50(db):
    for i in range(60):
        for _ in range(i % 7 + 1):
            _log(f"query{i:02d}", results=0)
    rows = build_demand_report(MONDAY).rows
    assert len(rows) == 50
    counts = [r["searches"] for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] == 7


def test_empty_week_report(db):
    report = build_demand_report(MONDAY)
    assert (report.total_searches, report.rows) == (0, [])


def test_report_admin_shows_an_accessible_table_and_bars(admin_client, db):
    _log("办护照", results=0)
    _log("办护照", results=0)
    _log("生孩子", results=2)
    report = build_demand_report(MONDAY)
    html = admin_client.get(reverse("admin:catalog_searchdemandreport_change", args=[report.pk])).content.decode()
    assert "<table" in html and "<caption" in html and 'scope="col"' in html
    assert '<th scope="row">办护照</th>' in html
    assert 'aria-hidden="true"' in html and "width: 100.0%" in html and "<script" not in html.split("demand-report")[1]
    # building a week's report from the list page
    response = admin_client.post(reverse("admin:catalog_searchdemandreport_build"),
                                 {"week": (MONDAY + datetime.timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    assert SearchDemandReport.objects.filter(week_start=MONDAY + datetime.timedelta(days=7)).exists()

"""Applying and handling in the browser: the citizen starts the 新生儿出生 life event and sees one joint
form with prefilled, read-only registry values; staff open their task inbox after the second
factor; the supervisor opens e-supervision. axe-core checks every page."""

import json
import re
import time
import urllib.error
import urllib.request

import pytest
from django_otp.oath import totp

from yiwang.identity.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from yiwang.registry.demo import DEMO_PEOPLE

pytestmark = pytest.mark.browser


def _login(page, username, *, staff=False):
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("用户名")).fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")
    if staff:
        page.get_by_label(re.compile("动态口令")).fill(f"{totp(DEMO_TOTP_KEY):06d}")
        page.get_by_role("button", name="验证").click()
        page.wait_for_load_state("load")


def test_citizen_starts_a_life_event_with_one_prefilled_form(page, audit):
    _login(page, "citizen")
    page.goto("/cases/apply/life-event/newborn_birth/")
    audit(page, "cases-1-start")
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url(re.compile(r"/cases/applications/\d+/$"))
    main = page.locator("main")
    # Registry values arrive filled in and read-only; the full ID number is never shown.
    assert DEMO_PEOPLE["citizen"][0] in main.inner_html()
    assert DEMO_PEOPLE["citizen"][3] not in main.inner_text()
    assert page.locator("input[readonly]").count() >= 1
    audit(page, "cases-2-joint-form")


def test_staff_inbox_and_supervision(page, audit):
    _login(page, "staff-spj", staff=True)
    page.goto("/workflow/tasks/")
    assert page.locator("h1").inner_text() == "待办任务"
    audit(page, "workflow-1-inbox")
    page.goto("/workflow/supervision/")
    assert page.locator("h1").inner_text() == "电子监察"
    audit(page, "workflow-2-supervision")


def test_comprehensive_window_finds_the_citizen(page, audit):
    _login(page, "clerk", staff=True)
    page.goto("/hall/window/")
    audit(page, "hall-1-window")
    page.locator("#id_number").fill(DEMO_PEOPLE["citizen"][3])
    page.get_by_role("button", name="查找", exact=True).click()
    page.wait_for_url(re.compile(r"/hall/window/person/"))
    body = page.locator("main").inner_text()
    assert DEMO_PEOPLE["citizen"][3] not in body and DEMO_PEOPLE["citizen"][3][-4:] in body
    assert DEMO_PEOPLE["citizen"][3] not in page.url
    audit(page, "hall-2-person")


# --- 新生儿出生一件事 in the browser ----------------------------------------------------------------------

NEWBORN_ITEMS = {"WJW-GG-0001", "WJW-GG-0002", "GAJ-QR-0001", "YBJ-GG-0001", "RSJ-GG-0001"}


def _api(base, path, *, token=None, body=None):
    headers = {"Content-Type": "application/json", "Accept-Language": "zh-hans",
               **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(  # noqa: S310 - our own test server over http
        f"{base}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own test server
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _token(base, username, *, staff=False):
    body = {"username": username, "password": DEMO_PASSWORD}
    if staff:
        body["otp"] = f"{totp(DEMO_TOTP_KEY):06d}"
    status, answer = _api(base, "/api/v1/auth/token", body=body)
    if status == 401 and staff:  # this step's code was used by an earlier login: wait for the next one
        time.sleep(31 - time.time() % 30)
        body["otp"] = f"{totp(DEMO_TOTP_KEY):06d}"
        status, answer = _api(base, "/api/v1/auth/token", body=body)
    assert status == 200, answer
    return answer["token"]


def _departments_handle(base, numbers: set[str]) -> set[str]:
    """Each department opens its tasks through the API (a logged read) and acts: accept, agree in the
    parallel stage, approve; 出生登记 waits (400) until the birth certificate is issued."""
    tokens = {code: _token(base, f"staff-{code.lower()}", staff=True) for code in ("WJW", "GAJ", "YBJ", "RSJ")}
    seen = set()
    for _round in range(12):
        acted = False
        for code, token in tokens.items():
            _status, tasks = _api(base, "/api/v1/tasks?state=open&page_size=100", token=token)
            for row in tasks["results"]:
                if row["case"] not in numbers:
                    continue
                status, detail = _api(base, f"/api/v1/tasks/{row['id']}", token=token)
                assert status == 200 and detail["application"]["fields"], detail
                seen.add(code)
                action = next(a for a in ("agree", "accept", "approve") if a in row["actions"])
                status, _answer = _api(base, f"/api/v1/tasks/{row['id']}/complete", token=token,
                                       body={"action": action, "comment": "同意"})
                assert status in (200, 400), _answer
                acted = acted or status == 200
        if not acted:
            break
    return seen


def test_parent_applies_once_for_the_newborn_and_finds_her_licences(page, audit, live_server_url):
    _login(page, "citizen")
    page.goto("/cases/apply/life-event/newborn_birth/")
    assert "张小萌" in page.locator("main").inner_text()  # the hospital's birth record names her
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_url(re.compile(r"/cases/applications/\d+/$"))
    main = page.locator("main")
    assert "服务对象：张小萌" in main.inner_text()
    # The parent types only what no registry holds; nothing is to be uploaded.
    page.get_by_label(re.compile("^现居住地址")).fill("浙江省杭州市上城区解放路18号")
    page.get_by_label(re.compile("^开户银行")).fill("中国工商银行杭州分行")
    for label, value in (("与户主关系", "子"), ("参保人员类别", "新生儿"), ("领取方式", "邮寄")):
        field = page.get_by_label(re.compile(f"^{label}"))
        if field.evaluate("e => e.tagName") == "SELECT":
            options = [o for o in field.locator("option").all_inner_texts() if o.strip() and "请选择" not in o]
            field.select_option(label=value if value in options else options[0])
        else:
            field.fill(value)
    assert page.locator("input[type=file]").count() == page.locator(
        ".material-card:has-text('按需提供') input[type=file]").count()
    audit(page, "cases-3-newborn-form")
    page.get_by_role("button", name="提交申报").click()
    page.wait_for_load_state("load")
    assert "已提交" in page.locator("main").inner_text()

    status, cases = _api(live_server_url, "/api/v1/cases?page_size=100", token=_token(live_server_url, "citizen"))
    numbers = {c["number"] for c in cases["results"] if c["item"] in NEWBORN_ITEMS and c["result"] is None}
    assert status == 200 and len(numbers) == len(NEWBORN_ITEMS)
    assert _departments_handle(live_server_url, numbers) == {"WJW", "GAJ", "YBJ", "RSJ"}

    page.goto("/licenses/")
    wallet = page.locator("main").inner_text()
    for name in ("出生医学证明", "预防接种证", "社会保障卡"):
        assert name in wallet
    assert "张小萌" in wallet
    audit(page, "cases-4-newborn-wallet")
    page.goto("/sharing/my-data-access/")
    log = page.locator("main").inner_text()
    assert "办件审查" in log
    audit(page, "cases-5-newborn-access-log")

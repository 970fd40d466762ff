"""Applying and handling in the browser: the citizen starts the 新生儿出生 life event and sees one joint
form with prefilled, read-only registry values; staff open their task inbox after the second
factor; the supervisor opens e-supervision. axe-core checks every page."""

import re

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

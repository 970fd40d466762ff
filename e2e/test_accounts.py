"""Accounts in the browser: real-name registration with field errors, login by ID number, the proxy
page, and a staff login through the mandatory second factor. axe-core checks every page."""

import re

import pytest
from django_otp.oath import totp

from yiwang.identity.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from yiwang.registry.demo import DEMO_PEOPLE, DEMO_PHONES

pytestmark = pytest.mark.browser


def _login(page, username, password=DEMO_PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label(re.compile("用户名")).fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("load")


def test_registration_reports_a_wrong_check_digit_then_registers(page, audit):
    name, _sex, _birth, id_number = DEMO_PEOPLE["citizen_spouse"]  # in the registry, no account yet
    wrong = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    page.goto("/accounts/register/")
    audit(page, "accounts-1-register")
    page.locator("#id_name").fill(name)
    page.locator("#id_id_number").fill(wrong)
    page.locator("#id_phone").fill(DEMO_PHONES["citizen_spouse"])
    page.locator("#id_password").fill("e2e-a-long-passphrase-7")
    page.locator("#id_password2").fill("e2e-a-long-passphrase-7")
    page.get_by_role("button", name="注册").click()
    field = page.locator("#id_id_number")
    assert field.get_attribute("aria-invalid") == "true"
    assert "校验位" in page.locator("#form-errors").inner_text()
    audit(page, "accounts-2-register-errors")
    field.fill(id_number)
    page.locator("#id_password").fill("e2e-a-long-passphrase-7")
    page.locator("#id_password2").fill("e2e-a-long-passphrase-7")
    page.get_by_role("button", name="注册").click()
    page.wait_for_url(re.compile(r"/accounts/me/$"))
    body = page.locator("main").inner_text()
    assert id_number not in body and id_number[-4:] in body
    audit(page, "accounts-3-account")


def test_citizen_logs_in_with_the_id_number_and_sees_the_principal(page, audit):
    _login(page, DEMO_PEOPLE["citizen"][3])
    page.goto("/accounts/proxies/")
    received = page.locator("section", has=page.get_by_role("heading", name="我可以代办的人"))
    assert DEMO_PEOPLE["citizen2"][0] in received.inner_text()
    audit(page, "accounts-4-proxies")


def test_staff_pass_the_second_factor(page, audit):
    _login(page, "staff-gaj")
    page.wait_for_url(re.compile(r"/accounts/2fa/"))
    audit(page, "accounts-5-two-factor")
    page.get_by_label(re.compile("动态口令")).fill(f"{totp(DEMO_TOTP_KEY):06d}")
    page.get_by_role("button", name="验证").click()
    page.wait_for_load_state("load")
    assert "/accounts/2fa/" not in page.url
    page.goto("/accounts/me/")
    assert "市公安局" in page.locator("main").inner_text()


def test_wallet_licence_verifies_and_a_tampered_token_does_not(page, audit):
    _login(page, "citizen")
    page.goto("/licenses/")
    main = page.locator("main")
    for name in ("居民身份证", "居民户口簿", "结婚证"):
        assert name in main.inner_text(), name
    assert DEMO_PEOPLE["citizen"][3] not in main.inner_text()
    audit(page, "licenses-1-wallet")
    page.get_by_role("link", name=re.compile("在线核验.*居民身份证$")).click()  # his own, not his son's
    page.wait_for_url(re.compile(r"/licenses/verify\?token="))
    assert page.locator("#verdict-word").inner_text() == "有效"
    audit(page, "licenses-2-verify-valid")
    token = page.url.split("token=", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    page.goto(f"/licenses/verify?token={flipped}")
    assert page.locator("#verdict-word").inner_text() == "无效"
    audit(page, "licenses-3-verify-invalid")


def test_who_read_my_data_page(page, audit):
    _login(page, "citizen")
    page.goto("/sharing/my-data-access/")
    assert page.locator("h1").inner_text()
    audit(page, "sharing-1-my-data-access")

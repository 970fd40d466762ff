"""Pages: the wallet, PDFs, stamped copies, public verification."""

import pytest

from yiwang.licenses import services

from .conftest import CITIZEN_ID, OTHER_ID


def use(license, user):
    return services.license_use(license=license, used_by=user, item_code="X1", item_name="开办餐饮店",
                                case_number="CASE-77")


def test_wallet_requires_login(client, demo_catalog):
    response = client.get("/licenses/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_wallet_shows_own_licences_with_qr_and_uses(client, id_card, other_id_card, citizen):
    use(id_card, citizen)
    client.force_login(citizen)
    response = client.get("/licenses/")
    assert response.status_code == 200
    html = response.content.decode()
    assert id_card.identifier in html and other_id_card.identifier not in html
    assert "<svg" in html and "license-qr" in html
    assert f"/licenses/{id_card.identifier}/pdf" in html
    assert "CASE-77" in html and "开办餐饮店" in html
    assert "3301**********0356" in html
    assert CITIZEN_ID not in html and OTHER_ID not in html


def test_wallet_empty(client, citizen):
    client.force_login(citizen)
    assert "暂无电子证照" in client.get("/licenses/").content.decode()


def test_pdf_of_own_licence(client, id_card, citizen):
    client.force_login(citizen)
    response = client.get(f"/licenses/{id_card.identifier}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_pdf_and_stamped_copy_of_someone_else_are_404(client, id_card, other_id_card, citizen, other_citizen):
    record = use(id_card, citizen)
    client.force_login(other_citizen)
    assert client.get(f"/licenses/{id_card.identifier}/pdf").status_code == 404
    assert client.get(f"/licenses/{id_card.identifier}/uses/{record.pk}/copy").status_code == 404
    # own licence, but a use id of another licence
    assert client.get(f"/licenses/{other_id_card.identifier}/uses/{record.pk}/copy").status_code == 404
    client.logout()
    assert client.get(f"/licenses/{id_card.identifier}/pdf").status_code == 302


def test_stamped_copy_of_own_use(client, id_card, citizen):
    record = use(id_card, citizen)
    client.force_login(citizen)
    response = client.get(f"/licenses/{id_card.identifier}/uses/{record.pk}/copy")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_verify_page_valid_without_login(client, id_card):
    response = client.get("/licenses/verify", {"token": services.license_token(id_card)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "有效" in html and "无效" not in html and "市公安局" in html and "张*" in html
    assert id_card.identifier in html and CITIZEN_ID not in html


@pytest.mark.parametrize("token, reason", [("garbage", "二维码内容格式错误"), ("x" * 2000, "二维码内容格式错误")])
def test_verify_page_invalid(client, demo_catalog, token, reason):
    html = client.get("/licenses/verify", {"token": token}).content.decode()
    assert "无效" in html and reason in html


def test_verify_page_revoked(client, id_card, gaj_staff):
    token = services.license_token(id_card)
    services.license_revoke(license=id_card, actor=gaj_staff)
    html = client.get("/licenses/verify", {"token": token}).content.decode()
    assert "无效" in html and "证照已撤销" in html and "市公安局" in html


def test_verify_page_form(client, demo_catalog):
    html = client.get("/licenses/verify").content.decode()
    assert '<label for="token"' in html and 'name="token"' in html and "无效" not in html

"""The admin shows the registries read-only, with identifiers masked."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


def test_person_admin_is_read_only_and_masked(admin_client, person):
    p = person("M", dt.date(1980, 1, 1), name="欧阳明", phone="13912345678")
    html = admin_client.get("/admin/registry/person/?q=欧阳").content.decode()
    assert "欧阳明" in html and p.masked_id_number in html and p.id_number not in html
    assert "欧阳明" not in admin_client.get("/admin/registry/person/?q=张").content.decode()
    detail = admin_client.get(f"/admin/registry/person/{p.pk}/change/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert p.id_number not in body and "13912345678" not in body and "139****5678" in body
    # Opening the person is logged where the person sees it.
    from yiwang.sharing.models import DataAccessRecord

    record = DataAccessRecord.objects.get(subject_hash=p.id_number_hash)
    assert record.channel == "staff_lookup" and "person.address" in record.elements
    assert admin_client.get("/admin/registry/person/add/").status_code == 403
    admin_client.post(f"/admin/registry/person/{p.pk}/change/", {"name": "改名"})
    p.refresh_from_db()
    assert p.name == "欧阳明"
    for model in ("household", "entity", "registryevent", "outboxmessage", "subscription", "delivery", "followuptask"):
        assert admin_client.get(f"/admin/registry/{model}/").status_code == 200, model

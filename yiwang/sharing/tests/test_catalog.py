"""The data catalogue: every registry datum has an element with the registry's source department."""

import pytest

from yiwang.audit.models import AuditEntry
from yiwang.registry.constants import DATA_SOURCES
from yiwang.sharing.constants import ELEMENTS, SharingClass
from yiwang.sharing.demo import load_data_catalog
from yiwang.sharing.models import DataElement

pytestmark = pytest.mark.django_db


def test_every_registry_datum_is_described():
    assert set(ELEMENTS) == set(DATA_SOURCES)


def test_migration_seeded_the_catalogue_from_data_sources():
    elements = {e.code: e for e in DataElement.objects.all()}
    assert set(elements) == set(DATA_SOURCES)
    for code, source in DATA_SOURCES.items():
        assert elements[code].source_department == source
        assert elements[code].subject_kind == code.split(".")[0]
    classes = {code: e.sharing_class for code, e in elements.items()}
    assert {classes[c] for c in ("person.name", "person.sex", "person.birth_date")} == {SharingClass.UNCONDITIONAL}
    assert {classes[c] for c in ("person.address", "person.household", "person.marital_status", "person.spouse",
                                 "person.parents", "person.died_on")} == {SharingClass.CONDITIONAL}
    assert classes["person.phone"] == SharingClass.NOT_SHARED
    assert {classes[c] for c in DATA_SOURCES if c.startswith("entity.")} == {SharingClass.UNCONDITIONAL}


def test_load_is_idempotent_keeps_admin_edits_and_restores_the_source():
    assert load_data_catalog() == (0, 0)
    DataElement.objects.filter(code="person.name").update(name="姓名（户籍）", source_department="MZJ")
    DataElement.objects.filter(code="person.ethnicity").delete()
    assert load_data_catalog() == (1, 1)
    element = DataElement.objects.get(code="person.name")
    assert (element.name, element.source_department) == ("姓名（户籍）", "GAJ")
    assert load_data_catalog(reset=True) == (0, 1)
    assert DataElement.objects.get(code="person.name").name == "姓名"


def test_admin_edits_are_audited(client):
    from django.contrib.auth import get_user_model

    from .conftest import otp_login

    admin = get_user_model().objects.create_superuser("cat-admin", password="x", kind="staff")
    otp_login(client, admin)
    element = DataElement.objects.get(code="person.ethnicity")
    response = client.post(f"/admin/sharing/dataelement/{element.pk}/change/", {
        "name": "民族", "sharing_class": "unconditional", "description": "d"})
    assert response.status_code == 302
    element.refresh_from_db()
    assert element.sharing_class == "unconditional" and element.source_department == "GAJ"
    entry = AuditEntry.objects.get(action="sharing.element_changed")
    assert entry.target_id == "person.ethnicity" and "sharing_class" in entry.data["changed"]
    assert client.get("/admin/sharing/sharingrequest/").status_code == 200
    assert client.get("/admin/sharing/dataaccessrecord/").status_code == 200
    assert client.get("/admin/sharing/sharingrequest/add/").status_code == 403

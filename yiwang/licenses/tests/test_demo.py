"""Demo licences of the demo people and company."""

from collections import Counter

from yiwang.identity.selectors import subject_index
from yiwang.licenses import services
from yiwang.licenses.demo import id_card_validity, issue_demo_licenses
from yiwang.licenses.models import License, SigningKey
from yiwang.registry.demo import DEMO_COMPANY, DEMO_PEOPLE


def test_demo_licences_are_complete_valid_and_idempotent(demo_catalog):
    issued = issue_demo_licenses()
    assert len(issued) == 15
    assert issue_demo_licenses() == []
    assert License.objects.count() == 15
    per_holder = Counter()
    for lic in License.objects.select_related("license_type"):
        per_holder[(lic.holder_hash, lic.license_type.code)] += 1
        assert services.license_verify_token(services.license_token(lic)).valid, lic
        assert set(lic.fields) <= set(lic.license_type.fields)
    for key, (_name, _sex, _birth, id_number) in DEMO_PEOPLE.items():
        h = subject_index(id_number)
        assert per_holder[(h, "resident_id_card")] == 1 and per_holder[(h, "household_register")] == 1, key
        assert per_holder[(h, "marriage_certificate")] == (1 if key in ("citizen", "citizen_spouse") else 0)
    assert per_holder[(subject_index(DEMO_COMPANY["uscc"]), "business_license")] == 1
    # one key per issuing department, created on first use
    assert set(SigningKey.objects.values_list("department__code", flat=True)) == {"GAJ", "MZJ", "SCJ"}


def test_id_card_validity_rule():
    import datetime as dt

    issued = dt.date(2020, 6, 1)
    assert id_card_validity(dt.date(2010, 1, 1), issued) == dt.date(2025, 6, 1)
    assert id_card_validity(dt.date(2000, 1, 1), issued) == dt.date(2030, 6, 1)
    assert id_card_validity(dt.date(1980, 1, 1), issued) == dt.date(2040, 6, 1)
    assert id_card_validity(dt.date(1960, 1, 1), issued) is None

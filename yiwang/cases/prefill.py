"""Prefill of the joint form from the registries and the applicant's licences.

Registry values are read through yiwang.sharing.services.own_data_read, so every prefill read is in
the subject's data-access log (channel "prefill"). Form prefill sources name data the way the
catalogue's forms do (person.gender, entity.legal_rep ...); PERSON_SOURCES and ENTITY_SOURCES map
them to the elements of the data catalogue (registry DATA_SOURCES). A source with no catalogue element
(person.residence_address, person.education, entity.business_scope ...) is left for the applicant.
`license:<type>.<field>` takes the field from the applicant's newest valid licence of that type.

For someone else (a beneficiary, 服务对象: the newborn of 新生儿出生一件事), the applicant is their
guardian: the applicant's own identity and contact fields (APPLICANT_FIELD_KEYS) stay the
applicant's, every other person.* field and licence field is the beneficiary's, read through
sharing.ward_data_read (logged on the child). A birth certificate the child does not hold yet is
replaced by the birth record WJW keeps in the registry (BIRTH_RECORD); a licence field that
another item of the same bundle will issue is left pending (`bundle:` source) and filled when it
is issued (handling.fill_from_bundle).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import translation

from yiwang.registry.constants import DATA_SOURCES, EntityKind, MaritalStatus
from yiwang.sharing.services import NotFound, own_data_read, ward_data_read

from . import rules
from .constants import APPLICANT_FIELD_KEYS, GUARDIAN_FALLBACK_SOURCES
from .sources import BIRTH_PREFIX, BUNDLE_PREFIX, LICENSE_PREFIX, license_source

logger = logging.getLogger(__name__)

PERSON_SOURCES = {
    "person.name": "person.name",
    "person.id_number": "person.id_number",
    "person.phone": "person.phone",
    "person.address": "person.address",
    "person.gender": "person.sex",
    "person.sex": "person.sex",
    "person.birth_date": "person.birth_date",
    "person.ethnicity": "person.ethnicity",
    "person.marital_status": "person.marital_status",
    "person.birth_place": "person.birth_place",
}
ENTITY_SOURCES = {
    "entity.name": "entity.name",
    "entity.uscc": "entity.uscc",
    "entity.legal_rep": "entity.legal_representative",
    "entity.legal_representative": "entity.legal_representative",
    "entity.address": "entity.address",
    "entity.type": "entity.kind",
    "entity.kind": "entity.kind",
}
# Only what the catalogue has (一数一源): a mapping to a datum the registry does not keep is dropped.
PERSON_SOURCES = {k: v for k, v in PERSON_SOURCES.items() if v in DATA_SOURCES}
ENTITY_SOURCES = {k: v for k, v in ENTITY_SOURCES.items() if v in DATA_SOURCES}

# Prefilled but still editable: contact details the applicant may give differently for this case.
EDITABLE_SOURCES = {"person.phone"}

BIRTH_CERTIFICATE = "birth_medical_certificate"
# Face field of the birth certificate → registry element of the child (or (parent, key) of person.parents).
BIRTH_RECORD = {
    "新生儿姓名": "person.name",
    "性别": "person.sex",
    "出生时间": "person.birth_date",
    "出生地": "person.birth_place",
    "母亲姓名": ("mother", "name"),
    "母亲有效身份证件号码": ("mother", "id_number"),
    "父亲姓名": ("father", "name"),
    "父亲有效身份证件号码": ("father", "id_number"),
}


def _label(choices, code):
    # Form values are stored in Chinese whatever the request's language.
    with translation.override("zh-hans"):
        try:
            return str(choices(code).label)
        except ValueError:
            return code


def _display(element: str, value) -> str:
    if value is None:
        return ""
    if element == "person.sex":
        return {"M": "男", "F": "女"}.get(value, value)
    if element == "person.marital_status":
        return _label(MaritalStatus, value)
    if element == "entity.kind":
        return _label(EntityKind, value)
    if isinstance(value, dict | list):
        return ""  # relations are not form values
    return str(value)


def is_registry_source(source: str) -> bool:
    return (source in PERSON_SOURCES or source in ENTITY_SOURCES or license_source(source) is not None
            or source.startswith((BIRTH_PREFIX, BUNDLE_PREFIX)))


@dataclass
class Prefill:
    values: dict[str, str] = field(default_factory=dict)  # field key → value
    sources: dict[str, str] = field(default_factory=dict)  # field key → prefill source
    facts: dict[str, str] = field(default_factory=dict)  # element code → raw registry value (rules)
    licenses: dict[str, str] = field(default_factory=dict)  # licence type → identifier used


def _read(*, user, elements: set[str], purpose: str, uscc: str = "") -> dict:
    if not elements:
        return {}
    try:
        return own_data_read(user=user, elements=sorted(elements), purpose=purpose, uscc=uscc)
    except (NotFound, ValidationError) as exc:
        # No registry entry (or an element the catalogue lacks): the applicant types the values.
        logger.info("No prefill for user %s: %s", user.pk, exc)
        return {}


def _ward_read(*, applicant, beneficiary, elements: set[str], purpose: str) -> dict:
    if beneficiary is None or not elements:
        return {}
    try:
        return ward_data_read(user=applicant, person=beneficiary, elements=sorted(elements), purpose=purpose)
    except (NotFound, ValidationError) as exc:
        logger.info("No ward prefill for user %s: %s", applicant.pk, exc)
        return {}


def _birth_record_value(ward: dict, face: str) -> str:
    element = BIRTH_RECORD.get(face)
    if isinstance(element, tuple):
        parent = (ward.get("person.parents") or {}).get(element[0]) or {}
        return str(parent.get(element[1]) or "")
    return _display(element, ward.get(element)) if element else ""


def license_types_of(fields: list[dict]) -> set[str]:
    """The licence types whose 照面 values `fields` are prefilled from."""
    return {parsed[0] for f in fields if (parsed := license_source(f["prefill_source"]))}


def prefill(*, applicant, fields: list[dict], purpose: str, licenses: dict, ward_licenses: dict, uscc: str = "",
            beneficiary=None, bundle_outputs: dict[str, set[str]] | None = None) -> Prefill:
    """Values for `fields` (merged definitions with key and prefill_source) and the rule facts.
    `licenses`, `ward_licenses`: the applicant's and the beneficiary's valid licences by type (at
    least those of license_types_of(fields)), read once by the caller for the form and the materials;
    `beneficiary`: the registry Person the application is for, when not the applicant;
    `bundle_outputs`: licence type → codes of the bundle's items that issue it."""
    bundle_outputs = bundle_outputs or {}
    result = Prefill()

    def for_ward(f) -> bool:
        return beneficiary is not None and f["key"] not in APPLICANT_FIELD_KEYS

    person_elements = {PERSON_SOURCES[f["prefill_source"]] for f in fields if f["prefill_source"] in PERSON_SOURCES}
    fact_elements = rules.facts_needed(f["key"] for f in fields)
    person = _read(user=applicant, elements=person_elements | {e for e in fact_elements if e.startswith("person.")},
                   purpose=purpose)
    entity_elements = {ENTITY_SOURCES[f["prefill_source"]] for f in fields if f["prefill_source"] in ENTITY_SOURCES}
    entity = _read(user=applicant, elements=entity_elements, purpose=purpose, uscc=uscc) if uscc else {}
    license_types = license_types_of(fields)
    ward_elements = {PERSON_SOURCES[f["prefill_source"]] for f in fields
                     if f["prefill_source"] in PERSON_SOURCES and for_ward(f)}
    if beneficiary is not None and BIRTH_CERTIFICATE in license_types and BIRTH_CERTIFICATE not in ward_licenses:
        ward_elements |= {e if isinstance(e, str) else "person.parents" for e in BIRTH_RECORD.values()}
    ward = _ward_read(applicant=applicant, beneficiary=beneficiary, elements=ward_elements, purpose=purpose)

    result.facts = {code: person.get(code) for code in fact_elements if person.get(code)}
    for f in fields:
        source = f["prefill_source"]
        parsed = license_source(source)
        if source in PERSON_SOURCES:
            element = PERSON_SOURCES[source]
            value = _display(element, ward.get(element)) if for_ward(f) else ""
            if not for_ward(f) or (not value and source in GUARDIAN_FALLBACK_SOURCES):
                value = _display(element, person.get(element))
        elif source in ENTITY_SOURCES:
            value = _display(ENTITY_SOURCES[source], entity.get(ENTITY_SOURCES[source]))
        elif parsed and (held := (ward_licenses if for_ward(f) else {}).get(parsed[0]) or licenses.get(parsed[0])):
            value = _display("", held.fields.get(parsed[1]))
            if value:
                result.licenses[parsed[0]] = held.identifier
        elif parsed and parsed[0] == BIRTH_CERTIFICATE and (value := _birth_record_value(ward, parsed[1])):
            source = BIRTH_PREFIX + parsed[1]
        elif parsed and bundle_outputs.get(parsed[0]) and not set(f["items"]) & bundle_outputs[parsed[0]]:
            # Issued by another item of this application: nothing to type, filled when it is issued.
            result.sources[f["key"]] = BUNDLE_PREFIX + source.removeprefix(LICENSE_PREFIX)
            value = ""
        else:
            value = ""
        if value:
            result.values[f["key"]] = value
            result.sources[f["key"]] = source
    return result

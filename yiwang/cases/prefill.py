"""Prefill of the joint form from the registries and the applicant's licences.

Registry values are read through yiwang.sharing.services.own_data_read, so every prefill read is in
the subject's data-access log (channel "prefill"). Form prefill sources name data the way the
catalogue's forms do (person.gender, entity.legal_rep ...); PERSON_SOURCES and ENTITY_SOURCES map
them to the elements of the data catalogue (registry DATA_SOURCES). A source with no catalogue element
(person.residence_address, person.education, entity.business_scope ...) is left for the applicant.
`license:<type>.<field>` takes the field from the applicant's newest valid licence of that type.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import translation

from yiwang.registry.constants import DATA_SOURCES, EntityKind, MaritalStatus
from yiwang.sharing.services import NotFound, own_data_read

from . import rules, selectors

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

LICENSE_PREFIX = "license:"


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


def license_source(source: str) -> tuple[str, str] | None:
    """"license:household_register.户号" → ("household_register", "户号")."""
    if not source.startswith(LICENSE_PREFIX):
        return None
    type_code, dot, field_name = source.removeprefix(LICENSE_PREFIX).partition(".")
    return (type_code, field_name) if dot and type_code and field_name else None


def is_registry_source(source: str) -> bool:
    return source in PERSON_SOURCES or source in ENTITY_SOURCES or license_source(source) is not None


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


def prefill(*, applicant, fields: list[dict], purpose: str, uscc: str = "") -> Prefill:
    """Values for `fields` (merged definitions with key and prefill_source) and the rule facts."""
    result = Prefill()
    person_elements = {PERSON_SOURCES[f["prefill_source"]] for f in fields if f["prefill_source"] in PERSON_SOURCES}
    fact_elements = rules.facts_needed(f["key"] for f in fields)
    person = _read(user=applicant, elements=person_elements | {e for e in fact_elements if e.startswith("person.")},
                   purpose=purpose)
    entity_elements = {ENTITY_SOURCES[f["prefill_source"]] for f in fields if f["prefill_source"] in ENTITY_SOURCES}
    entity = _read(user=applicant, elements=entity_elements, purpose=purpose, uscc=uscc) if uscc else {}
    license_types = {parsed[0] for f in fields if (parsed := license_source(f["prefill_source"]))}
    licenses = selectors.valid_licenses_by_type(applicant, license_types) if license_types else {}

    result.facts = {code: person.get(code) for code in fact_elements if person.get(code)}
    for f in fields:
        source = f["prefill_source"]
        if source in PERSON_SOURCES:
            value = _display(PERSON_SOURCES[source], person.get(PERSON_SOURCES[source]))
        elif source in ENTITY_SOURCES:
            value = _display(ENTITY_SOURCES[source], entity.get(ENTITY_SOURCES[source]))
        elif (parsed := license_source(source)) and parsed[0] in licenses:
            license = licenses[parsed[0]]
            value = _display("", license.fields.get(parsed[1]))
            if value:
                result.licenses[parsed[0]] = license.identifier
        else:
            value = ""
        if value:
            result.values[f["key"]] = value
            result.sources[f["key"]] = source
    return result

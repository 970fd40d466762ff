"""Names of prefill sources, shared by the prefill, the joint form and the case handling (kept apart
from prefill.py, which reads the registries, so that handling can use them without a cycle)."""

from __future__ import annotations

LICENSE_PREFIX = "license:"
BIRTH_PREFIX = "birth:"  # a birth-certificate face field read from the registry's birth record
BUNDLE_PREFIX = "bundle:"  # filled when another item of the same bundle issues the licence


def license_source(source: str) -> tuple[str, str] | None:
    """"license:household_register.户号" → ("household_register", "户号")."""
    if not source.startswith(LICENSE_PREFIX):
        return None
    type_code, dot, field_name = source.removeprefix(LICENSE_PREFIX).partition(".")
    return (type_code, field_name) if dot and type_code and field_name else None


def bundle_source(source: str) -> tuple[str, str] | None:
    """"bundle:birth_medical_certificate.出生证编号" → ("birth_medical_certificate", "出生证编号")."""
    if not source.startswith(BUNDLE_PREFIX):
        return None
    return license_source(LICENSE_PREFIX + source.removeprefix(BUNDLE_PREFIX))

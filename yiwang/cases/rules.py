"""情形 (conditional parts of a form): rules that make fields required or optional from facts the
registries hold about the applicant.

Each rule names the fields it governs, the facts it needs (catalogue element codes, read once at
prefill through yiwang.sharing), and decides per item whether the catalogue's "required" stands.
A rule that cannot decide (the fact is unknown) leaves the catalogue's requirement as it is: never
relax a requirement on a guess. Add a rule by appending to RULES.

Rule 1 — spouse fields (spouse_*) are required only when the applicant is married. Items where
"spouse" means the partner one is about to marry (marriage registration, pre-marital checks) are
exempt: there the spouse fields stay as the catalogue says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from yiwang.registry.constants import MaritalStatus


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    governs: Callable[[str], bool]  # field key → does the rule apply to it
    facts: tuple[str, ...]  # catalogue element codes it needs
    decide: Callable[[dict], bool | None]  # facts → required? (None: cannot tell)
    exempt_items: frozenset[str] = field(default_factory=frozenset)


def _married(facts: dict) -> bool | None:
    status = facts.get("person.marital_status")
    return None if not status else status == MaritalStatus.MARRIED


RULES: list[Rule] = [
    Rule(
        name="spouse_if_married",
        description="配偶信息仅在申请人已婚时必填",
        governs=lambda key: key.startswith("spouse_"),
        facts=("person.marital_status",),
        decide=_married,
        exempt_items=frozenset({"MZJ-QR-0001", "WJW-GG-0011"}),  # 结婚登记, 婚检孕检: the future spouse
    ),
]


def facts_needed(keys) -> set[str]:
    keys = list(keys)
    return {code for rule in RULES if any(rule.governs(k) for k in keys) for code in rule.facts}


def effective_required(key: str, required_by: list[str], facts: dict) -> tuple[bool, str]:
    """(required, rule name or "") for a merged field, given the items whose catalogue requires it."""
    if not required_by:
        return False, ""
    for rule in RULES:
        if not rule.governs(key):
            continue
        decision = rule.decide(facts)
        if decision is None or decision:
            return True, ""
        if any(code in rule.exempt_items for code in required_by):
            return True, ""
        return False, rule.name
    return True, ""

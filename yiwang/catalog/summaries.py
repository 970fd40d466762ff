"""The item summary of API.md, shared by the API and the search index (which stores it per document)."""

from .models import ServiceItemVersion


def item_summary(version: ServiceItemVersion) -> dict:
    """The same summary from a loaded version (related rows select_related / prefetched)."""
    targets = sorted(version.targets.all(), key=lambda c: (c.position, c.value))
    return {
        "code": version.item.code,
        "name": version.name,
        "kind": version.kind.label,
        "kind_code": version.kind.value,
        "department": {"code": version.department.code, "name": version.department.name},
        "targets": [c.label for c in targets],
        "promised_days": version.promised_days,
        "statutory_days": version.statutory_days,
        "max_visits": version.max_visits,
        "online_depth": version.online_depth,
        "scope": version.scope.label,
        "case_kind": version.case_kind.label,
    }

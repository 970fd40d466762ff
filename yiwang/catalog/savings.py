"""What applying for a life event once (一件事一次办) saves against applying item by item.

`life_event_savings(event)` is a pure function over a LifeEvent as returned by
`selectors.life_event_detail` (entries → item → published version with its materials prefetched), so
the public pages and the API compute the same figures without extra queries. It also works on a plain
LifeEvent (then it reads each item's current version), at the cost of a few queries.

The rules:
- visits: item by item, each item's `max_visits` is a trip of its own (sum); applied once, the trips
  happen together, so the largest `max_visits` of the bundle is enough (max).
- materials: item by item, every material of every item is handed in (total count); applied once,
  each distinct material (the same licence type, or the same name when it has none) is handed in once,
  and none that the government already holds (an electronic licence replaces it).
- days: item by item, the items run one after the other (sum of `promised_days`); applied once, they
  are handled in parallel (max of `promised_days`).
Items without a published version (withdrawn) are left out of both sides.
"""

from .constants import VersionStatus


def _published_version(entry):
    item = entry.item
    prefetched = getattr(item, "published", None)  # to_attr of selectors.life_event_detail
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    version = item.current_version
    if version is None or version.status != VersionStatus.PUBLISHED:
        return None
    return version


def life_event_versions(event) -> list:
    """The published versions of a life event's items, in the event's order."""
    versions = []
    for entry in event.entries.all():
        version = _published_version(entry)
        if version is not None:
            versions.append(version)
    return versions


def _material_key(material) -> tuple[str, str]:
    if material.license_type_id is not None:
        return ("license_type", str(material.license_type_id))
    return ("name", material.name.strip())


def _figure(item_by_item: int, bundled: int) -> dict:
    return {"item_by_item": item_by_item, "bundled": bundled, "saved": max(item_by_item - bundled, 0)}


def life_event_savings(event) -> dict:
    """{"items": n, "visits": {...}, "materials": {...}, "days": {...}}; each figure has
    `item_by_item`, `bundled` and `saved` (item_by_item - bundled, never negative)."""
    versions = life_event_versions(event)
    visits = [v.max_visits for v in versions]
    days = [v.promised_days for v in versions]
    materials = [m for v in versions for m in v.materials.all()]
    to_bring = {_material_key(m) for m in materials if not m.held_by_government}
    return {
        "items": len(versions),
        "visits": _figure(sum(visits), max(visits, default=0)),
        "materials": _figure(len(materials), len(to_bring)),
        "days": _figure(sum(days), max(days, default=0)),
    }

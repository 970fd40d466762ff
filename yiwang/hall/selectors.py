"""Reads of the comprehensive window."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from yiwang.catalog import selectors as catalog
from yiwang.catalog.search.engine import rank
from yiwang.identity.constants import AccountKind
from yiwang.identity.selectors import subject_index

from .constants import SEARCH_RESULTS


def account_for_id_number(id_number: str):
    """The active real-name account (citizen or enterprise agent) of this 公民身份号码, or None."""
    return (get_user_model().objects.filter(id_number_hash=subject_index(id_number), is_active=True)
            .exclude(kind=AccountKind.STAFF).first())


def item_hits(query: str) -> list:
    """Items matching what the clerk typed (the portal's own search ranking)."""
    query = (query or "").strip()
    return list(rank(query, kinds=("item",))[:SEARCH_RESULTS]) if query else []


def life_events():
    return catalog.life_event_list().only("code", "name")

from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ..models import LifeEvent, SearchDocument, SearchLog, ServiceItem
from . import state


@transaction.atomic
def refresh_popularity(*, days: int = 90) -> int:
    """Clicks per item and life event over the window; returns how many counts changed."""
    since = timezone.now() - timedelta(days=days)
    clicks = {
        (row["clicked_kind"], row["clicked_code"]): row["n"]
        for row in SearchLog.objects.filter(clicked_at__gte=since).exclude(clicked_code="")
        .values("clicked_kind", "clicked_code").annotate(n=Count("id"))
    }
    changed = 0
    for model, kind in ((ServiceItem, SearchDocument.Kind.ITEM), (LifeEvent, SearchDocument.Kind.LIFE_EVENT)):
        for pk, code, old in model.objects.values_list("pk", "code", "popularity"):
            new = clicks.get((kind, code), 0)
            if new != old:
                model.objects.filter(pk=pk).update(popularity=new)
                SearchDocument.objects.filter(kind=kind, ref_code=code).update(popularity=new)
                changed += 1
    if changed:
        state.bump()
    return changed

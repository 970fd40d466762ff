from celery import shared_task

from . import services


@shared_task
def idempotency_records_purge(older_than_days: int = 7) -> int:
    """Periodic: forget Idempotency-Key answers past the retry window (idempotent)."""
    return services.idempotency_records_purge(older_than_days=older_than_days)


@shared_task
def case_document_render(document_id: int) -> None:
    """After commit: render a notice's PDF into private storage (idempotent)."""
    from .models import CaseDocument

    document = CaseDocument.objects.filter(pk=document_id).select_related("case").first()
    if document is not None:
        services.case_document_render(document=document)

from celery import shared_task


@shared_task(ignore_result=True)
def render_stamped_copy(use_id: int) -> None:
    """Kept for messages queued before render_stamped_copies replaced it. Idempotent: a retry or a download that rendered it first leaves the copy as it is."""
    from .models import LicenseUse
    from .services import stamped_copy_render

    use = LicenseUse.objects.filter(pk=use_id).first()
    if use is not None:
        stamped_copy_render(use=use)


@shared_task(ignore_result=True)
def render_stamped_copies(use_ids: list[int]) -> None:
    """The stamped copies of a batch of uses (one message per submit, not one per use)."""
    from .models import LicenseUse
    from .services import stamped_copy_render

    for use in LicenseUse.objects.filter(pk__in=use_ids).order_by("pk"):
        stamped_copy_render(use=use)

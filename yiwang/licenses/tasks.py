from celery import shared_task


@shared_task(ignore_result=True)
def render_stamped_copy(use_id: int) -> None:
    """Idempotent: a retry or a download that rendered it first leaves the copy as it is."""
    from .models import LicenseUse
    from .services import stamped_copy_render

    use = LicenseUse.objects.filter(pk=use_id).first()
    if use is not None:
        stamped_copy_render(use=use)

from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class CalendarDay(TimeStampedModel):
    """An exception to the Monday-to-Friday rule: an official holiday on a weekday (is_working False)
    or a make-up working weekend day (调休上班, is_working True). Entered each year from the State
    Council notice; yiwang.core.calendar reads it."""

    date = models.DateField(_("日期"), unique=True)
    is_working = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True, help_text=_("例如：春节、国庆节调休上班"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日调整")
        verbose_name_plural = _("工作日历")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.note}"


@receiver([post_save, post_delete], sender=CalendarDay)
def _calendar_day_changed(**kwargs):
    from .calendar import calendar_changed

    calendar_changed()

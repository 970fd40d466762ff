from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendar import calendar_year_is_configured
from .models import CalendarDay

WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Staff enter each year's State Council notice: weekday holidays and make-up working weekends."""

    list_display = ("date", "weekday", "is_working", "note")
    list_filter = ("is_working",)
    date_hierarchy = "date"
    search_fields = ("note",)
    ordering = ("date",)

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return WEEKDAYS[obj.date.weekday()]

    def changelist_view(self, request, extra_context=None):
        this_year = timezone.localdate().year
        for year in (this_year, this_year + 1):
            if not calendar_year_is_configured(year):
                self.message_user(request, _(
                    "%(year)d 年的工作日历尚未录入：期限暂按周一至周五计算。请按国务院办公厅节假日安排通知，"
                    "录入工作日放假的日期和调休上班的周末。") % {"year": year}, messages.WARNING)
        return super().changelist_view(request, extra_context)

"""The working-day calendar on the 2026 rows seeded by the migration (State Council notice)."""

import datetime as dt
import logging

import pytest
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.core.calendar import (
    add_working_days,
    calendar_cache_clear,
    calendar_year_is_configured,
    is_working_day,
    next_working_day,
    working_days_between,
)
from yiwang.core.models import CalendarDay

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar():
    # Edits roll back with each test; the per-process copy must not outlive them.
    calendar_cache_clear()
    yield
    calendar_cache_clear()


def test_seeded_2026_matches_the_notice():
    assert CalendarDay.objects.filter(date__year=2026).count() == 25
    assert calendar_year_is_configured(2026)
    holidays = {d for d, w in CalendarDay.objects.values_list("date", "is_working") if not w}
    makeup = {d for d, w in CalendarDay.objects.values_list("date", "is_working") if w}
    assert makeup == {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)}
    assert {D(2026, 2, 16), D(2026, 2, 23), D(2026, 4, 6), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 7)} <= holidays
    assert all(d.weekday() < 5 for d in holidays) and all(d.weekday() >= 5 for d in makeup)


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 1, 1), False),   # 元旦, Thursday
    (D(2026, 1, 2), False),   # 元旦, Friday
    (D(2026, 1, 3), False),   # Saturday inside the holiday
    (D(2026, 1, 5), True),    # ordinary Monday
    (D(2026, 3, 7), False),   # ordinary Saturday
    (D(2026, 4, 6), False),   # 清明节, Monday
    (D(2026, 5, 5), False),   # 劳动节, Tuesday
    (D(2026, 10, 1), False),  # 国庆节
    (D(2026, 10, 8), True),   # first working day after 国庆
])
def test_holidays_and_ordinary_days(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize("day", [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9),
                                 D(2026, 9, 20), D(2026, 10, 10)])
def test_make_up_weekend_days_are_working_days(day):
    assert day.weekday() >= 5
    assert is_working_day(day)


def test_spring_festival_span():
    # Thu 12 Feb → Fri 13, Sat 14 (调休上班), then 15-23 off, Tue 24, Wed 25, Thu 26.
    assert add_working_days(D(2026, 2, 12), 1) == D(2026, 2, 13)
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert working_days_between(D(2026, 2, 12), D(2026, 2, 26)) == 5
    assert working_days_between(D(2026, 2, 14), D(2026, 2, 23)) == 0
    assert working_days_between(D(2026, 2, 26), D(2026, 2, 12)) == -5


def test_national_day_span_counts_the_make_up_saturday():
    # Wed 30 Sep, 1-7 Oct off, Thu 8, Fri 9, Sat 10 (调休上班), Mon 12.
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)


def test_zero_days_is_the_same_or_next_working_day():
    assert add_working_days(D(2026, 3, 4), 0) == D(2026, 3, 4)
    assert add_working_days(D(2026, 2, 15), 0) == D(2026, 2, 24)
    assert next_working_day(D(2026, 3, 7)) == D(2026, 3, 9)
    assert next_working_day(D(2026, 2, 14)) == D(2026, 2, 14)


def test_negative_days_are_rejected():
    with pytest.raises(ValueError, match="n must be"):
        add_working_days(D(2026, 3, 4), -1)


def test_datetimes_count_from_their_local_date():
    from django.utils import timezone

    # 2026-02-13 17:00 UTC is already Saturday 14 Feb in Shanghai, a make-up working day.
    at = dt.datetime(2026, 2, 13, 17, 0, tzinfo=dt.UTC)
    assert timezone.localtime(at).date() == D(2026, 2, 14)
    assert add_working_days(at, 0) == D(2026, 2, 14)


def test_editing_a_day_changes_the_result():
    monday = D(2026, 3, 2)
    assert is_working_day(monday)
    assert add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 28), 1) == monday

    day = CalendarDay.objects.create(date=monday, is_working=False, note="临时调整")
    assert not is_working_day(monday)
    assert add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 3)

    day.is_working = True
    day.save()
    assert is_working_day(monday)

    saturday = CalendarDay.objects.get(date=D(2026, 2, 28))
    saturday.delete()
    assert not is_working_day(D(2026, 2, 28))
    assert add_working_days(D(2026, 2, 27), 1) == monday


def test_unconfigured_year_counts_weekends_only_and_warns(caplog):
    assert not calendar_year_is_configured(2031)
    with caplog.at_level(logging.WARNING, logger="yiwang.core.calendar"):
        # 2031-01-01 is a Wednesday: without a notice it counts as a working day.
        assert is_working_day(D(2031, 1, 1))
        assert add_working_days(D(2031, 1, 3), 1) == D(2031, 1, 6)
    assert any("2031" in r.getMessage() for r in caplog.records)

    CalendarDay.objects.create(date=D(2031, 1, 1), is_working=False, note="元旦")
    assert calendar_year_is_configured(2031)
    assert not is_working_day(D(2031, 1, 1))


def test_admin_lists_days_and_warns_about_unconfigured_years(client):
    from django.utils import timezone

    admin = get_user_model().objects.create_superuser("cal-admin", password="x", kind="staff")
    device = TOTPDevice.objects.create(user=admin, name="test", confirmed=True)
    client.force_login(admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    response = client.get("/admin/core/calendarday/?date__year=2026")
    assert response.status_code == 200
    page = response.content.decode()
    assert "春节调休上班" in page
    next_year = timezone.localdate().year + 1
    configured = calendar_year_is_configured(next_year)
    assert (f"{next_year} 年的工作日历尚未录入" in page) is not configured

    response = client.post("/admin/core/calendarday/add/", {"date": "2031-01-01", "is_working": "", "note": "元旦"})
    assert response.status_code == 302
    assert not is_working_day(D(2031, 1, 1))

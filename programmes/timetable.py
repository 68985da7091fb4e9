"""Date and time arithmetic for the timetable, done in local time (Europe/London) so that a session at
10:00 stays at 10:00 on the wall clock whether the date falls in BST or GMT."""

import calendar
import datetime

from django.utils import timezone

# The years a timetable works in. A mistyped year (9999, 0201) is far likelier than a cohort in 2150, and
# date arithmetic on such years fails; every form, API field and service refuses them with OUT_OF_YEARS.
FIRST_DAY, LAST_DAY = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)
OUT_OF_YEARS = f"Enter a date from {FIRST_DAY.year} to {LAST_DAY.year}. Check the year."


def in_timetable_years(day: datetime.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus whole months, clamped to the month's last day (31 Aug + 18 months = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def local_datetime(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The aware moment at which local clocks read `time` on `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, time), timezone.get_default_timezone())


def week_aligned_shift(old_start: datetime.date, new_start: datetime.date) -> int:
    """The smallest whole number of weeks, in days, that covers the gap between two start dates, so a session
    keeps its weekday and never lands before the new start."""
    gap = (new_start - old_start).days
    return -(-gap // 7) * 7


def shift_keeping_weekday(moment: datetime.datetime, days: int) -> datetime.datetime:
    """`moment` moved by `days` on the local calendar, keeping its local clock time."""
    local = timezone.localtime(moment)
    return local_datetime(local.date() + datetime.timedelta(days=days), local.time().replace(tzinfo=None))


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the week `day` is in."""
    return day - datetime.timedelta(days=day.weekday())

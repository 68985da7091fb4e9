"""Date and time arithmetic for the timetable, done in local time (Europe/London) so that a session at
10:00 stays at 10:00 on the wall clock whether the date falls in BST or GMT."""

import calendar
import datetime

from django.utils import timezone


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

"""When a participant may submit a task, decided in UK time (Europe/London) by the server's clock.

The rules (docs/adr/0005-submissions.md):
- A window opens at 00:00 UK time on its first day.
- The deadline is the task's deadline time (23:59 by default) on the last day, to the end of that minute:
  a submission at 23:59:59 is on time, one at 00:00:00 the next day is not. The last day is, in order: the
  new deadline of a granted extension; a fixed window's last day; or, for a window the participant chooses,
  their own deadline to present for final assessment (18 or 24 months from their start, and so on).
  Because the day and time are read on the UK clock, the deadline is right on both sides of a change between
  GMT and BST.
- An upload counts from the moment the server began receiving it. A version whose upload began before the
  deadline is accepted even if the last bytes arrive after it, as long as it arrived within MAX_UPLOAD_SPAN
  (10 minutes) of its start, and may be submitted (the declaration ticked) up to GRACE (30 minutes) after the
  deadline, or after the upload finished if that was later. Nothing that began arriving after the deadline is
  accepted.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from assessment.models import AssessmentTask, AssessmentWindow, Extension
from npqel.words import plural
from participants.models import Enrolment, EnrolmentChange
from participants.services import deadline_for
from programmes.timetable import local_datetime

# Time allowed after the deadline to tick the declaration for a version whose upload began before it.
GRACE = datetime.timedelta(minutes=30)
# The longest an upload that began before the deadline may take to arrive and still count as on time (a 20 MB
# file takes under 3 minutes on a slow 1 Mbit/s line).
MAX_UPLOAD_SPAN = datetime.timedelta(minutes=10)
ONE_MINUTE = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class TaskDeadline:
    """The last day and the moment submissions stop being on time (exclusive: on time means before it)."""

    last_day: datetime.date
    ends_at: datetime.datetime
    deadline_time: datetime.time
    extended: bool  # the last day comes from a granted extension
    original_ends_at: datetime.datetime  # the deadline without the extension (the same when not extended)

    def on_time(self, moment: datetime.datetime) -> bool:
        return moment < self.ends_at

    def submit_until(self, uploaded_at: datetime.datetime) -> datetime.datetime:
        """The last moment to tick the declaration for a version uploaded in time (exclusive)."""
        return max(self.ends_at, uploaded_at) + GRACE

    def may_submit(
        self, *, upload_started_at: datetime.datetime, uploaded_at: datetime.datetime, now: datetime.datetime
    ) -> bool:
        """A version may be submitted when its upload began before the deadline and the grace still runs."""
        return self.on_time(upload_started_at) and now < self.submit_until(uploaded_at)

    def text(self) -> str:
        """ "23:59 on Sunday 29 March 2026 (UK time)"."""
        return f"{clock(self.deadline_time)} on {long_day(self.last_day)} (UK time)"


def clock(time: datetime.time) -> str:
    return f"{time:%H:%M}"


def long_day(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def ends_at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """The first moment after `time` (to the end of its minute) on `day`, on the UK clock."""
    return local_datetime(day, time) + ONE_MINUTE


def opens_at(window: AssessmentWindow) -> datetime.datetime:
    return local_datetime(window.opens_on, datetime.time(0, 0))


def window_last_day(
    window: AssessmentWindow, enrolment: Enrolment, changes: list[EnrolmentChange] | None = None
) -> datetime.date:
    """A fixed window's last day, or for a chosen window the participant's own deadline to present. `changes`
    are the place's status changes (prefetch them for lists; read from the database when None)."""
    if window.closes_on is not None:
        return window.closes_on
    if changes is None:
        changes = list(enrolment.changes.all())
    return deadline_for(enrolment, changes).date


def task_deadline(
    *,
    window: AssessmentWindow,
    enrolment: Enrolment,
    extension: Extension | None = None,
    changes: list[EnrolmentChange] | None = None,
) -> TaskDeadline:
    """The deadline for this participant on this task. `extension` is their granted extension (if any)."""
    task: AssessmentTask = window.task
    original_day = window_last_day(window, enrolment, changes)
    original = ends_at(original_day, task.deadline_time)
    if extension is not None and extension.status == Extension.Status.GRANTED and extension.new_deadline:
        day = extension.new_deadline
        return TaskDeadline(
            last_day=day,
            ends_at=ends_at(day, task.deadline_time),
            deadline_time=task.deadline_time,
            extended=True,
            original_ends_at=original,
        )
    return TaskDeadline(
        last_day=original_day,
        ends_at=original,
        deadline_time=task.deadline_time,
        extended=False,
        original_ends_at=original,
    )


def resubmission_deadline(task: AssessmentTask, resubmit_by: datetime.date) -> TaskDeadline:
    """The deadline of a resubmission after a fail: the task's deadline time on the date given at release."""
    end = ends_at(resubmit_by, task.deadline_time)
    return TaskDeadline(
        last_day=resubmit_by,
        ends_at=end,
        deadline_time=task.deadline_time,
        extended=False,
        original_ends_at=end,
    )


def countdown(until: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """ "3 days 4 hours left", "5 hours 12 minutes left", "12 minutes left", "Closed"."""
    left = until - (now or timezone.now())
    if left <= datetime.timedelta(0):
        return "Closed"
    minutes = int(left.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{plural(days, 'day')} {plural(hours, 'hour')} left"
    if hours:
        return f"{plural(hours, 'hour')} {plural(minutes, 'minute')} left"
    if minutes:
        return f"{plural(minutes, 'minute')} left"
    return "Less than a minute left"

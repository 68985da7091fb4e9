"""Assessment set-ups for tests: a programme's standard scheme, a cohort's window, an eligible place, and
small real documents with a known number of words."""

import datetime
import io
from decimal import Decimal

import docx
from django.utils import timezone

from assessment import services
from assessment.models import AssessmentTask, AssessmentWindow
from participants.models import Engagement, Enrolment
from programmes.models import Programme
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory


def words(n: int, *, start: int = 0) -> str:
    return " ".join(f"word{i}" for i in range(start, start + n))


def docx_bytes(n: int, *, per_paragraph: int = 100) -> bytes:
    """A Word document of exactly `n` words in paragraphs (python-docx, as Word would save it)."""
    document = docx.Document()
    document.add_heading("My case-study response", level=1)  # 3 words
    left, start = n - 3, 0
    while left > 0:
        take = min(per_paragraph, left)
        document.add_paragraph(words(take, start=start))
        left -= take
        start += take
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_eligible(enrolment: Enrolment, eligible: bool = True) -> Engagement:
    zero = Decimal("0")
    engagement, _ = Engagement.objects.update_or_create(
        enrolment=enrolment,
        defaults={
            "planned_hours": Decimal("10"),
            "credited_hours": Decimal("10") if eligible else zero,
            "due_hours": Decimal("10"),
            "credited_due_hours": Decimal("10") if eligible else zero,
            "possible_hours": Decimal("10"),
            "percent": Decimal("100") if eligible else zero,
            "to_date_percent": Decimal("100") if eligible else zero,
            "max_percent": Decimal("100"),
            "core_tasks_done": 0,
            "core_tasks_total": 0,
            "required_missing": 0,
            "meets_threshold": eligible,
            "eligible": eligible,
            "at_risk": not eligible,
            "computed_at": timezone.now(),
        },
    )
    return engagement


def case_study_place(
    *, opens_on: datetime.date = datetime.date(2026, 3, 22), provider=None, eligible: bool = True
) -> tuple[Enrolment, AssessmentTask, AssessmentWindow]:
    """A reformed programme (1,500-word case study, fixed 8-day window) with a window opening on `opens_on`,
    and an active place on it."""
    programme = ProgrammeFactory(
        framework=Programme.Framework.REFORMED, **({"provider": provider} if provider else {})
    )
    scheme = services.scheme_create_default(by=None, programme=programme)
    task = scheme.tasks.get(number=1)
    cohort = CohortFactory(
        programme=programme,
        start_date=opens_on - datetime.timedelta(days=500),
        end_date=opens_on + datetime.timedelta(days=60),
    )
    window = AssessmentWindow.objects.create(
        cohort=cohort,
        task=task,
        opens_on=opens_on,
        closes_on=opens_on + datetime.timedelta(days=task.window_days - 1),
        case_study_title="Northfield Trust",
        case_study="The trust's three schools face falling rolls.",
    )
    enrolment = EnrolmentFactory(cohort=cohort)
    make_eligible(enrolment, eligible)
    return enrolment, task, window


def upload(enrolment: Enrolment, task: AssessmentTask, n_words: int = 1200, **kwargs):
    """A real upload through the service (a new version)."""
    return services.version_upload(
        by=enrolment.participant.user,
        enrolment=enrolment,
        task=task,
        main=io.BytesIO(docx_bytes(n_words)),
        main_name="response.docx",
        **kwargs,
    )

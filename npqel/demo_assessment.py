"""Demo final assessment: each demo programme's standard scheme, a window for every cohort, and submissions.

- Ended cohorts: the places that passed or failed submitted every task on time, with a receipt.
- The current LLSE cohort's case-study window is open now (it opened three days ago), so the demo participant
  can try submitting; some of the cohort have submitted, some have uploaded without submitting, one has asked
  for more time and one has been given it. The current OLP cohort's projects (a window the participant
  chooses) are open from the cohort's start. Other current cohorts' windows open later.
- The two demo participants have an override recorded by their demo admin, so they may submit before meeting
  the engagement rule (the admin's page shows it).

Documents are real Word files, checked and word-counted by the same code as an upload; a small pool of them is
stored once and shared between demo submissions. Deterministic; a cohort that has windows is left alone.
"""

import datetime
import hashlib
import io
import random
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.models import User
from assessment import deadlines, services
from assessment.documents import check_document
from assessment.marking import mark_scheme_create_default
from assessment.models import (
    AssessmentTask,
    AssessmentWindow,
    Extension,
    Receipt,
    Submission,
    SubmissionChange,
    SubmissionFile,
    SubmissionOverride,
    SubmissionVersion,
)
from participants.models import Enrolment
from participants.services import deadline_for
from programmes.models import Cohort, Programme
from programmes.timetable import local_datetime

Status = Enrolment.Status
WORDS = (
    "trust schools leaders improvement strategy pupils attainment curriculum governance finance risk staff "
    "partnership evidence implementation evaluation board stakeholders capacity sustainable growth outcomes "
    "disadvantaged teaching assessment culture priorities budget options benefits costs plan review impact"
).split()
POOL = 4

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)


def demo_docx(paragraphs: list[str]) -> bytes:
    """A minimal, valid Word document holding these paragraphs."""
    body = "".join(f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def _essay(rng: random.Random, title: str, words: int) -> bytes:
    paragraphs = [title]
    left = words - len(title.split())
    while left > 0:
        take = min(left, rng.randint(60, 140))
        paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(take)).capitalize() + ".")
        left -= take
    return demo_docx(paragraphs)


class _Pool:
    """A few stored documents per word limit, checked once per demo load and shared between submissions."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.stored: dict[tuple[int, str], list[tuple[str, object]]] = {}

    def pick(self, task: AssessmentTask, role: str) -> tuple[str, object]:
        limit = task.main_word_limit if role == SubmissionFile.Role.MAIN else task.appendix_word_limit
        key = (limit, role)
        if key not in self.stored:
            documents = []
            for n in range(POOL):
                content = _essay(
                    self.rng, f"Final assessment ({role})", self.rng.randint(limit * 3 // 4, limit - 20)
                )
                checked = check_document(io.BytesIO(content), max_bytes=task.max_bytes)
                name = default_storage.save(
                    f"submissions/demo-{hashlib.sha256(content).hexdigest()[:16]}-{n}.docx",
                    ContentFile(content),
                )
                documents.append((name, checked))
            self.stored[key] = documents
        return self.rng.choice(self.stored[key])


@dataclass
class _Made:
    """One demo submission, written with the others in a few bulk inserts."""

    place: Enrolment
    task: AssessmentTask
    when: datetime.datetime
    submitted_at: datetime.datetime | None
    files: list[tuple[str, str, object]]  # role, stored name, checked document
    deadline: deadlines.TaskDeadline


def demo_assessment_load(*, today: datetime.date) -> int:
    """Schemes, windows and submissions for every demo cohort without windows; returns submissions made."""
    for programme in Programme.objects.filter(provider__slug__in=DEMO_SLUGS).select_related("provider"):
        for task in services.scheme_create_default(by=None, programme=programme).tasks.all():
            mark_scheme_create_default(by=None, task=task)
    pool = _Pool(random.Random("npqel-demo-assessment"))  # noqa: S311 - demo data, not secrets
    made: list[_Made] = []
    for cohort in (
        Cohort.objects.filter(programme__provider__slug__in=DEMO_SLUGS)
        .select_related("programme__provider", "programme__assessment_scheme")
        .order_by("start_date")
    ):
        if cohort.assessment_windows.exists():
            continue
        rng = random.Random(f"npqel-demo-assessment-{cohort.programme.provider.slug}-{cohort.code}")  # noqa: S311
        made += _fill(cohort, today, rng, pool)
    _write(made, random.Random("npqel-demo-assessment-numbers"))  # noqa: S311
    _demo_overrides()
    return sum(1 for m in made if m.submitted_at)


DEMO_SLUGS = ("olp", "alliance", "one-cumbria", "llse", "ascl")


def _opens_on(cohort: Cohort, task: AssessmentTask, today: datetime.date) -> datetime.date:
    ended = cohort.end_date < today
    if task.window_kind == AssessmentTask.WindowKind.FIXED:
        if not ended and cohort.programme.provider.slug == "llse":
            return today - datetime.timedelta(days=3)  # open now, for the demo participant to try
        return cohort.end_date - datetime.timedelta(days=40)
    # Legacy projects: open from the start for OLP, a year in elsewhere.
    if cohort.programme.provider.slug == "olp" and not ended:
        return cohort.start_date
    return cohort.start_date + datetime.timedelta(days=365)


def _fill(cohort: Cohort, today: datetime.date, rng: random.Random, pool: _Pool) -> list[_Made]:
    """The cohort's windows (written now) and its submissions (returned, to be written in bulk)."""
    tasks = list(cohort.programme.assessment_scheme.tasks.order_by("number"))
    made: list[_Made] = []
    places = list(
        cohort.enrolments.filter(participant__user__email__endswith="demo-participants.example")
        .prefetch_related("changes", "cohort__programme__extensions")
        .select_related("cohort__programme", "participant__user")
        .order_by("pk")
    )
    now = timezone.now()
    for task in tasks:
        opens_on = _opens_on(cohort, task, today)
        closes_on = (
            opens_on + datetime.timedelta(days=task.window_days - 1)
            if task.window_kind == AssessmentTask.WindowKind.FIXED
            else None
        )
        window = AssessmentWindow.objects.create(
            cohort=cohort,
            task=task,
            opens_on=opens_on,
            closes_on=closes_on,
            case_study_title="Northfield Learning Trust: three schools, falling rolls" if closes_on else "",
            case_study=CASE_STUDY if closes_on else "",
        )
        opened = local_datetime(opens_on, datetime.time(9, 0))
        if opened.date() > today:
            continue
        for place in places:
            last_day = closes_on or deadline_for(place, list(place.changes.all())).date
            ended = last_day < today
            if place.status in (Status.COMPLETED, Status.FAILED) or (
                place.status == Status.ACTIVE and ended and rng.random() < 0.8
            ):
                when = _between(rng, opened, min(local_datetime(last_day, datetime.time(21, 0)), now))
                made.append(_one(place, window, pool, rng, when, submit=True))
            elif place.status == Status.ACTIVE and not ended:
                roll = rng.random()
                when = max(now - datetime.timedelta(hours=rng.randint(1, 48)), opened)
                if roll < 0.35:
                    made.append(_one(place, window, pool, rng, when, submit=True))
                elif roll < 0.5:
                    made.append(_one(place, window, pool, rng, when, submit=False))
                elif roll < 0.56:
                    _extension(place, task, window, last_day, rng, granted=roll < 0.53)
    return made


def _between(rng: random.Random, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    span = max(int((end - start).total_seconds()), 0)
    return start + datetime.timedelta(seconds=rng.randint(0, span))


def _one(
    place: Enrolment,
    window: AssessmentWindow,
    pool: _Pool,
    rng: random.Random,
    when: datetime.datetime,
    *,
    submit: bool,
) -> _Made:
    task = window.task
    roles = [SubmissionFile.Role.MAIN]
    if task.takes_appendices and rng.random() < 0.7:
        roles.append(SubmissionFile.Role.APPENDICES)
    return _Made(
        place=place,
        task=task,
        when=when,
        submitted_at=when + datetime.timedelta(minutes=rng.randint(1, 20)) if submit else None,
        files=[(role, *pool.pick(task, role)) for role in roles],
        deadline=deadlines.task_deadline(window=window, enrolment=place, changes=list(place.changes.all())),
    )


def _unique(rng: random.Random, make, taken: set[str], count: int) -> list[str]:
    """`count` new codes from `make(rng)`, none already in `taken`."""
    codes: list[str] = []
    while len(codes) < count:
        code = make(rng)
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def _write(made: list[_Made], rng: random.Random) -> None:
    """Every demo submission, its version, files, receipt and history, in a handful of bulk inserts."""
    if not made:
        return
    candidates = _unique(
        rng,
        lambda r: f"C{r.randrange(10**7):07d}",
        set(Submission.objects.values_list("candidate_number", flat=True)),
        len(made),
    )
    alphabet = services.REFERENCE_ALPHABET
    references = _unique(
        rng,
        lambda r: (
            "NPQ-"
            + "".join(r.choice(alphabet) for _ in range(4))
            + "-"
            + "".join(r.choice(alphabet) for _ in range(4))
        ),
        set(Receipt.objects.values_list("reference", flat=True)),
        len(made),
    )
    submissions = Submission.objects.bulk_create(
        Submission(
            enrolment=m.place, task=m.task, candidate_number=number, created_at=m.when, updated_at=m.when
        )
        for m, number in zip(made, candidates, strict=True)
    )
    versions = SubmissionVersion.objects.bulk_create(
        SubmissionVersion(
            submission=submission,
            number=1,
            uploaded_by=m.place.participant.user,
            upload_started_at=m.when,
            uploaded_at=m.when,
        )
        for m, submission in zip(made, submissions, strict=True)
    )
    files = SubmissionFile.objects.bulk_create(
        SubmissionFile(
            version=version,
            role=role,
            file=name,
            original_name=f"{m.task.title.split(':')[0]} {role}.docx",
            kind=checked.kind,
            size=checked.size,
            sha256=checked.sha256,
            words=checked.words,
            pages=checked.pages,
        )
        for m, version in zip(made, versions, strict=True)
        for role, name, checked in m.files
    )
    files_of: dict[int, list[SubmissionFile]] = {}
    for stored in files:
        files_of.setdefault(stored.version_id, []).append(stored)
    changes = [
        SubmissionChange(
            submission=submission,
            to_status=Submission.Status.DRAFT,
            changed_by=m.place.participant.user,
            changed_at=m.when,
            note="First upload",
        )
        for m, submission in zip(made, submissions, strict=True)
    ]
    receipts = []
    for m, submission, version, reference in zip(made, submissions, versions, references, strict=True):
        if m.submitted_at is None:
            continue
        receipts.append(_receipt(m, submission, version, reference, files_of[version.pk]))
        changes.append(
            SubmissionChange(
                submission=submission,
                from_status=Submission.Status.DRAFT,
                to_status=Submission.Status.SUBMITTED,
                changed_by=m.place.participant.user,
                changed_at=m.submitted_at,
                note=f"Receipt {reference}",
            )
        )
        submission.status = Submission.Status.SUBMITTED
        submission.submitted_version = version
        submission.submitted_at = m.submitted_at
    Receipt.objects.bulk_create(receipts)
    SubmissionChange.objects.bulk_create(changes)
    Submission.objects.bulk_update(
        [s for s in submissions if s.submitted_at], ["status", "submitted_version", "submitted_at"]
    )


def _receipt(
    m: _Made, submission: Submission, version: SubmissionVersion, reference: str, files: list[SubmissionFile]
) -> Receipt:
    return Receipt(
        submission=submission,
        version=version,
        reference=reference,
        issued_at=m.submitted_at,
        emailed_at=m.submitted_at,
        content=services.receipt_content(
            reference=reference,
            submission=submission,
            version=version,
            files=files,
            deadline=m.deadline,
            submitted_at=m.submitted_at,
        ),
    )


def _extension(
    place: Enrolment,
    task: AssessmentTask,
    window: AssessmentWindow,
    last_day: datetime.date,
    rng: random.Random,
    *,
    granted: bool,
) -> None:
    asked = timezone.now() - datetime.timedelta(days=1)
    extension = Extension.objects.create(
        enrolment=place,
        task=task,
        reason=rng.choice(
            [
                "My father died last week and I have been away from school arranging the funeral.",
                "I have been signed off sick for two weeks after an operation.",
                "An Ofsted inspection of two of our schools fell in the assessment window.",
            ]
        ),
        deadline_then=last_day,
        requested_until=last_day + datetime.timedelta(days=14),
        requested_by=place.participant.user,
        requested_at=asked,
    )
    if granted:
        admin = User.objects.filter(
            memberships__provider_id=place.provider_id, memberships__role="provider_admin"
        ).first()
        extension.status = Extension.Status.GRANTED
        extension.new_deadline = last_day + datetime.timedelta(days=14)
        extension.decided_by = admin
        extension.decided_at = asked + datetime.timedelta(hours=3)
        extension.decision_note = "Granted: evidence seen."
        extension.save()


def _demo_overrides() -> None:
    """Let the demo participants try submitting before they meet the engagement rule."""
    for slug in ("olp", "llse"):
        admin = User.objects.filter(email=f"provider-admin@{slug}.example").first()
        for place in Enrolment.objects.filter(participant__user__email=f"participant@{slug}.example"):
            if not SubmissionOverride.objects.filter(enrolment=place, revoked_at__isnull=True).exists():
                SubmissionOverride.objects.create(
                    enrolment=place,
                    reason="Demo account: may submit before meeting the engagement rule, to try the assessment pages.",
                    recorded_by=admin,
                    recorded_at=timezone.now(),
                )


CASE_STUDY = """Northfield Learning Trust runs three primary schools on the edge of a northern town. Over five years
the number of children starting school in the area has fallen by a fifth, and two of the schools now have
empty places in every year group. Funding follows pupils, so the trust's income has fallen while its costs have
not: staff pay has risen, energy bills have doubled, and the oldest school needs a new roof.

The trust board has asked its new chief executive (you) to present a plan within the year. The headteachers
disagree about what should happen. One wants to federate the two smaller schools under a single head; one
wants to keep every school as it is and cut the central team; the third wants the trust to grow by taking on a
struggling school nearby, which the regional director has asked the trust to consider.

Attainment is mixed. Reading at the end of key stage 2 is above the national average in one school and well
below it in the other two, where a third of pupils are eligible for free school meals and attendance is
falling. The trust's curriculum was written by each school separately, and teachers rarely work across schools.

Questions
1. Identify the two or three most important problems the trust faces, and justify why they matter most.
2. Select a solution for each problem and justify it against the alternatives, using evidence.
3. Set out how you would implement your solutions: the stages, who would lead each, how you would know it
   was working, and what you would do if it was not.
4. Explain how you would work with the board, the headteachers and the regional director, and how you
   would keep the disadvantaged pupils' needs at the centre of your plan."""

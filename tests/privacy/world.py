"""A participant with one of everything the platform holds about a person, for the data-protection tests: a
passed case-study place (a submission with its real file and receipt, an extension with evidence, a released
result marked with comments, moderated, with a lead assessor's reasons), a certificate, attendance taken on a
register, logs, completions, feedback with a comment, a note on their history, a DfE declaration, and their
equality data. Every free-text field holds a phrase the tests look for afterwards."""

import datetime
import io
import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import time_machine
from django.utils import timezone

from accounts.models import ApiToken, User
from assessment import services as assessment_services
from assessment.certificates import certificate_issue
from assessment.marking import mark_scheme_create_default
from assessment.models import (
    Allocation,
    Certificate,
    Extension,
    Marking,
    ModerationItem,
    ModerationSample,
    Result,
    Submission,
)
from metrics.models import Declaration
from npqel.access import Role
from participants import services as participant_services
from participants.models import (
    CoachingSession,
    ComponentCompletion,
    Enrolment,
    EnrolmentChange,
    FeedbackRating,
    LearningLog,
    Participant,
    TaskCompletion,
)
from programmes.models import Component, Module, Provider, Task
from tests.accounts.factories import give_totp
from tests.assessment.factories import case_study_place, docx_bytes
from tests.people import person
from tests.programmes.factories import ComponentFactory, SessionFactory

logging.getLogger("weasyprint").setLevel(logging.WARNING)  # it logs every layout step at INFO
logging.getLogger("fontTools").setLevel(logging.WARNING)

UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)  # inside case_study_place's window
RELEASED = datetime.datetime(2026, 6, 11, 9, 0, tzinfo=UK)
PASSED_ON = datetime.date(2026, 6, 11)

NAME = "Amelia Okonkwo-Hart"
EMAIL = "amelia.okonkwo-hart@northfield.example"
# Free text about the person, field by field: each must be gone after erasure and in the export before.
TEXTS = {
    "history_note": "Moved to Northfield after her long illness",
    "component_note": "Amelia did the diagnostic with her own board",
    "learning": "Read the trust's improvement plan with Amelia's deputy",
    "coaching": "Amelia's confidence leading three schools",
    "feedback": "The residential clashed with my chemotherapy",
    "extension": "Signed off sick by my GP for three weeks",
    "decision": "Granted: the GP's letter confirms the illness",
    "override": "Amelia missed the webinars while in hospital",
    "result_feedback": "A clear, well-justified plan for Northfield Trust",
    "lead_rationale": "The second assessor undervalued the staging of Amelia's plan",
    "marking_comment": "Priorities are clear and costed",
    "marking_feedback": "Strong use of the case's evidence",
    "moderation": "Agree with the pass; staging well justified",
    "job": "Executive headteacher of Northfield Trust",
}


@dataclass
class Rich:
    provider: Provider
    enrolment: Enrolment
    participant: Participant
    user: User
    admin: User
    submission: Submission
    extension: Extension
    result: Result
    certificate: Certificate
    main_file: bytes
    evidence_file: bytes
    stored: list[str]


def rich_place(
    provider: Provider, *, name: str = NAME, email: str = EMAIL, admin: User | None = None
) -> Rich:
    """A passed, completed place of `provider` with one of everything (see the module's docstring)."""
    admin = admin or person(Role.PROVIDER_ADMIN, provider)
    enrolment, task, window = case_study_place(provider=provider)
    user = enrolment.participant.user
    user.full_name, user.email = name, email
    user.save(update_fields=["full_name", "email"])
    give_totp(user)
    ApiToken.objects.create(user=user, name="My spreadsheet", prefix="abc123", key_hash=uuid.uuid4().hex)
    participant = enrolment.participant
    participant.job_role = TEXTS["job"]
    participant.ethnicity_code = Participant.Ethnicity.ABAN
    participant.sex = Participant.Sex.FEMALE
    participant.disability = Participant.Disability.YES
    participant.age_band = Participant.AgeBand.FROM_45
    participant.dfe_participant_id = uuid.uuid4()
    participant.save()
    cohort = enrolment.cohort

    # Their history, with a note an admin wrote.
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=Enrolment.Status.ACTIVE,
        to_status=Enrolment.Status.ACTIVE,
        effective_on=cohort.start_date + datetime.timedelta(days=30),
        note=TEXTS["history_note"],
        changed_by=admin,
    )

    # Learning, coaching, attendance and feedback.
    webinar = ComponentFactory(programme=cohort.programme, title="Executive webinars")
    coaching = ComponentFactory(
        programme=cohort.programme,
        title="Performance coaching",
        kind=Component.Kind.COACHING,
        mode=Component.Mode.IN_PERSON,
        guided_learning_hours=Decimal("6"),
    )
    course = ComponentFactory(
        programme=cohort.programme,
        title="Strategy and improvement course",
        kind=Component.Kind.ONLINE_COURSE,
        mode=Component.Mode.SELF_DIRECTED,
    )
    online_task = Task.objects.create(
        module=Module.objects.create(course=course, title="Module 1"),
        title="Reflect on your strategy",
        core=True,
    )
    session = SessionFactory(cohort=cohort, component=webinar, title="Leading across schools")
    participant_services.register_save(by=admin, session=session, marks={enrolment.pk: "present"})
    TaskCompletion.objects.create(enrolment=enrolment, task=online_task, completed_on=cohort.start_date)
    ComponentCompletion.objects.create(
        enrolment=enrolment, component=webinar, completed_on=cohort.start_date, note=TEXTS["component_note"]
    )
    LearningLog.objects.create(
        enrolment=enrolment,
        component=course,
        done_on=cohort.start_date,
        hours=Decimal("2.5"),
        activity=TEXTS["learning"],
    )
    coach = person(Role.COACH, provider)
    CoachingSession.objects.create(
        enrolment=enrolment,
        component=coaching,
        coach=coach,
        held_on=cohort.start_date,
        minutes=60,
        focus=TEXTS["coaching"],
        logged_by=coach,
    )
    FeedbackRating.objects.create(
        enrolment=enrolment, session=session, rating=8, comment=TEXTS["feedback"], rated_at=session.ends_at
    )

    # An extension with evidence, granted; an exception to the engagement rule; a submission with its receipt.
    evidence_file = docx_bytes(40)
    main_file = docx_bytes(1200)
    with time_machine.travel(DURING, tick=False):
        extension = assessment_services.extension_request(
            by=user,
            enrolment=enrolment,
            task=task,
            reason=TEXTS["extension"],
            until=datetime.date(2026, 4, 10),
            evidence=io.BytesIO(evidence_file),
            evidence_name=f"{name} sick note.docx",
        )
        Extension.objects.filter(pk=extension.pk).update(
            status=Extension.Status.GRANTED,
            new_deadline=datetime.date(2026, 4, 10),
            decided_by=admin,
            decided_at=timezone.now(),
            decision_note=TEXTS["decision"],
        )
        assessment_services.override_record(by=admin, enrolment=enrolment, reason=TEXTS["override"])
        version = assessment_services.version_upload(
            by=user,
            enrolment=enrolment,
            task=task,
            main=io.BytesIO(main_file),
            main_name=f"{name} case study.docx",
        )
        assessment_services.submission_submit(by=user, version=version, declaration=True)
    submission = Submission.objects.get(pk=version.submission_id)

    # Marked with comments, a lead assessor's reasons, moderated (agreed) and released.
    scheme = mark_scheme_create_default(by=None, task=task)
    criteria = list(scheme.criteria.all())
    assessor = person(Role.ASSESSOR, provider)
    allocation = Allocation.objects.create(
        submission=submission, assessor=assessor, allocated_at=DURING, due_on=datetime.date(2026, 5, 1)
    )
    marking = Marking.objects.create(
        allocation=allocation,
        status=Marking.Status.SUBMITTED,
        marks={str(c.pk): 7 for c in criteria},
        comments={str(criteria[0].pk): TEXTS["marking_comment"]},
        feedback=TEXTS["marking_feedback"],
        total=7 * len(criteria),
        outcome="pass",
        saved_at=DURING,
        submitted_at=DURING,
    )
    result = Result.objects.create(
        submission=submission,
        outcome=Result.Outcome.PASS,
        route=Result.Route.LEAD,
        first_marking=marking,
        total=marking.total,
        feedback=TEXTS["result_feedback"],
        lead_rationale=TEXTS["lead_rationale"],
        decided_at=RELEASED - datetime.timedelta(days=10),
        released_at=RELEASED,
    )
    sample = ModerationSample.objects.create(
        provider=provider,
        label="Spring 2026",
        period_start=datetime.date(2026, 5, 1),
        period_end=datetime.date(2026, 6, 1),
        seed="privacy",
        drawn_at=RELEASED - datetime.timedelta(days=5),
    )
    ModerationItem.objects.create(
        sample=sample,
        result=result,
        reason=ModerationItem.Reason.RANDOM,
        outcome_moderated="pass",
        verdict=ModerationItem.Verdict.AGREE,
        rationale=TEXTS["moderation"],
        recorded_at=RELEASED - datetime.timedelta(days=2),
    )
    participant_services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=True, on=PASSED_ON)
    enrolment.refresh_from_db()
    certificate = certificate_issue(enrolment=enrolment)
    Declaration.objects.create(
        enrolment=enrolment,
        provider=provider,
        declaration_type=Declaration.Type.STARTED,
        declaration_date=timezone.make_aware(datetime.datetime.combine(cohort.start_date, datetime.time())),
        recorded_at=timezone.now(),
    )
    extension.refresh_from_db()
    stored = [f.file.name for f in version.files.all()] + [extension.evidence.name]
    return Rich(
        provider=provider,
        enrolment=enrolment,
        participant=participant,
        user=user,
        admin=admin,
        submission=submission,
        extension=extension,
        result=result,
        certificate=certificate,
        main_file=main_file,
        evidence_file=evidence_file,
        stored=stored,
    )

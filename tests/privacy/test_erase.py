"""Erasure pseudonymises a person in one go: no name, email, job, sign-in, free text about them or files are
left anywhere (their account, their places' records, the audit trail, import previews, the certificate check),
while everything the DfE metrics read stays, so every figure is exactly the same before and after. Who may erase
whom, and when, is refused with a message a person can act on."""

import datetime
import uuid
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import ApiToken, Invitation
from assessment.models import (
    Certificate,
    Extension,
    Marking,
    ModerationItem,
    Receipt,
    Result,
    SubmissionChange,
    SubmissionFile,
    SubmissionOverride,
)
from audit.models import AuditEvent
from metrics.compute import metrics_report
from metrics.models import Declaration
from npqel.access import Role
from npqel.errors import DomainError
from participants import imports, privacy
from participants import services as participant_services
from participants.models import (
    Attendance,
    CoachingSession,
    ComponentCompletion,
    EarlierRecord,
    Enrolment,
    EnrolmentChange,
    EnrolmentImport,
    FeedbackRating,
    LearningLog,
    Participant,
)
from programmes.models import StaffMembership
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.privacy.world import EMAIL, NAME, TEXTS, rich_place
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status
REASON = "Their request by email of 1 July 2026"


@pytest.fixture
def rich(provider):
    return rich_place(provider)


@pytest.fixture
def staff():
    return person(Role.PLATFORM_STAFF)


def ended(
    enrolment: Enrolment, status: str = S.WITHDRAWN, on: datetime.date = datetime.date(2025, 3, 1)
) -> Enrolment:
    """Give the place an active spell and then end it, with its history (as the lifecycle would)."""
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=S.ACCEPTED,
        to_status=S.ACTIVE,
        effective_on=enrolment.cohort.start_date,
    )
    EnrolmentChange.objects.create(
        enrolment=enrolment,
        from_status=S.ACTIVE,
        to_status=status,
        effective_on=on,
        reason="personal-reason-other" if status == S.WITHDRAWN else "",
        note="Left: her mother is seriously ill",
    )
    Enrolment.objects.filter(pk=enrolment.pk).update(status=status)
    enrolment.refresh_from_db()
    return enrolment


def every_text_of(model, **filters) -> str:
    """Every row of the model as text (its JSON and text fields included), to search for a name."""
    fields = [
        f.name
        for f in model._meta.concrete_fields
        if f.get_internal_type() in ("CharField", "TextField", "JSONField", "EmailField", "FileField")
    ]
    return " ".join(str(row) for row in model.objects.filter(**filters).values_list(*fields))


def test_the_metrics_give_exactly_the_same_figures_after_everyone_in_the_year_is_erased(
    rich, staff, provider
):
    cohort = rich.enrolment.cohort
    year = cohort.recruitment_year
    people = [rich.participant]
    for n, (ethnicity, sex, fsm, status) in enumerate(
        [
            ("WBRI", "male", "35.00", S.WITHDRAWN),
            ("AIND", "female", "12.00", S.FAILED),
            ("NOBT", "", None, S.DEFERRED),
        ]
    ):
        place = EnrolmentFactory(
            cohort=cohort,
            status=S.ACCEPTED,
            participant__ethnicity_code=ethnicity,
            participant__sex=sex,
            participant__disability="no",
            participant__school=SchoolFactory(fsm_percent=Decimal(fsm)) if fsm else None,
        )
        ended(place, status)
        FeedbackRating.objects.create(
            enrolment=place, rating=5 + n, comment=f"Comment {n}", rated_at=rich.result.released_at
        )
        if status == S.FAILED:
            EarlierRecord.objects.create(
                enrolment=place, presented_on=datetime.date(2026, 2, 1), feedback_rating=3
            )
        people.append(place.participant)
    before = metrics_report(provider=provider, recruitment_year=year)
    published = metrics_report(provider=provider, recruitment_year=year, publish=True)
    # Not a trivial report: every metric has something to count.
    assert before["recruitment"]["recruited"] == 4
    assert before["presentation"]["presented"] == 2 and before["accuracy"]["moderated"] == 1
    assert before["feedback"]["responses"] == 5 and before["non_white_british"]["count"] == 2
    assert before["retention"]["withdrawn"] == 1 and before["retention"]["deferred"] == 1

    for participant in people:
        privacy.participant_erase(by=staff, participant=participant, reason=REASON)

    assert metrics_report(provider=provider, recruitment_year=year) == before
    assert metrics_report(provider=provider, recruitment_year=year, publish=True) == published
    assert Participant.objects.filter(pk__in=[p.pk for p in people], erased_at__isnull=False).count() == 4


def test_erasure_removes_the_person_and_keeps_their_places_outcomes_and_equality_codes(
    rich, staff, client, django_capture_on_commit_callbacks
):
    client.force_login(rich.user)
    assert Session.objects.count() == 1
    Invitation.objects.create(
        email=EMAIL,
        full_name=NAME,
        role="participant",
        provider=rich.provider,
        nonce=uuid.uuid4().hex,
        invited_by=rich.admin,
        expires_at=rich.result.released_at + datetime.timedelta(days=400),
    )
    school, dfe_id = rich.participant.school, rich.participant.dfe_participant_id
    for name in rich.stored:
        assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        privacy.participant_erase(by=staff, participant=rich.participant, reason=REASON)

    user, participant = rich.user, rich.participant
    user.refresh_from_db()
    participant.refresh_from_db()
    # The account: a pseudonym, an address that goes nowhere, no way in.
    assert (
        user.full_name.startswith("Erased participant ")
        and len(user.full_name) == len("Erased participant ") + 6
    )
    assert user.email.startswith("erased-") and user.email.endswith("@erased.invalid")
    assert not user.has_usable_password() and not user.is_active and user.last_login is None
    assert not ApiToken.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert Session.objects.count() == 0
    assert client.get(reverse("account")).status_code == 302  # signed out
    invitation = Invitation.objects.get(full_name=user.full_name)
    assert invitation.email == user.email and invitation.revoked_at is not None

    # Kept: school, equality codes, DfE's ID, the place and its history (without notes), outcomes, ratings.
    assert participant.erased_at is not None and participant.job_role == ""
    assert (participant.school, participant.dfe_participant_id) == (school, dfe_id)
    assert (participant.ethnicity_code, participant.sex, participant.disability, participant.age_band) == (
        "ABAN",
        "female",
        "yes",
        "45_54",
    )
    enrolment = Enrolment.objects.get(pk=rich.enrolment.pk)
    assert enrolment.status == S.COMPLETED
    assert set(enrolment.changes.values_list("note", flat=True)) == {""}
    assert enrolment.changes.filter(to_status=S.COMPLETED).exists()
    assert Attendance.objects.get(enrolment=enrolment).status == "present"
    rating = FeedbackRating.objects.get(enrolment=enrolment)
    assert (rating.rating, rating.comment) == (8, "")
    assert ComponentCompletion.objects.get(enrolment=enrolment).note == ""
    log = LearningLog.objects.get(enrolment=enrolment)
    assert (log.hours, log.activity) == (Decimal("2.5"), "")
    coaching = CoachingSession.objects.get(enrolment=enrolment)
    assert (coaching.minutes, coaching.focus) == (60, "")
    assert Declaration.objects.filter(enrolment=enrolment).count() == 1

    # Assessment: outcome, total, marks, dates, word counts and hashes stay; words about them and files go.
    result = Result.objects.get(pk=rich.result.pk)
    assert (result.outcome, result.total, result.feedback, result.lead_rationale) == ("pass", 28, "", "")
    marking = Marking.objects.get(pk=result.first_marking_id)
    assert marking.comments == {} and marking.feedback == "" and len(marking.marks) == 4
    assert ModerationItem.objects.get(result=result).verdict == "agree"
    assert ModerationItem.objects.get(result=result).rationale == ""
    file = SubmissionFile.objects.get(version__submission=rich.submission)
    assert (file.file.name, file.original_name, file.names_found) == ("", "", [])
    assert file.words == 1200 and len(file.sha256) == 64 and file.size > 0
    receipt = Receipt.objects.get(submission=rich.submission)
    assert [(f["name"], f["words"]) for f in receipt.content["files"]] == [("", 1200)]
    # No email is left to go to the erased address.
    assert receipt.emailed_at is not None and result.emailed_at is not None
    extension = Extension.objects.get(pk=rich.extension.pk)
    assert (extension.status, extension.new_deadline) == ("granted", datetime.date(2026, 4, 10))
    assert (extension.reason, extension.decision_note, extension.evidence.name, extension.evidence_name) == (
        "",
        "",
        "",
        "",
    )
    assert SubmissionOverride.objects.get(enrolment=enrolment).reason == ""
    assert set(
        SubmissionChange.objects.filter(submission=rich.submission).values_list("note", flat=True)
    ) == {""}
    for name in rich.stored:
        assert not default_storage.exists(name)

    # Nothing anywhere still holds the name, the email or the free text.
    leftovers = [NAME, EMAIL, *TEXTS.values()]
    for model, filters in [
        (Participant, {"pk": participant.pk}),
        (EnrolmentChange, {"enrolment": enrolment}),
        (Result, {"pk": result.pk}),
        (Marking, {"pk": marking.pk}),
        (Receipt, {"pk": receipt.pk}),
        (SubmissionFile, {"pk": file.pk}),
        (Extension, {"pk": extension.pk}),
        (Certificate, {"enrolment": enrolment}),
        (Invitation, {"pk": invitation.pk}),
        (AuditEvent, {}),
    ]:
        text = every_text_of(model, **filters)
        assert not [t for t in leftovers if t.lower() in text.lower()], model


def test_the_audit_trail_keeps_its_rows_with_the_name_pseudonymised_and_others_untouched(rich, staff):
    other = EnrolmentFactory(cohort=rich.enrolment.cohort, participant__user__full_name="Brian Other-Person")
    session = Attendance.objects.get(enrolment=rich.enrolment).session
    participant_services.register_save(by=rich.admin, session=session, marks={other.pk: "late"})
    about_them = AuditEvent.objects.filter(object_label__contains=NAME)
    count = AuditEvent.objects.count()
    assert about_them.count() >= 3  # attendance marked, exception recorded, place completed…

    privacy.participant_erase(by=staff, participant=rich.participant, reason=f"{NAME} asked us by email")

    rich.user.refresh_from_db()
    assert AuditEvent.objects.count() == count + 1  # nothing removed; the erasure itself added
    text = every_text_of(AuditEvent)
    assert NAME not in text and EMAIL not in text and TEXTS["override"] not in text
    assert AuditEvent.objects.filter(object_label__contains=rich.user.full_name).count() >= 4
    assert AuditEvent.objects.get(action="attendance.marked", object_label__contains="Brian Other-Person")
    erased = AuditEvent.objects.get(action="participant.erased")
    assert (erased.actor_id, erased.provider_id, erased.object_label) == (
        staff.pk,
        rich.provider.pk,
        rich.user.full_name,
    )
    # The reason is kept, without their name.
    assert erased.after == {"reason": f"{rich.user.full_name} asked us by email", "open_places": None}


def test_the_certificate_still_checks_by_its_code_without_a_name(client, rich, staff):
    code = rich.certificate.code
    assert NAME in client.get(reverse("certificate_verify", args=[code])).content.decode()
    privacy.participant_erase(by=staff, participant=rich.participant, reason=REASON)
    response = client.get(reverse("certificate_verify", args=[code]))
    page = response.content.decode()
    assert response.status_code == 200 and NAME not in page
    assert "Not held:" in page and "this page cannot confirm whose it is" in page
    assert "Check that the name matches" not in page
    assert Certificate.objects.get(code=code).name == ""


def test_import_previews_that_named_them_are_pseudonymised(provider, staff):
    programme = ProgrammeFactory(provider=provider)
    CohortFactory(
        programme=programme,
        code="ee-2025",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2027, 2, 28),
    )
    admin = person(Role.PROVIDER_ADMIN, provider)
    content = (
        b"external_id,email,first_name,last_name,school_urn,school_name,cohort_code,ethnicity_code,sex,disability\n"
        b"A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,ABAN,female,yes\n"
        b"A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,WBRI,male,no\n"
    )
    batch = imports.import_enrolments(by=admin, provider=provider, file_name="cohort.csv", content=content)
    assert batch.status == EnrolmentImport.Status.IMPORTED
    amira = Participant.objects.get(user__email="amira.khan@example.org")

    privacy.participant_erase(by=staff, participant=amira, reason=REASON)

    batch.refresh_from_db()
    amira.refresh_from_db()
    text = str(batch.report)
    assert "amira.khan@example.org" not in text and "Amira Khan" not in text
    assert "Ben Jones" in text and "ben.jones@example.org" in text  # someone else's rows are untouched
    assert batch.report["rows"][0]["name"] == amira.user.full_name
    assert (amira.ethnicity_code, amira.sex, amira.disability) == ("ABAN", "female", "yes")


# Who may erase whom, and when ---------------------------------------------------------------------------


def test_a_provider_admin_erases_someone_whose_places_with_them_have_ended(provider):
    admin = person(Role.PROVIDER_ADMIN, provider)
    place = ended(EnrolmentFactory(cohort=CohortFactory(programme=ProgrammeFactory(provider=provider))))
    privacy.participant_erase(by=admin, participant=place.participant, reason=REASON)
    place.participant.refresh_from_db()
    assert place.participant.erased_at is not None


@pytest.mark.parametrize("status", [S.APPLIED, S.ACCEPTED, S.ACTIVE, S.DEFERRED])
def test_a_provider_admin_is_refused_while_a_place_is_under_way_but_platform_staff_may(
    provider, staff, status
):
    admin = person(Role.PROVIDER_ADMIN, provider)
    place = EnrolmentFactory(
        cohort=CohortFactory(programme=ProgrammeFactory(provider=provider)), status=status
    )
    with pytest.raises(DomainError, match="Withdraw it first"):
        privacy.participant_erase(by=admin, participant=place.participant, reason=REASON)
    assert privacy.erasure_blocker(by=admin, participant=place.participant).startswith(
        "They still have a place"
    )
    privacy.participant_erase(by=staff, participant=place.participant, reason=REASON)
    assert AuditEvent.objects.get(action="participant.erased").after["open_places"] == 1
    assert Enrolment.objects.get(pk=place.pk).status == status


def test_a_provider_admin_cannot_erase_someone_who_also_studies_with_another_provider(
    provider, other_provider
):
    admin = person(Role.PROVIDER_ADMIN, provider)
    place = ended(EnrolmentFactory(cohort=CohortFactory(programme=ProgrammeFactory(provider=provider))))
    ended(
        EnrolmentFactory(
            participant=place.participant,
            cohort=CohortFactory(programme=ProgrammeFactory(provider=other_provider)),
        )
    )
    with pytest.raises(DomainError, match="another provider"):
        privacy.participant_erase(by=admin, participant=place.participant, reason=REASON)
    with pytest.raises(PermissionDenied):
        privacy.participant_erase(
            by=person(Role.PROVIDER_ADMIN, ProgrammeFactory().provider),
            participant=place.participant,
            reason=REASON,
        )


@pytest.mark.parametrize(
    "role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.MODERATOR, Role.PARTICIPANT]
)
def test_other_roles_may_not_erase(provider, role):
    place = ended(EnrolmentFactory(cohort=CohortFactory(programme=ProgrammeFactory(provider=provider))))
    with pytest.raises(PermissionDenied):
        privacy.participant_erase(by=person(role, provider), participant=place.participant, reason=REASON)
    place.participant.refresh_from_db()
    assert place.participant.erased_at is None


def test_someone_who_also_works_on_the_platform_is_not_erased_until_their_roles_are_removed(provider, staff):
    place = ended(EnrolmentFactory(cohort=CohortFactory(programme=ProgrammeFactory(provider=provider))))
    StaffMembership.objects.create(user=place.participant.user, provider=provider, role="facilitator")
    with pytest.raises(DomainError, match="Remove their staff roles first"):
        privacy.participant_erase(by=staff, participant=place.participant, reason=REASON)
    StaffMembership.objects.filter(user=place.participant.user).delete()
    privacy.participant_erase(by=staff, participant=place.participant, reason=REASON)


def test_a_reason_is_needed_and_a_person_is_erased_once(provider, staff):
    place = ended(EnrolmentFactory(cohort=CohortFactory(programme=ProgrammeFactory(provider=provider))))
    with pytest.raises(DomainError, match="Say why") as refused:
        privacy.participant_erase(by=staff, participant=place.participant, reason="   ")
    assert refused.value.field == "reason"
    with pytest.raises(DomainError, match="1,000 characters"):
        privacy.participant_erase(by=staff, participant=place.participant, reason="x" * 1001)
    privacy.participant_erase(by=staff, participant=place.participant, reason=REASON)
    with pytest.raises(DomainError, match="already erased"):
        privacy.participant_erase(by=staff, participant=place.participant, reason=REASON)
    assert AuditEvent.objects.filter(action="participant.erased").count() == 1


def test_nobody_erases_their_own_record_this_way(provider):
    admin = person(Role.PROVIDER_ADMIN, provider)
    place = ended(
        EnrolmentFactory(
            cohort=CohortFactory(programme=ProgrammeFactory(provider=provider)), participant__user=admin
        )
    )
    with pytest.raises(PermissionDenied, match="own data"):
        privacy.participant_erase(by=admin, participant=place.participant, reason=REASON)


def test_no_new_certificate_is_issued_once_the_person_is_erased(rich, staff):
    from django.utils import timezone

    from assessment.certificates import certificate_issue

    privacy.participant_erase(by=staff, participant=rich.participant, reason=REASON)
    Certificate.objects.filter(code=rich.certificate.code).update(revoked_at=timezone.now())
    with pytest.raises(DomainError, match="personal data has been erased, so no certificate can be issued"):
        certificate_issue(enrolment=rich.certificate.enrolment)

"""From markings to a result, and from a result to the participant (issue 7).

- A submitted first marking either decides the script (a pass not picked for second marking) or sends it to a
  second assessor (assessment/routing.py). Two markings that agree on pass or fail decide it; when they
  disagree, or both say borderline, the lead assessor decides, and that is final. Each decision is a `Result`.
- A provider admin releases a cohort's results for a task once every script has a result and moderation is
  complete, or explicitly without moderation, with a reason. Then participants are emailed, and a place
  becomes completed (every task passed: a certificate is issued) or failed (a fail with no attempt left). A
  fail with an attempt left keeps the place active with a date to resubmit by.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessment import routing
from assessment.allocation import NOT_MARKED, SUBMITTED, allocation_next
from assessment.models import (
    Allocation,
    AssessmentTask,
    Certificate,
    Marking,
    ModerationItem,
    ModerationSample,
    Result,
    ResultChange,
    ReviewRequest,
    Submission,
)
from assessment.outcomes import Outcome, feedback_problem
from assessment.services import submission_label
from audit.services import audit_batch, audit_diff, audit_record
from npqel.access import Action, require
from npqel.errors import DomainError
from npqel.jobs import enqueue
from npqel.words import plural
from participants.models import Enrolment
from programmes.models import Cohort

# The least a lead assessor writes to say why they decided as they did.
RATIONALE_LEAST = 40


def _decide(
    *,
    by: User | None,
    submission: Submission,
    outcome: str,
    route: str,
    first: Marking,
    second: Marking | None = None,
    feedback: str,
    lead: User | None = None,
    rationale: str = "",
) -> Result:
    """The script's result, audited as decided by `by` (the assessor whose marking decided it, or the lead).
    Needs `submission.task` and `submission.enrolment` loaded."""
    markings = [m for m in (first, second) if m is not None]
    result = Result.objects.create(
        submission=submission,
        outcome=outcome,
        route=route,
        was_borderline=any(m.outcome == Outcome.BORDERLINE for m in markings),
        first_marking=first,
        second_marking=second,
        total=(second or first).total if route != Result.Route.LEAD else None,
        feedback=feedback,
        decided_at=timezone.now(),
        lead=lead,
        lead_rationale=rationale,
    )
    # By candidate number only: assessors decide results without knowing whose they are.
    audit_record(
        actor=by,
        action="result.lead_decided" if route == Result.Route.LEAD else "result.decided",
        obj_type="result",
        obj_id=result.pk,
        provider=submission.enrolment.provider_id,
        label=submission_label(submission, task=submission.task),
        before=None,
        after={
            "outcome": outcome,
            "route": route,
            **({"total": result.total} if result.total is not None else {}),
            **({"rationale": rationale} if rationale else {}),
        },
        at=result.decided_at,
    )
    return result


def _submitted_marking(submission: Submission, kind: str) -> Marking:
    marking = Marking.objects.filter(
        allocation__submission=submission, allocation__kind=kind, status=Marking.Status.SUBMITTED
    ).first()
    if marking is None:
        raise DomainError(
            f"This script has no submitted {Allocation.Kind(kind).label.lower()} yet, so it cannot be decided. "
            "Ask the provider's admin to check its allocations."
        )
    return marking


def marking_submitted(marking: Marking) -> Result | None:
    """What follows a submitted marking (called by marking_save, inside its transaction): the script's result,
    or its allocation to the next assessor (None: the script waits for them)."""
    allocation = marking.allocation
    submission = allocation.submission
    if allocation.kind == Allocation.Kind.FIRST:
        if routing.second_marking(marking).needed:
            allocation_next(submission=submission, kind=Allocation.Kind.SECOND)
            return None
        return _decide(
            by=marking.saved_by,
            submission=submission,
            outcome=Result.Outcome.PASS,
            route=Result.Route.FIRST,
            first=marking,
            feedback=marking.feedback,
        )
    if allocation.kind == Allocation.Kind.SECOND:
        first = _submitted_marking(submission, Allocation.Kind.FIRST)
        if routing.lead_decision(first, marking).needed:
            allocation_next(submission=submission, kind=Allocation.Kind.LEAD)
            return None
        return _decide(
            by=marking.saved_by,
            submission=submission,
            outcome=first.outcome,
            route=Result.Route.AGREED,
            first=first,
            second=marking,
            feedback=first.feedback,
        )
    raise DomainError("The lead assessor records a decision, not a marking.")


@transaction.atomic
def lead_decide(*, by: User, allocation: Allocation, outcome: str, feedback: str, rationale: str) -> Result:
    """The lead assessor's final decision on a script the first and second assessors disagreed on (or both
    found borderline): pass or fail, the feedback the participant reads, and why."""
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("submission__task__mark_scheme", "submission__enrolment")
        .get(pk=allocation.pk)
    )
    if allocation.assessor_id != by.pk or allocation.kind != Allocation.Kind.LEAD:
        raise PermissionDenied("Only the lead assessor this script is allocated to can decide it.")
    if allocation.ended_at is not None:
        raise DomainError(
            "This script has been moved to another lead assessor, so your decision was not saved."
        )
    submission = allocation.submission
    if Result.objects.filter(submission=submission).exists():
        raise DomainError("This script already has its final result.")
    if outcome not in Result.Outcome.values:
        raise DomainError("Choose pass or fail.", field="outcome")
    problem = feedback_problem(Outcome(outcome), feedback)
    if problem:
        raise DomainError(problem, field="feedback")
    if len(" ".join(rationale.split())) < RATIONALE_LEAST:
        raise DomainError(
            f"Say why you decided this, against the mark scheme (at least {RATIONALE_LEAST} characters).",
            field="rationale",
        )
    return _decide(
        by=by,
        submission=submission,
        outcome=outcome,
        route=Result.Route.LEAD,
        first=_submitted_marking(submission, Allocation.Kind.FIRST),
        second=_submitted_marking(submission, Allocation.Kind.SECOND),
        feedback=feedback.strip(),
        lead=by,
        rationale=rationale.strip(),
    )


# Release ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseCheck:
    """Whether a cohort's results for a task can be released, and what stands in the way."""

    scripts: int
    results: list[Result]  # decided, not yet released
    still_marking: list[str]  # candidate numbers
    unmoderated: list[Result]  # not covered by a completed moderation sample
    released: int
    unnamed: list[str] = field(default_factory=list)  # emails of passing participants with no full name

    @property
    def problem(self) -> str:
        if self.still_marking:
            return (
                f"{plural(len(self.still_marking), 'script')} still being marked "
                f"({', '.join(self.still_marking[:10])}{'…' if len(self.still_marking) > 10 else ''}). "
                "Release once every script has its result."
            )
        if not self.results:
            return "There are no results waiting to be released." if self.released else "No scripts yet."
        if self.unnamed:
            return (
                f"A certificate carries the participant's full name, and {plural(len(self.unnamed), 'participant')} "
                f"who passed {'has' if len(self.unnamed) == 1 else 'have'} none on their account "
                f"({', '.join(self.unnamed)}). Add it on their record, then release."
            )
        return ""


def _latest_submitted_ids(cohort: Cohort, task: AssessmentTask) -> list[int]:
    """Each place's latest submitted attempt at the task, on the cohort."""
    latest: dict[int, tuple[int, int]] = {}
    for pk, enrolment_id, attempt in (
        Submission.objects.filter(enrolment__cohort=cohort, task=task, status__in=SUBMITTED)
        .exclude(enrolment__status__in=NOT_MARKED)
        .values_list("pk", "enrolment_id", "attempt")
    ):
        latest[enrolment_id] = max(latest.get(enrolment_id, (0, 0)), (attempt, pk))
    return [pk for _, pk in latest.values()]


def _moderated(results: list[Result], provider_id: int) -> set[int]:
    """Ids of the results moderation has covered: in a sample of the provider whose period takes in the day the
    result was decided, drawn after it was decided, with a verdict on every item of the sample."""
    if not results:
        return set()
    samples = list(
        ModerationSample.objects.filter(provider_id=provider_id).exclude(items__verdict="").distinct()
    )
    open_samples = set(
        ModerationItem.objects.filter(sample__provider_id=provider_id, verdict="").values_list(
            "sample_id", flat=True
        )
    )
    complete = [s for s in samples if s.pk not in open_samples]
    covered = set()
    for result in results:
        day = timezone.localdate(result.decided_at)
        if any(s.period_start <= day <= s.period_end and s.drawn_at >= result.decided_at for s in complete):
            covered.add(result.pk)
    return covered


def release_check(*, cohort: Cohort, task: AssessmentTask) -> ReleaseCheck:
    """What releasing the cohort's results for this task would release, and what stands in the way."""
    scripts = list(
        Submission.objects.filter(pk__in=_latest_submitted_ids(cohort, task))
        .select_related("result", "enrolment__participant__user")
        .order_by("candidate_number")
    )
    with_result = [s for s in scripts if hasattr(s, "result")]
    still_marking = [s.candidate_number for s in scripts if not hasattr(s, "result")]
    waiting = [s.result for s in with_result if s.result.released_at is None]
    covered = _moderated(waiting, cohort.programme.provider_id)
    return ReleaseCheck(
        scripts=len(scripts),
        results=waiting,
        still_marking=still_marking,
        unmoderated=[r for r in waiting if r.pk not in covered],
        released=len(with_result) - len(waiting),
        unnamed=[
            r.submission.enrolment.participant.user.email
            for r in waiting
            if r.outcome == Result.Outcome.PASS
            and not r.submission.enrolment.participant.user.full_name.strip()
        ],
    )


@transaction.atomic
def results_release(
    *, by: User, cohort: Cohort, task: AssessmentTask, without_moderation: str = ""
) -> list[Result]:
    """Release the cohort's decided results for the task: participants see them and are emailed, and each place
    moves on (see the module's docstring). Refused while a script is still being marked; refused while
    moderation is not complete unless `without_moderation` says why."""
    from assessment import tasks  # the email job; imported here since tasks imports this module

    require(by, Action.MANAGE_ASSESSMENT, cohort.programme.provider_id)
    if task.scheme.programme_id != cohort.programme_id:
        raise DomainError("That task is not part of this cohort's programme.")
    Cohort.objects.select_for_update().get(pk=cohort.pk)  # one release of a cohort at a time
    # And no verdict changes an outcome between this check and the release (verdict_record locks the result).
    list(
        Result.objects.select_for_update(of=("self",))
        .filter(submission__enrolment__cohort=cohort, submission__task=task, released_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    check = release_check(cohort=cohort, task=task)
    if check.problem:
        raise DomainError(check.problem)
    reason = without_moderation.strip()
    if check.unmoderated and not reason:
        raise DomainError(
            f"{plural(len(check.unmoderated), 'result')} not yet covered by a completed moderation sample. "
            "Draw a moderation sample and wait for the moderator's verdicts, or say why you are releasing "
            "without moderation.",
            field="without_moderation",
        )
    now = timezone.now()
    today = timezone.localdate(now)
    scheme = task.mark_scheme
    unmoderated = {r.pk for r in check.unmoderated}
    # Every event of the release (each result released, each place completed or failed, each certificate
    # issued) is written in one INSERT at the end.
    with audit_batch():
        for result in check.results:
            result.released_at = now
            result.released_by = by
            result.release_note = reason if result.pk in unmoderated else ""
            if result.outcome == Result.Outcome.FAIL and result.submission.attempt < task.attempts_allowed:
                result.resubmit_by = today + datetime.timedelta(days=scheme.resubmission_days)
            result.save(update_fields=["released_at", "released_by", "release_note", "resubmit_by"])
            after = {
                "released_at": now,
                "outcome": result.outcome,
                "resubmit_by": result.resubmit_by,
                "release_note": result.release_note,
            }
            audit_record(
                actor=by,
                action="result.released",
                obj_type="result",
                obj_id=result.pk,
                provider=cohort.programme.provider_id,
                label=submission_label(
                    result.submission,
                    task=task,
                    name=result.submission.enrolment.participant.user.display_name,
                ),
                before={"released_at": None},
                after={k: v for k, v in after.items() if v},
                at=now,
            )
        for enrolment_id in {r.submission.enrolment_id for r in check.results}:
            place_after_results(Enrolment.objects.get(pk=enrolment_id))
    for result in check.results:
        enqueue(tasks.result_email_task, result.pk)
    return check.results


def _latest_released(enrolment: Enrolment) -> dict[int, Result]:
    """The released result of each task's latest attempt, by task id."""
    latest: dict[int, Result] = {}
    for result in (
        Result.objects.filter(submission__enrolment=enrolment, released_at__isnull=False)
        .select_related("submission")
        .order_by("submission__attempt")
    ):
        latest[result.submission.task_id] = result
    return latest


def _resubmitted(result: Result) -> bool:
    """A later attempt at the task was submitted after this failed one."""
    return Submission.objects.filter(
        enrolment_id=result.submission.enrolment_id,
        task_id=result.submission.task_id,
        attempt__gt=result.submission.attempt,
        status__in=SUBMITTED,
    ).exists()


def standing_from_results(enrolment: Enrolment, *, today: datetime.date | None = None) -> str:
    """Where the place's released results put it: completed when every task of the programme has a released
    pass; failed when a task's latest attempt failed with no attempt left (or its date to resubmit passed);
    otherwise active."""
    today = today or timezone.localdate()
    tasks = list(AssessmentTask.objects.filter(scheme__programme_id=enrolment.cohort.programme_id))
    latest = _latest_released(enrolment)
    for result in latest.values():
        if result.outcome != Result.Outcome.FAIL:
            continue
        if result.resubmit_by is None:
            return Enrolment.Status.FAILED
        if result.resubmit_by < today and not _resubmitted(result):
            return Enrolment.Status.FAILED
    if tasks and all(t.pk in latest and latest[t.pk].outcome == Result.Outcome.PASS for t in tasks):
        return Enrolment.Status.COMPLETED
    return Enrolment.Status.ACTIVE


def place_after_results(enrolment: Enrolment) -> None:
    """Move an active place on once its results are out (standing_from_results): completed, with its
    certificate issued, or failed. Otherwise it stays as it is."""
    from assessment.certificates import certificate_issue
    from participants import services as participant_services

    if enrolment.status != Enrolment.Status.ACTIVE:
        return
    standing = standing_from_results(enrolment)
    if standing == Enrolment.Status.FAILED:
        participant_services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=False)
    elif standing == Enrolment.Status.COMPLETED:
        participant_services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=True)
        certificate_issue(enrolment=enrolment)


def result_mark_emailed(*, result_id: int) -> bool:
    """Tell the participant their result is out (not what it is: they read it signed in); once only."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    with transaction.atomic():
        result = (
            Result.objects.select_for_update(of=("self",))
            .select_related(
                "submission__enrolment__participant__user", "submission__enrolment__cohort__programme"
            )
            .select_related("submission__task")
            .filter(pk=result_id, released_at__isnull=False, emailed_at__isnull=True)
            .first()
        )
        if result is None:
            return False
        enrolment = result.submission.enrolment
        user = enrolment.participant.user
        send_mail(
            subject=f"Your result for {result.submission.task.title} is ready",
            message=render_to_string(
                "assessment/email/result.txt",
                {
                    "result": result,
                    "enrolment": enrolment,
                    "user": user,
                    "site_url": settings.SITE_URL.rstrip("/"),
                },
            ),
            from_email=None,
            recipient_list=[user.email],
        )
        result.emailed_at = timezone.now()
        result.save(update_fields=["emailed_at"])
    return True


def results_email_unsent(*, older_than: datetime.timedelta = datetime.timedelta(minutes=5)) -> int:
    """Queue the result emails never sent (the broker or mail server was down); returns how many."""
    from assessment import tasks

    unsent = list(
        Result.objects.filter(emailed_at__isnull=True, released_at__lt=timezone.now() - older_than)
        .order_by("released_at")
        .values_list("pk", flat=True)[:500]
    )
    for result_id in unsent:
        enqueue(tasks.result_email_task, result_id)
    return len(unsent)


# Reviews ------------------------------------------------------------------------------------------------------

# The least a participant writes to say why their result should be reviewed.
REVIEW_REASON_LEAST = 40


@transaction.atomic
def review_request(*, by: User, result: Result, reason: str) -> ReviewRequest:
    """A participant asks for their released result to be reviewed, within the mark scheme's review days."""
    result = (
        Result.objects.select_for_update(of=("self",))
        .select_related("submission__enrolment__participant", "submission__task__mark_scheme")
        .get(pk=result.pk)
    )
    if result.submission.enrolment.participant.user_id != by.pk:
        raise PermissionDenied("Only the participant can ask for their result to be reviewed.")
    if result.released_at is None:
        raise DomainError("Your result is not released yet.")
    if Submission.objects.filter(
        enrolment=result.submission.enrolment,
        task=result.submission.task,
        attempt__gt=result.submission.attempt,
    ).exists():
        raise DomainError(
            "You have submitted this task again since, so this result can no longer be reviewed."
        )
    days = result.submission.task.mark_scheme.review_days
    if timezone.now() >= result.released_at + datetime.timedelta(days=days):
        raise DomainError(
            f"A review can be asked for within {plural(days, 'day')} of the result, and that time has passed. "
            "Contact your provider if something stopped you asking in time."
        )
    if ReviewRequest.objects.filter(result=result, status=ReviewRequest.Status.REQUESTED).exists():
        raise DomainError("You have already asked for a review of this result: your provider will decide.")
    if len(" ".join(reason.split())) < REVIEW_REASON_LEAST:
        raise DomainError(
            "Say what you think was marked wrongly and why, against the mark scheme "
            f"(at least {REVIEW_REASON_LEAST} characters).",
            field="reason",
        )
    review = ReviewRequest.objects.create(
        result=result, reason=reason.strip(), requested_by=by, requested_at=timezone.now()
    )
    # Not the participant's reason (their words, kept on the request): the fact and the moment.
    _audit_review(
        review, by=by, action="requested", name=by.display_name, before=None, after={"status": review.status}
    )
    return review


def _audit_review(
    review: ReviewRequest,
    *,
    by: User,
    action: str,
    name: str,
    before: dict[str, object] | None,
    after: dict[str, object],
) -> None:
    submission = review.result.submission
    audit_record(
        actor=by,
        action=f"review.{action}",
        obj_type="review",
        obj_id=review.pk,
        provider=submission.enrolment.provider_id,
        label=submission_label(submission, task=submission.task, name=name),
        before=before,
        after=after,
    )


@transaction.atomic
def review_decide(*, by: User, review: ReviewRequest, change: bool, note: str) -> ReviewRequest:
    """A provider admin decides a review: the outcome stands, or it changes (pass to fail or fail to pass, with
    the place and certificate following). The note is what the participant reads."""
    review = (
        ReviewRequest.objects.select_for_update(of=("self",))
        .select_related("result__submission__enrolment__participant__user", "result__submission__task")
        .get(pk=review.pk)
    )
    enrolment = review.result.submission.enrolment
    require(by, Action.MANAGE_ASSESSMENT, enrolment.provider_id)
    if enrolment.participant.user_id == by.pk:
        raise PermissionDenied("Another admin of your provider must decide a review of your own result.")
    if review.status != ReviewRequest.Status.REQUESTED:
        raise DomainError("This review has already been decided.")
    if len(" ".join(note.split())) < REVIEW_REASON_LEAST:
        raise DomainError(
            f"Explain the decision to the participant (at least {REVIEW_REASON_LEAST} characters).",
            field="note",
        )
    now = timezone.now()
    review.status = ReviewRequest.Status.CHANGED if change else ReviewRequest.Status.UPHELD
    review.decision_note = note.strip()
    review.decided_by = by
    review.decided_at = now
    review.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    _audit_review(
        review,
        by=by,
        action="decided",
        name=enrolment.participant.user.display_name,
        before={"status": ReviewRequest.Status.REQUESTED},
        after={"status": review.status, "note": review.decision_note},
    )
    if change:
        _outcome_changed_on_review(review.result, by=by, note=review.decision_note, now=now)
    return review


def _outcome_changed_on_review(result: Result, *, by: User, note: str, now: datetime.datetime) -> None:
    from assessment.certificates import certificate_issue, certificate_revoke
    from participants import services as participant_services

    before = result.outcome
    after = Result.Outcome.PASS if before == Result.Outcome.FAIL else Result.Outcome.FAIL
    was = {"outcome": result.outcome, "route": result.route, "resubmit_by": result.resubmit_by}
    ResultChange.objects.create(
        result=result,
        from_outcome=before,
        to_outcome=after,
        changed_by=by,
        changed_at=now,
        reason=note,
        source=ResultChange.Source.REVIEW,
    )
    result.outcome = after
    result.route = Result.Route.REVIEWED
    result.resubmit_by = (
        timezone.localdate(now)
        + datetime.timedelta(days=result.submission.task.mark_scheme.resubmission_days)
        if after == Result.Outcome.FAIL
        and result.submission.attempt < result.submission.task.attempts_allowed
        else None
    )
    result.save(update_fields=["outcome", "route", "resubmit_by"])
    changed_from, changed_to = audit_diff(
        was, {"outcome": result.outcome, "route": result.route, "resubmit_by": result.resubmit_by}
    )
    submission = result.submission
    audit_record(
        actor=by,
        action="result.changed_on_review",
        obj_type="result",
        obj_id=result.pk,
        provider=submission.enrolment.provider_id,
        label=submission_label(
            submission, task=submission.task, name=submission.enrolment.participant.user.display_name
        ),
        before=changed_from,
        after={**changed_to, "reason": note},
        at=now,
    )
    enrolment = Enrolment.objects.get(pk=result.submission.enrolment_id)
    if enrolment.status == Enrolment.Status.ACTIVE:
        place_after_results(enrolment)
        return
    # A finished place: it follows its results, as a release would have put it.
    standing = standing_from_results(enrolment)
    if standing != enrolment.status:
        participant_services.enrolment_outcome_on_review(enrolment=enrolment, to=standing, note=note)
    if standing == Enrolment.Status.COMPLETED:
        certificate_issue(enrolment=enrolment)
    else:
        certificate = Certificate.objects.filter(enrolment=enrolment, revoked_at__isnull=True).first()
        if certificate is not None:
            certificate_revoke(by=by, certificate=certificate, reason=f"Result changed on review: {note}")


def resubmissions_lapse(*, today: datetime.date | None = None) -> int:
    """Places whose date to resubmit after a fail has passed without a new submission become failed (the
    daily job); returns how many."""
    from participants import services as participant_services

    today = today or timezone.localdate()
    lapsed = 0
    for result in Result.objects.filter(
        outcome=Result.Outcome.FAIL,
        released_at__isnull=False,
        resubmit_by__lt=today,
        submission__enrolment__status=Enrolment.Status.ACTIVE,
    ).select_related("submission__enrolment"):
        with transaction.atomic():
            # The place's row first: a resubmission arriving now waits for this, or this sees it.
            enrolment = Enrolment.objects.select_for_update().get(pk=result.submission.enrolment_id)
            if enrolment.status != Enrolment.Status.ACTIVE or _resubmitted(result):
                continue
            participant_services.enrolment_record_outcome(by=None, enrolment=enrolment, passed=False)
        lapsed += 1
    return lapsed

"""The audit trail of final assessment: uploads, replacements, submits and withdrawals; extension requests
and decisions; submitted markings (never drafts) and the results they decide; moderation draws and verdicts;
releases (one INSERT of events for a whole cohort) and reviews. Events about marking and moderation name the
script by candidate number only, as assessors and moderators know it; the participant's own words (their reasons
for an extension or a review) stay on their request, out of the trail."""

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment import services
from assessment.marking import marking_save
from assessment.models import Marking, Result, Submission
from assessment.moderation import sample_draw, verdict_record
from assessment.results import lead_decide, results_release, review_decide, review_request
from audit.models import AuditEvent
from audit.wording import describe
from npqel.access import Role
from tests.assessment.factories import case_study_place, upload
from tests.assessment.marking_setup import SUMMARY, allocate, live, mark, marking_cohort
from tests.assessment.moderation_factories import assessor as named_assessor
from tests.assessment.moderation_factories import marked_result, marked_world
from tests.people import person

pytestmark = pytest.mark.django_db
UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)
RATIONALE = "The implementation stages are present but thin; the justification meets the pass descriptor."
REVIEW_REASON = (
    "Criterion 3 credits a staged plan, and section 4 of my script gives one with owners and dates."
)
NOTE = "We looked again: section 4 is a staged plan with owners and review points, so the script passes."
WHY = "The implementation plan has no stages, a failure-level omission the assessor missed."
FAIL_FEEDBACK = (
    "The plan names the problems but does not justify its solutions against alternatives, and the stages of "
    "implementation are missing: there is no sequence, no owner for each step and no way of telling whether it "
    "is working. Use the case's evidence to prioritise, and set out how the board will hold leaders to account."
)


def actions(after: int = 0) -> list[str]:
    """The actions recorded (after the event with pk `after`), oldest first."""
    return list(AuditEvent.objects.filter(pk__gt=after).order_by("pk").values_list("action", flat=True))


def last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_upload_replace_submit_and_withdraw_are_each_recorded(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    user = enrolment.participant.user
    with time_machine.travel(DURING, tick=False):
        upload(enrolment, task, 1200)
        second = upload(enrolment, task, 1300)
        services.submission_submit(by=user, version=second, declaration=True)
        submission = Submission.objects.get()
        services.submission_withdraw(by=user, submission=submission, reason="I attached the wrong file")
    assert actions() == [
        "submission.uploaded",
        "submission.replaced",
        "submission.submitted",
        "submission.withdrawn",
    ]
    uploaded, replaced, submitted, withdrawn = AuditEvent.objects.order_by("pk")
    label = f"{user.display_name} ({submission.candidate_number}), {task.title}"
    for event in (uploaded, replaced, submitted, withdrawn):
        assert (event.actor, event.at, event.provider_id, event.object_label) == (
            user,
            DURING,
            provider.pk,
            label,
        )
        assert event.object_id == str(submission.pk)
    assert uploaded.before is None
    assert uploaded.after["version"] == 1 and uploaded.after["status"] == "draft"
    assert uploaded.after["main_document"].startswith("response.docx (1,200 words, SHA-256 ")
    assert replaced.before == {"version": 1}
    assert replaced.after["version"] == 2 and "1,300 words" in replaced.after["main_document"]
    receipt = submission.receipts.get()
    assert (submitted.before, submitted.after) == (
        {"status": "draft"},
        {"status": "submitted", "version": 2, "receipt": receipt.reference},
    )
    assert (withdrawn.before, withdrawn.after) == (
        {"status": "submitted"},
        {"status": "withdrawn", "reason": "I attached the wrong file"},
    )


def test_an_extension_request_and_its_decision_are_recorded_without_the_participants_reason(provider):
    enrolment, task, _ = case_study_place(provider=provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    with time_machine.travel(DURING, tick=False):
        request = services.extension_request(
            by=enrolment.participant.user,
            enrolment=enrolment,
            task=task,
            reason="My mother is in hospital after a stroke.",
            until=datetime.date(2026, 4, 5),
        )
        services.extension_decide(
            by=admin,
            extension=request,
            grant=True,
            new_deadline=datetime.date(2026, 4, 3),
            note="Granted: evidence seen",
        )
    asked, decided = AuditEvent.objects.order_by("pk")
    assert (asked.action, asked.actor, asked.before) == (
        "extension.requested",
        enrolment.participant.user,
        None,
    )
    assert asked.after == {
        "status": "requested",
        "deadline_then": "2026-03-29",
        "requested_until": "2026-04-05",
        "evidence": False,
    }
    assert "hospital" not in json.dumps([asked.after, decided.after, asked.object_label])
    assert (decided.action, decided.actor, decided.before) == (
        "extension.decided",
        admin,
        {"status": "requested"},
    )
    assert decided.after == {
        "status": "granted",
        "new_deadline": "2026-04-03",
        "note": "Granted: evidence seen",
    }


def test_a_draft_marking_is_not_recorded_and_a_submitted_one_is_with_the_result_it_decides(provider):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    allocation = allocate(script, setup.assessors[0])
    criteria = list(setup.task.mark_scheme.criteria.all())
    draft = dict(by=allocation.assessor, allocation=allocation, comments={}, ticked=set(), feedback=SUMMARY)
    uploads = last_pk()  # the participant's upload and submit, recorded as the cohort was set up
    marking_save(**draft, revision=0, marks={criteria[0].pk: 7})
    marking_save(**draft, revision=1, marks={criteria[0].pk: 8})
    assert actions(after=uploads) == []  # drafts (and autosaves) are not audited
    marking_save(
        **draft, revision=2, marks={c.pk: m for c, m in zip(criteria, [7, 7, 6, 6], strict=True)}, submit=True
    )
    assert actions(after=uploads) == ["marking.submitted", "result.decided"]
    submitted, decided = AuditEvent.objects.filter(pk__gt=uploads).order_by("pk")
    marking = Marking.objects.get()
    assert (submitted.actor, submitted.object_id) == (setup.assessors[0], str(marking.pk))
    assert submitted.before == {"status": "draft"}
    assert submitted.after == {
        "status": "submitted",
        "total": 26,
        "outcome": "pass",
        "marks": {"criterion 1": 7, "criterion 2": 7, "criterion 3": 6, "criterion 4": 6},
        "omissions": [],
    }
    assert (decided.actor, decided.after["outcome"], decided.after["route"]) == (
        setup.assessors[0],
        "pass",
        "first",
    )
    participant = script.enrolment.participant.user.full_name
    for event in (submitted, decided):
        assert script.candidate_number in event.object_label and participant not in event.object_label
    assert (
        describe(decided).sentence == f"Decided the result of {script.candidate_number}, {setup.task.title}"
    )


def test_the_lead_assessors_decision_is_recorded(provider):
    setup = marking_cohort(provider, 1, second_share=100)
    script = setup.scripts[0]
    ann, _, cat = setup.assessors
    mark(allocate(script, ann), "pass")
    mark(live(script, "second"), "borderline")
    lead_decide(
        by=cat, allocation=live(script, "lead"), outcome="pass", feedback=SUMMARY, rationale=RATIONALE
    )
    event = AuditEvent.objects.get(action="result.lead_decided")
    assert (event.actor, event.before) == (cat, None)
    assert event.after == {"outcome": "pass", "route": "lead", "rationale": RATIONALE}


def test_a_release_records_every_result_and_its_knock_on_changes_in_one_insert(provider):
    setup = marking_cohort(provider, 3, second_share=0)
    for script in setup.scripts:
        mark(allocate(script, setup.assessors[0]), "pass")
    admin = person(Role.PROVIDER_ADMIN, provider)
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="A small cohort.")
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 1
    released = AuditEvent.objects.filter(action="result.released")
    assert released.count() == 3 and AuditEvent.objects.count() == before + 9
    for event in released:
        assert event.actor == admin and event.before == {"released_at": None}
        assert event.after["outcome"] == "pass" and event.after["release_note"] == "A small cohort."
    # The places move on and their certificates are issued by the platform itself.
    moved_on = AuditEvent.objects.filter(action__in=["enrolment.completed", "certificate.issued"])
    assert moved_on.count() == 6 and {e.actor_label for e in moved_on} == {"The platform"}
    script = setup.scripts[0]
    name = script.enrolment.participant.user.display_name
    assert released.filter(object_label=f"{name} ({script.candidate_number}), {setup.task.title}").exists()


def test_a_review_that_changes_a_result_is_recorded_with_the_place_following_it(provider):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    mark(allocate(script, setup.assessors[0]), "fail")
    mark(live(script, "second"), "fail")
    admin = person(Role.PROVIDER_ADMIN, provider)
    results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="A small cohort.")
    participant = script.enrolment.participant.user
    already = set(AuditEvent.objects.values_list("pk", flat=True))
    review = review_request(by=participant, result=Result.objects.get(), reason=REVIEW_REASON)
    review_decide(by=admin, review=review, change=True, note=NOTE)
    new = AuditEvent.objects.exclude(pk__in=already).order_by("pk")
    assert [e.action for e in new] == [
        "review.requested",
        "review.decided",
        "result.changed_on_review",
        "enrolment.completed",
        "certificate.issued",
    ]
    asked, decided, changed, completed, _ = new
    assert asked.actor == participant and asked.after == {"status": "requested"}
    assert "section 4 of my script" not in json.dumps(asked.after)
    assert (decided.actor, decided.before, decided.after) == (
        admin,
        {"status": "requested"},
        {"status": "changed", "note": NOTE},
    )
    assert (changed.actor, changed.before) == (admin, {"outcome": "fail", "route": "agreed"})
    assert changed.after == {"outcome": "pass", "route": "reviewed", "reason": NOTE}
    assert (completed.before, completed.after["status"]) == ({"status": "failed"}, "completed")


def test_a_moderation_draw_and_a_verdict_that_changes_a_result_are_recorded_by_candidate_number(provider):
    world = marked_world(provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    moderator = person(Role.MODERATOR)
    result = marked_result(world, first=named_assessor(provider, "Ann Marker"), name="Priya Shah")
    with time_machine.travel(datetime.datetime(2026, 6, 2, 9, 0, tzinfo=UK), tick=False):
        sample = sample_draw(
            by=admin,
            provider=provider,
            label="May",
            rate_percent=100,
            period_start=datetime.date(2026, 5, 1),
            period_end=datetime.date(2026, 5, 31),
            seed="audit",
        )
        verdict_record(
            by=moderator,
            item=sample.items.get(),
            verdict="disagree",
            moderator_outcome="fail",
            rationale=WHY,
            feedback=FAIL_FEEDBACK,
        )
    drawn, verdict, changed = AuditEvent.objects.order_by("pk")
    assert (drawn.action, drawn.actor, drawn.object_label) == ("moderation_sample.drawn", admin, "May")
    assert drawn.after == {
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "rate_percent": 100,
        "seed": "audit",
        "scripts": 1,
    }
    assert (verdict.action, verdict.actor, verdict.before) == ("moderation_item.verdict", moderator, None)
    assert verdict.after == {
        "verdict": "disagree",
        "moderator_outcome": "fail",
        "rationale": WHY,
        "outcome_moderated": "pass",
    }
    assert (changed.action, changed.actor, changed.before) == (
        "result.changed_by_moderation",
        moderator,
        {"outcome": "pass", "route": "first"},
    )
    assert changed.after["outcome"] == "fail" and changed.after["feedback_replaced"] is True
    candidate = result.submission.candidate_number
    for event in (verdict, changed):
        assert candidate in event.object_label and "Priya" not in event.object_label

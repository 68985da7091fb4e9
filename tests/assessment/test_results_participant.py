"""What a participant sees and can do once results are out: their result and feedback on the task page, a
certificate on their home page when they pass, a review they can ask for (and the provider's decision), and a
resubmission after a fail when the programme allows another attempt. Also: a script with an assessor can no
longer be replaced or withdrawn."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from assessment import services
from assessment.models import Certificate, Result, ReviewRequest, Submission
from assessment.results import results_release, review_decide, review_request
from npqel.access import Role
from npqel.errors import DomainError
from participants.models import Enrolment
from tests.assessment.factories import docx_bytes
from tests.assessment.marking_setup import DETAIL, SUMMARY, allocate, live, mark, marking_cohort
from tests.people import person

pytestmark = pytest.mark.django_db
REASON = "Criterion 3 credits a staged plan, and section 4 of my script gives one with owners and dates."
NOTE = "We looked again: section 4 is a staged plan with owners and review points, so the script passes."


def released(provider, outcome, *, attempts=1):
    setup = marking_cohort(provider, 1, second_share=0)
    setup.task.attempts_allowed = attempts
    setup.task.save()
    script = setup.scripts[0]
    mark(allocate(script, setup.assessors[0]), outcome)
    if outcome != "pass":
        mark(live(script, "second"), outcome)
    admin = person(Role.PROVIDER_ADMIN, provider)
    results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="A small cohort.")
    return setup, script, admin


def test_a_pass_shows_on_the_task_page_and_the_certificate_on_the_home_page(provider, signed_in):
    setup, script, _ = released(provider, "pass")
    client = signed_in(script.enrolment.participant.user)
    page = client.get(reverse("my_task", args=[script.enrolment_id, setup.task.number])).content.decode()
    assert "Your result" in page and "Passed" in page and SUMMARY in page
    assert "ask for a review" in page
    home = client.get(reverse("home")).content.decode()
    assert "Download your certificate (PDF)" in home
    response = client.get(reverse("certificate_download", args=[script.enrolment_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_an_unreleased_result_is_not_shown(provider, signed_in):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    mark(allocate(script, setup.assessors[0]), "pass")
    page = signed_in(script.enrolment.participant.user).get(
        reverse("my_task", args=[script.enrolment_id, setup.task.number])
    )
    assert "Your result" not in page.content.decode() and SUMMARY not in page.content.decode()


def test_a_review_changes_a_fail_to_a_pass_completing_the_place(provider, signed_in):
    setup, script, admin = released(provider, "fail")
    enrolment = Enrolment.objects.get(pk=script.enrolment_id)
    assert enrolment.status == "failed"
    participant = enrolment.participant.user
    client = signed_in(participant)
    url = reverse("review_ask", args=[enrolment.pk, setup.task.number])
    assert "Say what you think was marked wrongly" in client.post(url, {"reason": "Unfair"}).content.decode()
    assert client.post(url, {"reason": REASON}).status_code == 302
    with pytest.raises(DomainError, match="already asked"):
        review_request(by=participant, result=script.result, reason=REASON)
    review = ReviewRequest.objects.get()

    admin_client = signed_in(admin)
    queue = admin_client.get(reverse("review_queue", args=[provider.slug])).content.decode()
    assert escape(participant.display_name) in queue
    refused = admin_client.post(
        reverse("review_decide", args=[review.pk]), {"decision": "change", "note": "Yes"}
    )
    assert refused.status_code == 400
    admin_client.post(reverse("review_decide", args=[review.pk]), {"decision": "change", "note": NOTE})
    result = Result.objects.get()
    assert (result.outcome, result.route) == ("pass", "reviewed")
    assert result.changes.get().reason == NOTE
    enrolment.refresh_from_db()
    assert enrolment.status == "completed" and Certificate.objects.filter(enrolment=enrolment).exists()
    page = (
        signed_in(participant)
        .get(reverse("my_task", args=[enrolment.pk, setup.task.number]))
        .content.decode()
    )
    assert "outcome changed" in page and NOTE in page and "changed on review" in page


def test_a_review_that_turns_a_pass_into_a_fail_revokes_the_certificate(provider):
    setup, script, admin = released(provider, "pass")
    enrolment = script.enrolment
    review = review_request(by=enrolment.participant.user, result=Result.objects.get(), reason=REASON)
    review_decide(by=admin, review=review, change=True, note=NOTE)
    enrolment.refresh_from_db()
    assert enrolment.status == "failed"
    assert Certificate.objects.get(enrolment=enrolment).revoked_at is not None


def test_a_review_upheld_keeps_the_result_and_is_asked_in_time_only(provider):
    setup, script, admin = released(provider, "fail")
    user = script.enrolment.participant.user
    review = review_request(by=user, result=Result.objects.get(), reason=REASON)
    review_decide(by=admin, review=review, change=False, note=NOTE)
    assert Result.objects.get().outcome == "fail"
    with time_machine.travel(timezone.now() + datetime.timedelta(days=15)):
        with pytest.raises(DomainError, match="within 14 days"):
            review_request(by=user, result=Result.objects.get(), reason=REASON)


def test_a_fail_with_an_attempt_left_can_be_resubmitted_and_marked_afresh(provider, signed_in):
    setup, first_try, admin = released(provider, "fail", attempts=2)
    enrolment = Enrolment.objects.get(pk=first_try.enrolment_id)
    assert enrolment.status == "active"
    user = enrolment.participant.user
    page = signed_in(user).get(reverse("my_task", args=[enrolment.pk, setup.task.number])).content.decode()
    assert "Not passed" in page and DETAIL in page and "You can submit this task again" in page
    resubmit_by = Result.objects.get().resubmit_by
    assert f"{resubmit_by:%A} {resubmit_by.day} {resubmit_by:%B %Y}" in page

    version = services.version_upload(
        by=user, enrolment=enrolment, task=setup.task, main=io.BytesIO(docx_bytes(1200)), main_name="v2.docx"
    )
    services.submission_submit(by=user, version=version, declaration=True)
    second_try = Submission.objects.get(pk=version.submission_id)
    assert second_try.attempt == 2 and second_try.candidate_number != first_try.candidate_number
    mark(allocate(second_try, setup.assessors[1]), "pass")
    results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="A small cohort.")
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"


def test_a_script_with_an_assessor_can_no_longer_be_replaced_or_withdrawn(provider):
    setup = marking_cohort(provider, 1)
    script = setup.scripts[0]
    allocate(script, setup.assessors[0])
    user = script.enrolment.participant.user
    from tests.assessment.marking_setup import DURING

    with time_machine.travel(DURING, tick=False):
        with pytest.raises(DomainError, match="with an assessor, so it can no longer be replaced"):
            services.version_upload(
                by=user, enrolment=script.enrolment, task=setup.task, main=io.BytesIO(docx_bytes(1200))
            )
        with pytest.raises(DomainError, match="with an assessor, so it stands"):
            services.submission_withdraw(by=user, submission=script)
    assert script.versions.count() == 1


def test_a_place_not_resubmitted_by_its_date_fails(provider):
    from assessment.results import resubmissions_lapse

    setup, script, _ = released(provider, "fail", attempts=2)
    resubmit_by = Result.objects.get().resubmit_by
    assert resubmissions_lapse(today=resubmit_by) == 0  # the last day is still open
    assert resubmissions_lapse(today=resubmit_by + datetime.timedelta(days=1)) == 1
    assert Enrolment.objects.get(pk=script.enrolment_id).status == "failed"
    assert resubmissions_lapse(today=resubmit_by + datetime.timedelta(days=2)) == 0


def test_a_review_of_one_task_never_completes_a_place_with_another_task_not_passed(provider):
    """Two tasks; the first failed for good and the place failed; its review makes it a pass, but the second
    task was never submitted: the place is active again (to do it), not completed, and has no certificate."""
    from assessment.marking import mark_scheme_create_default
    from assessment.models import AssessmentTask

    setup, script, admin = released(provider, "fail")
    second = AssessmentTask.objects.create(
        scheme=setup.task.scheme, number=2, title="Task 2", main_word_limit=4000, window_kind="chosen"
    )
    mark_scheme_create_default(by=None, task=second)
    enrolment = Enrolment.objects.get(pk=script.enrolment_id)
    assert enrolment.status == "failed"
    review = review_request(by=enrolment.participant.user, result=Result.objects.get(), reason=REASON)
    review_decide(by=admin, review=review, change=True, note=NOTE)
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert not Certificate.objects.filter(enrolment=enrolment).exists()


def test_a_revoked_certificate_is_replaced_by_a_new_one_when_the_place_passes_again(provider):
    """A pass turned into a fail on review (certificate revoked, an attempt left), then resubmitted and passed:
    a new certificate with a new code; the old code still reads as revoked."""
    from assessment.certificates import certificate_by_code

    setup, first_try, admin = released(provider, "pass", attempts=2)
    enrolment = Enrolment.objects.get(pk=first_try.enrolment_id)
    old = Certificate.objects.get(enrolment=enrolment)
    review = review_request(by=enrolment.participant.user, result=Result.objects.get(), reason=REASON)
    review_decide(by=admin, review=review, change=True, note=NOTE)
    enrolment.refresh_from_db()
    assert enrolment.status == "active"  # a fail with an attempt left
    user = enrolment.participant.user
    version = services.version_upload(
        by=user, enrolment=enrolment, task=setup.task, main=io.BytesIO(docx_bytes(1200)), main_name="v2.docx"
    )
    services.submission_submit(by=user, version=version, declaration=True)
    mark(allocate(Submission.objects.get(pk=version.submission_id), setup.assessors[1]), "pass")
    results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="A small cohort.")
    enrolment.refresh_from_db()
    assert enrolment.status == "completed"
    new = Certificate.objects.get(enrolment=enrolment, revoked_at__isnull=True)
    assert new.code != old.code
    assert certificate_by_code(code=old.code).revoked_at is not None


def test_a_withdrawn_places_script_neither_blocks_release_nor_is_allocated(provider):
    from assessment.allocation import allocation_run
    from participants import services as participant_services

    setup = marking_cohort(provider, 2, second_share=0)
    kept, gone = setup.scripts
    mark(allocate(kept, setup.assessors[0]), "pass")
    admin = person(Role.PROVIDER_ADMIN, provider)
    participant_services.enrolment_withdraw(by=admin, enrolment=gone.enrolment, reason="change-in-career")
    plan = allocation_run(by=admin, provider=provider, task=setup.task, due_on=timezone.localdate())
    assert plan.lines == ()
    released_now = results_release(
        by=admin, cohort=setup.cohort, task=setup.task, without_moderation="Small."
    )
    assert [r.submission for r in released_now] == [kept]


def test_a_review_note_never_reaches_the_moderator(provider, signed_in):
    from assessment.models import ModerationItem, ModerationSample

    setup, script, admin = released(provider, "fail")
    user = script.enrolment.participant.user
    review = review_request(by=user, result=Result.objects.get(), reason=REASON)
    review_decide(
        by=admin,
        review=review,
        change=True,
        note=f"Dear {user.full_name}, we looked again at section 4 of your script.",
    )
    result = Result.objects.get()
    sample = ModerationSample.objects.create(
        provider=provider,
        label="Autumn",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        seed="x",
        drawn_at=timezone.now(),
    )
    item = ModerationItem.objects.create(
        sample=sample, result=result, reason="random", outcome_moderated="pass"
    )
    page = signed_in(person(Role.MODERATOR)).get(reverse("moderation_item", args=[item.pk])).content.decode()
    assert "Changed on review, by the provider." in page
    assert user.full_name not in page and "we looked again" not in page


def test_the_review_queue_reads_in_a_fixed_number_of_queries(
    provider, signed_in, django_assert_max_num_queries
):
    setup = marking_cohort(provider, 3, second_share=0)
    for script in setup.scripts:
        mark(allocate(script, setup.assessors[0]), "pass")
    admin = person(Role.PROVIDER_ADMIN, provider)
    results_release(by=admin, cohort=setup.cohort, task=setup.task, without_moderation="A small cohort.")

    def ask(script):
        user = script.enrolment.participant.user
        review_request(by=user, result=Result.objects.get(submission=script), reason=REASON)

    client = signed_in(admin)
    url = reverse("review_queue", args=[provider.slug])
    ask(setup.scripts[0])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    ask(setup.scripts[1])
    ask(setup.scripts[2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Waiting for a decision (3)" in page


def test_the_provider_page_says_how_many_reviews_wait(provider, signed_in):
    setup, script, admin = released(provider, "fail")
    review_request(by=script.enrolment.participant.user, result=Result.objects.get(), reason=REASON)
    page = signed_in(admin).get(reverse("provider_detail", args=[provider.slug])).content.decode()
    assert (
        'Requests to review a result</a> <strong class="govuk-tag govuk-tag--yellow">1 waiting</strong>'
        in page
    )

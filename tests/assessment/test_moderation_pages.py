"""The moderation pages: the provider's admins draw samples and read the verdicts and marking quality (platform
staff read them too); moderators, across providers, see the scripts waiting for them and record verdicts,
anonymously: no participant's name, email or school anywhere on their pages."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from assessment.models import ModerationItem, ModerationSample, Result
from assessment.moderation import sample_draw, verdict_record
from npqel.access import Role
from tests.assessment.moderation_factories import (
    DECIDED,
    assessor,
    drawn_sample,
    marked_result,
    marked_world,
)
from tests.people import ALL_ROLES, person

pytestmark = pytest.mark.django_db
MAY = {"period_start": datetime.date(2026, 5, 1), "period_end": datetime.date(2026, 5, 31)}
WHY = "The implementation plan has no stages, a failure-level omission the assessor missed."


def text(response) -> str:
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


@pytest.fixture
def world(provider):
    return marked_world(provider)


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


@pytest.fixture
def moderator(db):
    return person(Role.MODERATOR)


@pytest.fixture
def ann(world):
    return assessor(world.provider, "Ann Marker")


# The provider's pages ---------------------------------------------------------------------------------------


def test_an_admin_draws_a_sample_and_sees_its_scripts_by_candidate_number(client, world, admin, ann):
    results = [
        marked_result(world, first=ann, name=f"Hidden Person {i}", email=f"hidden{i}@school.example")
        for i in range(5)
    ]
    client.force_login(admin)
    url = reverse("moderation_samples", args=[world.provider.slug])
    response = client.post(
        url,
        {
            "label": "May results",
            "period_start": "2026-05-01",
            "period_end": "2026-05-31",
            "rate_percent": "40",
        },
    )
    sample = ModerationSample.objects.get()
    assert response.status_code == 302 and response.url == reverse("moderation_sample", args=[sample.pk])
    page = text(client.get(response.url))
    assert "Sample “May results” is drawn: 2 scripts to moderate." in page  # ceil(40% of 5)
    assert "Reproducible Yes : drawing again from the seed gives these scripts" in page
    assert sample.seed in page
    shown = [r.submission.candidate_number for r in results if r.submission.candidate_number in page]
    assert len(shown) == 2
    assert "Hidden Person" not in page and "hidden0@" not in page
    listing = text(client.get(url))
    assert "May results" in listing and "0 of 2" in listing


def test_a_draw_that_finds_nothing_says_why_on_the_form(client, world, admin):
    client.force_login(admin)
    response = client.post(
        reverse("moderation_samples", args=[world.provider.slug]),
        {"label": "June", "period_start": "2026-06-01", "period_end": "2026-06-30", "rate_percent": "10"},
    )
    assert response.status_code == 200
    assert "No results were decided from 1 June 2026 to 30 June 2026" in text(response)
    response = client.post(reverse("moderation_samples", args=[world.provider.slug]), {"label": ""})
    page = text(response)
    assert "Give the sample a name" in page and "Enter the first day." in page and "Enter the share" in page
    assert not ModerationSample.objects.exists()


def test_platform_staff_read_the_pages_but_do_not_draw(client, world, admin, ann):
    marked_result(world, first=ann)
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    client.force_login(person(Role.PLATFORM_STAFF))
    url = reverse("moderation_samples", args=[world.provider.slug])
    page = client.get(url)
    assert page.status_code == 200 and "Only the provider's admins draw samples." in text(page)
    assert client.get(reverse("moderation_sample", args=[sample.pk])).status_code == 200
    assert client.get(reverse("marking_quality", args=[world.provider.slug])).status_code == 200
    refused = client.post(url, {"label": "Again", **MAY, "rate_percent": "10"})
    assert refused.status_code == 403 and ModerationSample.objects.count() == 1


def test_a_disagreement_on_a_released_result_is_flagged_for_the_admin(client, world, admin, ann, moderator):
    released = marked_result(world, first=ann, released_at=DECIDED + datetime.timedelta(days=2))
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    verdict_record(
        by=moderator, item=sample.items.get(), verdict="disagree", moderator_outcome="fail", rationale=WHY
    )
    client.force_login(admin)
    page = text(client.get(reverse("moderation_sample", args=[sample.pk])))
    number = released.submission.candidate_number
    assert f"already released to participants: {number}. The outcome has not changed" in page
    assert "Disagree: fail" in page and WHY in page and "Review needed" in page
    assert "1 released result to review" in text(
        client.get(reverse("moderation_samples", args=[sample.provider.slug]))
    )


def test_the_sample_pages_take_the_same_queries_however_many_scripts(
    client, world, admin, ann, moderator, django_assert_num_queries
):
    def grow(n: int) -> ModerationSample:
        for i in range(n):
            marked_result(
                world, first=assessor(world.provider, f"Marker {ModerationItem.objects.count()} {i}")
            )
        sample = sample_draw(by=admin, provider=world.provider, label=f"S{n}", rate_percent=100, **MAY)
        for item in sample.items.all()[:2]:
            verdict_record(by=moderator, item=item, verdict="agree")
        return sample

    client.force_login(admin)
    small = grow(2)
    listing = reverse("moderation_samples", args=[world.provider.slug])
    with django_assert_num_queries(6):
        assert client.get(listing).status_code == 200
    with django_assert_num_queries(8):
        assert client.get(reverse("moderation_sample", args=[small.pk])).status_code == 200
    large = grow(9)
    with django_assert_num_queries(6):
        assert client.get(listing).status_code == 200
    with django_assert_num_queries(8):
        page = client.get(reverse("moderation_sample", args=[large.pk]))
    assert "2 of 9 recorded: the moderator agrees with 2 (100.00% accuracy)" in text(page)


def test_the_marking_quality_page_shows_each_assessor_and_accuracy(
    client, world, admin, ann, moderator, django_assert_num_queries
):
    ben = assessor(world.provider, "Ben Marker")
    kept = marked_result(world, first=ann)
    changed = marked_result(world, first=ann, first_outcome="fail", second=(ben, "fail"))
    marked_result(world, first=ann, decided_at=datetime.datetime(2026, 7, 2, 12, 0, tzinfo=DECIDED.tzinfo))
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    items = {item.result_id: item for item in sample.items.all()}
    verdict_record(by=moderator, item=items[kept.pk], verdict="agree")
    verdict_record(
        by=moderator, item=items[changed.pk], verdict="disagree", moderator_outcome="pass", rationale=WHY
    )
    client.force_login(admin)
    url = reverse("marking_quality", args=[world.provider.slug])
    with django_assert_num_queries(9):
        page = text(client.get(url))
    assert "Assessments made 3 Moderated 2 (66.67%) Moderator agreed 1 Accuracy 50.00%" in page
    assert "Ann Marker 3 first, 0 second, 0 lead 3 21.33 2 0 1 2 of 3 50.00%" in page
    assert "Ben Marker 0 first, 1 second, 0 lead 1 12.00 0 0 1 — —" in page
    may = text(client.get(url, {"start": "2026-05-01", "end": "2026-05-31"}))
    assert "Assessments made 2 Moderated 2 (100.00%) Moderator agreed 1 Accuracy 50.00%" in may
    wrong = text(client.get(url, {"start": "2026-05-31", "end": "2026-05-01"}))
    assert "The last day must be on or after the first day." in wrong


# The moderator's pages -------------------------------------------------------------------------------------------


@pytest.fixture
def two_providers(world, admin, ann, other_provider):
    """A sample at each provider; every participant has a name and email that must never reach a moderator."""
    mine = marked_result(
        world,
        first=ann,
        first_outcome="borderline",
        second=(assessor(world.provider, "Ben Marker"), "pass"),
        outcome="pass",
        name="Priya Secretname",
        email="priya.secret@oakfield.example",
    )
    first = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    elsewhere = marked_world(other_provider)
    theirs = marked_result(
        elsewhere,
        first=assessor(other_provider, "Cat Marker"),
        name="Tom Hiddenname",
        email="tom.hidden@elm.example",
    )
    second = sample_draw(
        by=person(Role.PROVIDER_ADMIN, other_provider),
        provider=other_provider,
        label="Spring",
        rate_percent=100,
        **MAY,
    )
    return first.items.get(), second.items.get(), mine, theirs


def assert_anonymous(page: str, *results: Result) -> None:
    for result in results:
        participant = result.submission.enrolment.participant
        for secret in (participant.user.full_name, participant.user.email, participant.school.name):
            assert secret not in page, f"{secret!r} shown to a moderator"
        assert "case study.pdf" not in page  # the name the participant gave their file (it holds their name)


def test_the_queue_lists_every_providers_scripts_waiting_anonymously(
    client, two_providers, moderator, django_assert_num_queries
):
    mine_item, their_item, mine, theirs = two_providers
    client.force_login(moderator)
    with django_assert_num_queries(6):
        response = client.get(reverse("moderation_queue"))
    page = text(response)
    assert "2 scripts waiting for a verdict, in 2 samples." in page
    assert mine.submission.candidate_number in page and theirs.submission.candidate_number in page
    assert "Outstanding Leaders Partnership: May" in page and "Spring" in page
    assert_anonymous(page, mine, theirs)
    # A sample whose verdicts are all in leaves the queue.
    verdict_record(by=moderator, item=their_item, verdict="agree")
    page = text(client.get(reverse("moderation_queue")))
    assert theirs.submission.candidate_number not in page and "1 script waiting" in page


def test_the_queue_takes_the_same_queries_however_many_samples(
    client, world, admin, moderator, django_assert_num_queries
):
    client.force_login(moderator)
    drawn_sample(world, by=admin, results=2)
    with django_assert_num_queries(6):
        client.get(reverse("moderation_queue"))
    for _ in range(3):
        drawn_sample(world, by=admin, results=4)
    with django_assert_num_queries(6):
        assert "14 scripts waiting" in text(client.get(reverse("moderation_queue")))


def test_the_script_page_shows_the_markings_but_never_who_wrote_it(
    client, two_providers, moderator, django_assert_num_queries
):
    item, _, mine, theirs = two_providers
    client.force_login(moderator)
    url = reverse("moderation_item", args=[item.pk])
    with django_assert_num_queries(10):
        response = client.get(url)
    page = text(response)
    assert f"Candidate {mine.submission.candidate_number}" in page
    assert "Outcome to moderate Pass (borderline at marking), total 20" in page
    assert "First marking: Borderline, 20 marks" in page and "Second marking: Pass, 26 marks" in page
    assert "Identifies the problems 5 of 10 First assessor: priorities are clear." in page
    assert "justifies the chosen solutions only in part" in page  # the borderline marking's feedback
    assert "Main document (PDF, 1450 words)" in page
    assert_anonymous(page, mine)
    file_pk = mine.submission.submitted_version.files.get().pk
    assert f'href="{reverse("script_file", args=[file_pk])}"' in response.content.decode()


def test_a_moderator_disagrees_on_the_page_and_the_outcome_follows(client, two_providers, moderator):
    item, _, mine, _ = two_providers
    client.force_login(moderator)
    url = reverse("moderation_item", args=[item.pk])
    refused = text(client.post(url, {"verdict": "disagree", "moderator_outcome": "fail", "rationale": "No."}))
    assert "Say why you disagree, in at least a sentence" in refused
    response = client.post(url, {"verdict": "disagree", "moderator_outcome": "fail", "rationale": WHY})
    assert response.status_code == 302 and response.url == reverse("moderation_queue")
    told = text(client.get(response.url))
    assert (
        f"Verdict on {mine.submission.candidate_number} saved. You disagree: the outcome is now fail" in told
    )
    mine.refresh_from_db()
    assert (mine.outcome, mine.route) == ("fail", "moderated")
    page = text(client.get(url))
    assert "Pass to Fail." in page and "You recorded “disagree”" in page and "You can change it" in page


def test_another_moderators_verdict_is_shown_but_not_open_to_change(client, two_providers, moderator):
    item, *_ = two_providers
    verdict_record(by=moderator, item=item, verdict="agree")
    client.force_login(person(Role.MODERATOR))
    page = text(client.get(reverse("moderation_item", args=[item.pk])))
    assert "Agreed with the outcome, by" in page and "Only they can change it." in page
    assert "Save the verdict" not in page


@pytest.mark.parametrize("role", ALL_ROLES, ids=[role.value for role in ALL_ROLES])
def test_only_moderators_open_the_moderator_pages(client, two_providers, role, provider):
    item, their_item, *_ = two_providers
    client.force_login(person(role, provider))
    expected = 200 if role == Role.MODERATOR else 403
    assert client.get(reverse("moderation_queue")).status_code == expected
    for each in (item, their_item):  # their own provider's or another's: the same for every role
        assert client.get(reverse("moderation_item", args=[each.pk])).status_code == expected
    posted = client.post(reverse("moderation_item", args=[item.pk]), {"verdict": "agree"})
    assert posted.status_code == (302 if role == Role.MODERATOR else 403)
    assert client.get(reverse("moderation_item", args=[999_999])).status_code == (
        404 if role == Role.MODERATOR else 403
    )


def test_a_moderator_opens_no_provider_moderation_page(client, two_providers, moderator, provider):
    item, *_ = two_providers
    client.force_login(moderator)
    assert client.get(reverse("moderation_samples", args=[provider.slug])).status_code == 403
    assert client.get(reverse("moderation_sample", args=[item.sample_id])).status_code == 403
    assert client.get(reverse("marking_quality", args=[provider.slug])).status_code == 403


def test_another_providers_admin_cannot_draw_or_read_here(client, world, admin, ann, other_provider):
    marked_result(world, first=ann)
    sample = sample_draw(by=admin, provider=world.provider, label="May", rate_percent=100, **MAY)
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    url = reverse("moderation_samples", args=[world.provider.slug])
    assert client.post(url, {"label": "Theirs", **MAY, "rate_percent": "10"}).status_code == 404
    assert client.get(reverse("moderation_sample", args=[sample.pk])).status_code == 404
    assert client.get(reverse("marking_quality", args=[world.provider.slug])).status_code == 404
    assert ModerationSample.objects.count() == 1

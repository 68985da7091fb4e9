"""The provider's assessment pages: a programme's scheme and its rules, a cohort's windows and who has
submitted, who has not, who has an extension and who is late; the extension queue and decisions; eligibility
exceptions. Admins change things; platform staff look; nobody else gets in."""

import datetime
import html
import io
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from assessment import services
from assessment.models import (
    AssessmentScheme,
    AssessmentTask,
    AssessmentWindow,
    Extension,
    SubmissionOverride,
)
from npqel.access import Role
from participants.models import Enrolment
from programmes.models import Programme
from tests.assessment.factories import case_study_place, docx_bytes, make_eligible, upload
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
UK = zoneinfo.ZoneInfo("Europe/London")
D = datetime.date
# case_study_place's window runs from Sunday 22 to Sunday 29 March 2026 (23:59 UK time).
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)
EXTENDED = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=UK)
AFTER = datetime.datetime(2026, 4, 2, 12, 0, tzinfo=UK)
REASON = "My father was taken into hospital on the Friday before the deadline."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


def named(enrolment: Enrolment, name: str) -> Enrolment:
    user = enrolment.participant.user
    user.full_name = name
    user.save(update_fields=["full_name"])
    return enrolment


def place_on(cohort, name: str, *, eligible: bool = True, **fields) -> Enrolment:
    enrolment = EnrolmentFactory(cohort=cohort, participant__user__full_name=name, **fields)
    make_eligible(enrolment, eligible)
    return enrolment


def submit(enrolment: Enrolment, task: AssessmentTask, n_words: int = 1200):
    version = upload(enrolment, task, n_words)
    return services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)


def ask(enrolment: Enrolment, task: AssessmentTask, until: datetime.date, **kwargs) -> Extension:
    return services.extension_request(
        by=enrolment.participant.user, enrolment=enrolment, task=task, reason=REASON, until=until, **kwargs
    )


def text(response) -> str:
    """The page as a person reads it (entities such as &#x27; turned back into characters)."""
    return html.unescape(response.content.decode())


def error_by(page: str, field: str, message: str) -> bool:
    """The message is shown next to the field (GOV.UK error message markup), not only in the summary."""
    found = re.search(rf'<p id="id_{field}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return found is not None and message in found.group(1)


def names_in_order(page: str, names) -> list[str]:
    shown = [name for name in names if f">{name}</a>" in page]
    return sorted(shown, key=lambda name: page.index(f">{name}</a>"))


# A programme's assessment -------------------------------------------------------------------------------


def test_a_programme_without_an_assessment_offers_to_set_up_the_standard_one(client, provider, admin):
    programme = ProgrammeFactory(provider=provider, framework=Programme.Framework.LEGACY, name="NPQEL 2019")
    client.force_login(admin)
    page = text(client.get(reverse("programme_assessment", args=[programme.pk])))
    assert "This programme has no final assessment set up yet" in page
    assert "Set up the standard assessment" in page

    response = client.post(reverse("assessment_scheme_create", args=[programme.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("programme_assessment", args=[programme.pk])
    page = text(response)
    assert "The standard assessment is set up with 2 tasks." in page
    assert "Task 1: sustainable business development strategy" in page
    assert "Task 2: improvement project across three or more schools" in page
    task_one = page[page.index('id="task-1"') : page.index('id="task-2"')]
    for rule in (
        "Up to 4,000 words",
        "Up to 2,000 words, counted separately from the main document",
        "PDF or Word (.docx)",
        "20 MB",
        "Any time the participant chooses, from the day you open the window for their cohort until their own "
        "deadline to present for final assessment",
        "23:59 UK time on their own deadline day (on time up to 23:59:59)",
        "1 attempt",
        "Only participants who meet the engagement requirement, or who have an exception recorded",
    ):
        assert rule in task_one, rule
    # Pressing the button again changes nothing.
    again = client.post(reverse("assessment_scheme_create", args=[programme.pk]), follow=True)
    assert "The assessment was already set up: nothing has changed." in text(again)
    assert AssessmentTask.objects.filter(scheme__programme=programme).count() == 2


def test_the_reformed_case_study_rules_in_plain_english(client, provider, admin):
    _, task, window = case_study_place(provider=provider)
    client.force_login(admin)
    page = text(client.get(reverse("programme_assessment", args=[task.scheme.programme_id])))
    for rule in (
        "Case-study response",
        "Up to 1,500 words",
        "None: everything goes in the main document",
        "A fixed window of 8 days for the whole cohort, opening at 00:00 UK time on the first day you set",
        "23:59 UK time on the last day of the window",
    ):
        assert rule in page, rule
    assert reverse("assessment_task_edit", args=[task.pk]) in page
    # Each cohort with its window.
    assert reverse("cohort_assessment", args=[window.cohort_id]) in page
    assert "22 Mar 2026 to 29 Mar 2026" in page


def test_platform_staff_see_the_rules_but_cannot_change_them(client, provider):
    _, task, _ = case_study_place(provider=provider)
    empty = ProgrammeFactory(provider=provider, code="npqel-next")
    client.force_login(person(Role.PLATFORM_STAFF))
    page = text(client.get(reverse("programme_assessment", args=[task.scheme.programme_id])))
    assert "Up to 1,500 words" in page
    assert reverse("assessment_task_edit", args=[task.pk]) not in page
    page = text(client.get(reverse("programme_assessment", args=[empty.pk])))
    assert (
        "Only the provider's admins can set it up." in page and "Set up the standard assessment" not in page
    )
    assert client.post(reverse("assessment_scheme_create", args=[empty.pk])).status_code == 403
    assert client.get(reverse("assessment_task_edit", args=[task.pk])).status_code == 403
    assert not AssessmentScheme.objects.filter(programme=empty).exists()


def test_changing_a_tasks_rules(client, provider, admin):
    _, task, _ = case_study_place(provider=provider)
    client.force_login(admin)
    url = reverse("assessment_task_edit", args=[task.pk])
    form = text(client.get(url))
    assert 'value="Case-study response"' in form and 'value="1500"' in form and 'value="23:59"' in form
    data = {
        "title": "Case-study response",
        "description": "Answer the case study's questions.",
        "main_word_limit": "1800",
        "appendix_word_limit": "0",
        "file_types": ["pdf"],
        "max_file_mb": "10",
        "window_kind": "fixed",
        "window_days": "8",
        "deadline_time": "17:00",
        "attempts_allowed": "2",
        "eligibility_required": "on",
    }
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("programme_assessment", args=[task.scheme.programme_id])
    page = text(response)
    assert "The rules of Case-study response are saved." in page
    assert (
        "Up to 1,800 words" in page and "17:00 UK time on the last day" in page and "Up to 2 attempts" in page
    )
    task.refresh_from_db()
    assert (task.main_word_limit, task.file_types, task.max_file_mb) == (1800, ["pdf"], 10)
    assert task.deadline_time == datetime.time(17, 0)


def test_bad_rules_are_shown_next_to_the_field(client, provider, admin):
    _, task, _ = case_study_place(provider=provider)
    client.force_login(admin)
    url = reverse("assessment_task_edit", args=[task.pk])
    base = {
        "title": "Case-study response",
        "main_word_limit": "1500",
        "appendix_word_limit": "0",
        "file_types": ["pdf", "docx"],
        "max_file_mb": "20",
        "window_kind": "fixed",
        "window_days": "8",
        "deadline_time": "23:59",
        "attempts_allowed": "1",
    }
    page = text(client.post(url, {**base, "file_types": [], "main_word_limit": "lots"}))
    assert error_by(page, "file_types", "Choose PDF, Word (.docx) or both.")
    assert error_by(page, "main_word_limit", "Enter the word limit for the main document as a whole number.")
    # The cohort has a window for the task, so the service refuses a change of kind: shown by that field.
    page = text(client.post(url, {**base, "window_kind": "chosen"}))
    assert error_by(page, "window_kind", "Cohorts already have windows for this task")
    task.refresh_from_db()
    assert task.window_kind == "fixed"


# A cohort's windows ---------------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2026, 5, 1, 9, 0, tzinfo=UK), tick=False)
def test_opening_a_fixed_window_with_its_case_study(client, provider, admin):
    programme = ProgrammeFactory(provider=provider)
    services.scheme_create_default(by=None, programme=programme)
    cohort = CohortFactory(programme=programme, code="2025-autumn")
    client.force_login(admin)
    page = text(client.get(reverse("cohort_assessment", args=[cohort.pk])))
    assert "Not set yet: participants cannot submit" in page
    url = reverse("assessment_window_set", args=[cohort.pk, 1])
    assert url in page
    assert 'name="case_study"' in text(client.get(url))

    brief = " ".join(["The trust's three schools face falling rolls."] * 300)
    response = client.post(
        url,
        {"opens_on": "2026-06-01", "case_study_title": "Northfield Trust", "case_study": brief},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("cohort_assessment", args=[cohort.pk])
    page = text(response)
    assert (
        "Case-study response for cohort 2025-autumn: the window opens on Monday 1 June 2026 and closes at 23:59 on "
        "Monday 8 June 2026 (UK time)." in page
    )
    assert "Opens at 00:00 on Monday 1 June 2026 (UK time)" in page
    assert "23:59 on Monday 8 June 2026 (UK time)" in page
    assert "Northfield Trust (2100 words)" in page
    window = AssessmentWindow.objects.get(cohort=cohort)
    assert (window.opens_on, window.closes_on) == (D(2026, 6, 1), D(2026, 6, 8))


def test_a_chosen_window_has_no_case_study(client, provider, admin):
    programme = ProgrammeFactory(provider=provider, framework=Programme.Framework.LEGACY)
    services.scheme_create_default(by=None, programme=programme)
    cohort = CohortFactory(programme=programme)
    client.force_login(admin)
    url = reverse("assessment_window_set", args=[cohort.pk, 2])
    assert 'name="case_study"' not in text(client.get(url))
    page = text(client.post(url, {"opens_on": "2026-01-05"}, follow=True))
    assert "the window opens on Monday 5 January 2026; each participant's own deadline closes it" in page
    assert "Each participant's own deadline to present for final assessment, at 23:59 UK time" in page
    assert AssessmentWindow.objects.get(cohort=cohort, task__number=2).closes_on is None


def test_a_window_that_participants_have_used_cannot_move(client, provider, admin):
    with time_machine.travel(DURING, tick=False):
        enrolment, task, window = case_study_place(provider=provider)
        upload(enrolment, task)
        client.force_login(admin)
        url = reverse("assessment_window_set", args=[window.cohort_id, 1])
        page = text(client.post(url, {"opens_on": "2026-04-05"}))
        assert error_by(page, "opens_on", "Participants have already uploaded for this window")
        page = text(client.post(url, {"opens_on": "5 April"}))
        assert error_by(page, "opens_on", "Enter the first day of the window as a real date")
    window.refresh_from_db()
    assert window.opens_on == D(2026, 3, 22)


# Who has submitted ----------------------------------------------------------------------------------------


@pytest.fixture
def cohort_world(provider, admin):
    """Amara submitted on time; Ben uploaded but never submitted; Cara asked for more time and waits; Dev was
    granted until 3 April and submitted on 1 April; Eve did nothing; Fay was granted until 5 April and has
    not submitted yet. Gus withdrew and Hal only applied: neither is listed."""
    with time_machine.travel(DURING, tick=False):
        amara, task, window = case_study_place(provider=provider)
        named(amara, "Amara Okafor")
        cohort = window.cohort
        people = {"Amara Okafor": amara}
        for name in ("Ben Hughes", "Cara Lewis", "Dev Patel", "Eve Smith", "Fay Wong"):
            people[name] = place_on(cohort, name)
        place_on(cohort, "Gus Withdrawn", status=Enrolment.Status.WITHDRAWN)
        place_on(cohort, "Hal Applied", status=Enrolment.Status.APPLIED)
        receipt = submit(amara, task, 1200)
        upload(people["Ben Hughes"], task, 900)
        ask(people["Cara Lewis"], task, D(2026, 4, 6))
        for name, until in (("Dev Patel", D(2026, 4, 3)), ("Fay Wong", D(2026, 4, 5))):
            request = ask(people[name], task, until)
            services.extension_decide(by=admin, extension=request, grant=True, new_deadline=until)
    with time_machine.travel(EXTENDED, tick=False):
        late_receipt = submit(people["Dev Patel"], task, 1400)
    return {
        "cohort": cohort,
        "task": task,
        "people": people,
        "receipt": receipt,
        "late_receipt": late_receipt,
    }


def cohort_page(client, cohort, query: str = "") -> str:
    response = client.get(reverse("cohort_assessment", args=[cohort.pk]) + query)
    assert response.status_code == 200
    return text(response)


def row_of(page: str, name: str) -> str:
    start = page.index(f">{name}</a>")
    return page[start : page.index("</tr>", start)]


@time_machine.travel(AFTER, tick=False)
def test_the_cohort_page_shows_who_has_submitted_who_has_not_and_who_is_late(client, admin, cohort_world):
    client.force_login(admin)
    page = cohort_page(client, cohort_world["cohort"])
    people = cohort_world["people"]
    assert "2 submitted, 1 not yet, 3 late, 3 with an extension." in page
    assert names_in_order(page, [*people, "Gus Withdrawn", "Hal Applied"]) == list(people)
    assert "23:59 on Sunday 29 March 2026 (UK time), unless someone has an extension" in page

    amara = row_of(page, "Amara Okafor")
    receipt = cohort_world["receipt"]
    stored = receipt.version.files.get()
    assert "Submitted on time" in amara and "25 Mar 2026, 20:00" in amara and "1200" in amara
    assert receipt.submission.candidate_number in amara
    assert reverse("receipt_detail", args=[receipt.reference]) in amara
    assert reverse("submission_file_download", args=[stored.pk]) in amara
    assert "23:59 on 29 Mar 2026" in amara

    dev = row_of(page, "Dev Patel")
    assert "Submitted under an extension" in dev and "1 Apr 2026, 10:00" in dev
    assert "Granted until 3 Apr 2026" in dev and "23:59 on 3 Apr 2026" in dev and "extended" in dev

    ben = row_of(page, "Ben Hughes")
    assert "Late: uploaded, not submitted" in ben and "900" in ben and "Receipt" not in ben
    cara = row_of(page, "Cara Lewis")
    request = Extension.objects.get(enrolment=people["Cara Lewis"])
    assert "Late: nothing submitted" in cara and "Asked until 6 Apr 2026" in cara
    assert reverse("extension_decide", args=[request.pk]) in cara
    assert "Late: nothing submitted" in row_of(page, "Eve Smith")
    fay = row_of(page, "Fay Wong")
    assert "Nothing uploaded yet" in fay and "Granted until 5 Apr 2026" in fay and "Late" not in fay

    # Both downloads, candidate numbers first.
    by_number = reverse("cohort_scripts_zip", args=[cohort_world["cohort"].pk, 1])
    assert page.index(f'href="{by_number}"') < page.index(f'href="{by_number}?names=1"')


@pytest.mark.parametrize(
    ("show", "expected"),
    [
        ("submitted", ["Amara Okafor", "Dev Patel"]),
        ("not_submitted", ["Ben Hughes", "Cara Lewis", "Eve Smith", "Fay Wong"]),
        ("extension", ["Cara Lewis", "Dev Patel", "Fay Wong"]),
        ("late", ["Ben Hughes", "Cara Lewis", "Eve Smith"]),
        ("asleep", ["Amara Okafor", "Ben Hughes", "Cara Lewis", "Dev Patel", "Eve Smith", "Fay Wong"]),
    ],
)
@time_machine.travel(AFTER, tick=False)
def test_the_cohort_page_filters(client, admin, cohort_world, show, expected):
    client.force_login(admin)
    page = cohort_page(client, cohort_world["cohort"], f"?show={show}")
    assert names_in_order(page, cohort_world["people"]) == expected
    # The counts are always of everyone.
    assert "2 submitted, 1 not yet, 3 late, 3 with an extension." in page


@time_machine.travel(AFTER, tick=False)
def test_platform_staff_see_the_cohort_but_change_nothing(client, cohort_world):
    client.force_login(person(Role.PLATFORM_STAFF))
    page = cohort_page(client, cohort_world["cohort"])
    assert "2 submitted, 1 not yet, 3 late, 3 with an extension." in page
    assert reverse("assessment_window_set", args=[cohort_world["cohort"].pk, 1]) not in page
    assert "/decide/" not in page
    assert (
        client.get(reverse("assessment_window_set", args=[cohort_world["cohort"].pk, 1])).status_code == 403
    )


def test_a_place_that_cannot_submit_yet_is_marked_with_a_link_to_its_exception(client, provider, admin):
    with time_machine.travel(DURING, tick=False):
        enrolment, _, window = case_study_place(provider=provider, eligible=False)
        named(enrolment, "Ivy Ineligible")
        client.force_login(admin)
        row = row_of(cohort_page(client, window.cohort), "Ivy Ineligible")
    assert "Not eligible yet" in row and reverse("assessment_exception", args=[enrolment.pk]) in row


def test_a_chosen_window_closes_at_each_participants_own_deadline(client, provider, admin):
    programme = ProgrammeFactory(provider=provider, framework=Programme.Framework.LEGACY, deadline_months=18)
    services.scheme_create_default(by=None, programme=programme)
    cohort = CohortFactory(programme=programme, start_date=D(2025, 1, 6), end_date=D(2026, 6, 30))
    place_on(cohort, "Early Starter")
    place_on(cohort, "Late Starter", start_date=D(2025, 3, 3))
    with time_machine.travel(DURING, tick=False):
        client.force_login(admin)
        client.post(reverse("assessment_window_set", args=[cohort.pk, 1]), {"opens_on": "2026-01-05"})
        page = cohort_page(client, cohort)
    task_one = page[page.index('id="task-1"') : page.index('id="task-2"')]
    assert "23:59 on 6 Jul 2026" in row_of(task_one, "Early Starter")
    assert "23:59 on 3 Sep 2026" in row_of(task_one, "Late Starter")
    assert "Nothing uploaded yet" in row_of(task_one, "Early Starter")
    # Task 2 has no window yet.
    assert "Window not set" in row_of(page[page.index('id="task-2"') :], "Late Starter")


def test_a_newer_upload_after_submitting_is_pointed_out(client, provider, admin):
    with time_machine.travel(DURING, tick=False):
        enrolment, task, window = case_study_place(provider=provider)
        named(enrolment, "Amara Okafor")
        receipt = submit(enrolment, task, 1200)
        upload(enrolment, task, 1300)
        client.force_login(admin)
        row = row_of(cohort_page(client, window.cohort), "Amara Okafor")
    assert "Submitted on time (a newer upload is not submitted)" in row
    # The words, files and receipt are of the version submitted.
    assert "1200" in row and "1300" not in row
    assert reverse("submission_file_download", args=[receipt.version.files.get().pk]) in row


def test_before_any_window_the_cohort_page_says_so(client, provider, admin):
    programme = ProgrammeFactory(provider=provider)
    cohort = CohortFactory(programme=programme)
    client.force_login(admin)
    assert "has no final assessment set up yet" in cohort_page(client, cohort)
    services.scheme_create_default(by=None, programme=programme)
    place_on(cohort, "Jo Early")
    page = cohort_page(client, cohort)
    assert "Window not set" in row_of(page, "Jo Early")
    assert "0 submitted, 1 not yet, 0 late, 0 with an extension." in page


def test_the_cohort_page_takes_the_same_queries_for_three_places_as_for_fifteen(
    client, provider, admin, django_assert_num_queries
):
    with time_machine.travel(DURING, tick=False):
        first, task, window = case_study_place(provider=provider)
        cohort = window.cohort
        cohort.programme.extensions.create(applies_from=D(2018, 7, 1), months=24)

        def grow(n: int) -> None:
            for i in range(n):
                enrolment = place_on(cohort, f"Person {Enrolment.objects.count()}", eligible=i % 3 != 2)
                if i % 3 == 0:
                    submit(enrolment, task, 800)
                elif i % 3 == 1:
                    upload(enrolment, task, 700)
                if i % 2 == 0:
                    ask(enrolment, task, D(2026, 4, 10))

        client.force_login(admin)
        url = reverse("cohort_assessment", args=[cohort.pk])
        grow(2)
        with django_assert_num_queries(16):
            assert client.get(url).status_code == 200
        grow(12)
        with django_assert_num_queries(16):
            response = client.get(url)
    assert text(response).count("Person ") >= 14


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.PROVIDER_ADMIN, 200),
        (Role.PLATFORM_STAFF, 200),
        (Role.FACILITATOR, 403),
        (Role.COACH, 403),
        (Role.ASSESSOR, 403),
        (Role.MODERATOR, 403),
        (Role.PARTICIPANT, 403),
    ],
)
def test_only_admins_and_platform_staff_open_the_assessment_pages(client, provider, role, status):
    enrolment, task, window = case_study_place(provider=provider)
    client.force_login(person(role, provider))
    for url in (
        reverse("programme_assessment", args=[task.scheme.programme_id]),
        reverse("cohort_assessment", args=[window.cohort_id]),
        reverse("extension_queue", args=[provider.slug]),
        reverse("assessment_exception", args=[enrolment.pk]),
    ):
        assert client.get(url).status_code == status, url


def test_another_providers_admin_gets_not_found(client, provider, other_provider):
    enrolment, task, window = case_study_place(provider=provider)
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    for url in (
        reverse("programme_assessment", args=[task.scheme.programme_id]),
        reverse("assessment_task_edit", args=[task.pk]),
        reverse("cohort_assessment", args=[window.cohort_id]),
        reverse("assessment_window_set", args=[window.cohort_id, 1]),
        reverse("extension_queue", args=[provider.slug]),
        reverse("assessment_exception", args=[enrolment.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_programme_cohort_and_record_pages_link_to_the_assessment_pages(client, provider):
    enrolment, task, window = case_study_place(provider=provider)
    programme_id = task.scheme.programme_id
    links = {
        "programme_detail": (programme_id, reverse("programme_assessment", args=[programme_id])),
        "cohort_detail": (window.cohort_id, reverse("cohort_assessment", args=[window.cohort_id])),
    }
    for role, shown in ((Role.PROVIDER_ADMIN, True), (Role.PLATFORM_STAFF, True), (Role.FACILITATOR, False)):
        client.force_login(person(role, provider))
        for name, (pk, link) in links.items():
            assert (link in text(client.get(reverse(name, args=[pk])))) is shown, (role, name)
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    record = text(client.get(reverse("enrolment_detail", args=[enrolment.pk])))
    assert reverse("assessment_exception", args=[enrolment.pk]) in record


# Extensions ---------------------------------------------------------------------------------------------


@pytest.fixture
def requests(provider, admin):
    """Two requests waiting (Cara's first, with evidence) and one already refused."""
    with time_machine.travel(DURING, tick=False):
        cara, task, window = case_study_place(provider=provider)
        named(cara, "Cara Lewis")
        ben = place_on(window.cohort, "Ben Hughes")
        eve = place_on(window.cohort, "Eve Smith")
        evidence = docx_bytes(60)
        first = ask(cara, task, D(2026, 4, 6), evidence=io.BytesIO(evidence), evidence_name="GP letter.docx")
    with time_machine.travel(DURING + datetime.timedelta(hours=1), tick=False):
        second = ask(ben, task, D(2026, 4, 2))
        refused = ask(eve, task, D(2026, 4, 20))
        services.extension_decide(
            by=admin, extension=refused, grant=False, note="Work pressure is not a reason."
        )
    return {"task": task, "first": first, "second": second, "refused": refused, "evidence": evidence}


@time_machine.travel(DURING + datetime.timedelta(hours=2), tick=False)
def test_the_queue_lists_waiting_requests_oldest_first_then_decisions(client, provider, admin, requests):
    client.force_login(admin)
    page = text(client.get(reverse("extension_queue", args=[provider.slug])))
    assert "2 requests, oldest first." in page
    waiting = page[: page.index("Recent decisions")]
    assert waiting.index("Cara Lewis") < waiting.index("Ben Hughes")
    cara = waiting[waiting.index('id="request-') : waiting.index("Ben Hughes")]
    assert "Case-study response" in cara and "23:59 on 29 Mar 2026" in cara and "6 Apr 2026" in cara
    assert REASON in cara and "Evidence: GP letter.docx" in cara
    assert reverse("extension_evidence", args=[requests["first"].pk]) in cara
    assert reverse("extension_decide", args=[requests["first"].pk]) in cara
    decided = page[page.index("Recent decisions") :]
    assert "Eve Smith" in decided and "Refused" in decided and "Work pressure is not a reason." in decided


@time_machine.travel(DURING + datetime.timedelta(hours=2), tick=False)
def test_platform_staff_see_the_queue_but_cannot_decide_or_open_evidence(client, provider, requests):
    client.force_login(person(Role.PLATFORM_STAFF))
    page = text(client.get(reverse("extension_queue", args=[provider.slug])))
    assert "Cara Lewis" in page and "Only the provider's admins decide them." in page
    assert "/decide/" not in page and "/evidence/" not in page
    assert client.get(reverse("extension_decide", args=[requests["first"].pk])).status_code == 403
    assert client.get(reverse("extension_evidence", args=[requests["first"].pk])).status_code == 403


@time_machine.travel(DURING + datetime.timedelta(hours=2), tick=False)
def test_granting_a_request_with_the_day_they_asked_for(client, provider, admin, requests):
    client.force_login(admin)
    url = reverse("extension_decide", args=[requests["first"].pk])
    form = text(client.get(url))
    assert 'value="2026-04-06"' in form  # prefilled with what they asked
    assert "23:59 on Sunday 29 March 2026 (UK time)" in form and REASON in form
    response = client.post(url, {"decision": "grant", "new_deadline": "2026-04-06", "note": ""}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("extension_queue", args=[provider.slug])
    assert (
        "Cara Lewis has more time on Case-study response: their deadline is now 23:59 on Monday 6 April 2026 "
        "(UK time)." in text(response)
    )
    request = Extension.objects.get(pk=requests["first"].pk)
    assert (request.status, request.new_deadline, request.decided_by) == ("granted", D(2026, 4, 6), admin)
    # Decided: the page says so and offers no form; a second decision is refused.
    page = text(client.get(url))
    assert "This request has been granted: their new last day is Monday 6 April 2026" in page
    again = text(client.post(url, {"decision": "refuse", "note": "No."}))
    assert "This request has already been granted." in again


@time_machine.travel(DURING + datetime.timedelta(hours=2), tick=False)
def test_a_refusal_needs_a_note_and_a_grant_a_later_day(client, provider, admin, requests):
    client.force_login(admin)
    url = reverse("extension_decide", args=[requests["second"].pk])
    page = text(client.post(url, {"decision": "refuse", "note": " "}))
    assert error_by(page, "note", "Say why, in a sentence or two.")
    page = text(client.post(url, {"decision": "grant", "new_deadline": "2026-03-28"}))
    assert error_by(
        page, "new_deadline", "The new deadline must be after the current one (Sunday 29 March 2026)."
    )
    page = text(client.post(url, {}))
    assert error_by(page, "decision", "Choose whether to grant or refuse the request.")
    assert Extension.objects.get(pk=requests["second"].pk).status == "requested"

    response = client.post(url, {"decision": "refuse", "note": "The deadline can be met."}, follow=True)
    assert "Ben Hughes's request for more time on Case-study response is refused." in text(response)
    assert Extension.objects.get(pk=requests["second"].pk).decision_note == "The deadline can be met."


def test_evidence_opens_for_the_admin_and_the_participant_only(
    client, provider, other_provider, admin, requests
):
    url = reverse("extension_evidence", args=[requests["first"].pk])
    cara = requests["first"].enrolment.participant.user
    for user in (admin, cara):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == requests["evidence"]
        assert response["Content-Disposition"] == 'attachment; filename="GP letter.docx"'
    for user, status in (
        (requests["second"].enrolment.participant.user, 404),  # another participant of the cohort
        (person(Role.PROVIDER_ADMIN, other_provider), 404),
        (person(Role.FACILITATOR, provider), 403),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status
    # A request without evidence has nothing to open.
    client.force_login(admin)
    assert client.get(reverse("extension_evidence", args=[requests["second"].pk])).status_code == 404


def test_the_queue_takes_the_same_queries_however_many_requests(
    client, provider, admin, django_assert_num_queries
):
    with time_machine.travel(DURING, tick=False):
        first, task, window = case_study_place(provider=provider)

        def grow(n: int) -> None:
            for _ in range(n):
                enrolment = place_on(window.cohort, f"Person {Enrolment.objects.count()}")
                ask(enrolment, task, D(2026, 4, 10))
                decided = ask(place_on(window.cohort, "Decided"), task, D(2026, 4, 9))
                services.extension_decide(by=admin, extension=decided, grant=True, new_deadline=D(2026, 4, 9))

        client.force_login(admin)
        url = reverse("extension_queue", args=[provider.slug])
        grow(1)
        with django_assert_num_queries(11):
            assert client.get(url).status_code == 200
        grow(8)
        with django_assert_num_queries(11):
            assert client.get(url).status_code == 200


# Eligibility exceptions ---------------------------------------------------------------------------------


def test_recording_and_taking_back_an_exception(client, provider, admin):
    enrolment, task, _ = case_study_place(provider=provider, eligible=False)
    named(enrolment, "Ivy Ineligible")
    client.force_login(admin)
    url = reverse("assessment_exception", args=[enrolment.pk])
    page = text(client.get(url))
    assert "Not yet" in page and "0% of the programme" in page
    assert "To submit Case-study response, a participant must meet the engagement requirement" in page
    assert "No exception has been recorded." in page

    page = text(client.post(url, {"reason": ""}))
    assert error_by(page, "reason", "Say why they may submit without meeting the engagement requirement.")
    assert not SubmissionOverride.objects.exists()

    response = client.post(url, {"reason": "Missed three sessions through a bereavement."}, follow=True)
    assert response.redirect_chain[-1][0] == url
    page = text(response)
    assert "Ivy Ineligible may now submit without meeting the engagement requirement." in page
    assert "In force" in page and "Missed three sessions through a bereavement." in page
    assert services.is_eligible(enrolment)

    response = client.post(reverse("assessment_exception_revoke", args=[enrolment.pk]), follow=True)
    page = text(response)
    assert "The exception is taken back: Ivy Ineligible may submit only once they meet" in page
    assert "Record an exception" in page and html.escape(admin.display_name) in page
    assert SubmissionOverride.objects.get().revoked_by == admin
    assert not services.is_eligible(enrolment)
    # Nothing left to take back.
    again = client.post(reverse("assessment_exception_revoke", args=[enrolment.pk]), follow=True)
    assert "Ivy Ineligible has no exception to take back." in text(again)


def test_platform_staff_see_exceptions_but_cannot_record_one(client, provider):
    enrolment, _, _ = case_study_place(provider=provider, eligible=False)
    client.force_login(person(Role.PLATFORM_STAFF))
    url = reverse("assessment_exception", args=[enrolment.pk])
    page = text(client.get(url))
    assert "Only the provider's admins can record or take back an exception." in page
    assert 'name="reason"' not in page
    assert client.post(url, {"reason": "Because."}).status_code == 403
    assert client.post(reverse("assessment_exception_revoke", args=[enrolment.pk])).status_code == 403
    assert not SubmissionOverride.objects.exists()

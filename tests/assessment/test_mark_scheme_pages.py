"""A task's mark scheme as its provider sets it (assessment/mark_schemes.py, assessment/views/mark_scheme.py):
the page in plain English, setting up the standard scheme, changing the settings, criteria and omissions, the
rules that keep the pass mark and band inside the marks the criteria give, and what stays fixed once scripts
are marked. Admins change it; platform staff look; nobody else gets in."""

import html
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessment import mark_schemes, services
from assessment.marking import mark_scheme_create_default, marking_save
from assessment.models import AssessmentTask, Criterion, MarkScheme, Omission
from assessment.outcomes import Outcome, outcome_of
from npqel.access import Role
from npqel.errors import DomainError
from programmes.models import ContentArea, LearningStatement
from tests.assessment.factories import case_study_place
from tests.assessment.marking_setup import MARKS, allocate, mark, marking_cohort
from tests.people import person
from tests.programmes.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

# Session, user, roles (1), second factor, the task, criteria, their statements, omissions, marking started.
PAGE_QUERIES = 9
FORM_QUERIES = 8


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin(provider):
    return person(Role.PROVIDER_ADMIN, provider)


@pytest.fixture
def task(provider) -> AssessmentTask:
    """The case-study task of a reformed programme, with its standard mark scheme."""
    _, task, _ = case_study_place(provider=provider)
    mark_scheme_create_default(by=None, task=task)
    return AssessmentTask.objects.select_related("mark_scheme", "scheme__programme").get(pk=task.pk)


def scheme_of(task: AssessmentTask) -> MarkScheme:
    return MarkScheme.objects.get(task=task)


def text(response) -> str:
    """The page as a person reads it (entities such as &#x27; turned back into characters)."""
    return html.unescape(response.content.decode())


def error_by(page: str, field: str, message: str) -> bool:
    """The message is shown next to the field (GOV.UK error message markup), not only in the summary."""
    found = re.search(rf'<p id="id_{field}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    return found is not None and message in found.group(1)


def statement(programme, area_title: str, words: str, kind=LearningStatement.Kind.LEARN_THAT):
    area, _ = ContentArea.objects.get_or_create(programme=programme, title=area_title)
    return LearningStatement.objects.create(area=area, kind=kind, text=words)


def settings_data(scheme: MarkScheme, **changes) -> dict[str, object]:
    data = {
        "pass_mark": scheme.pass_mark,
        "borderline_margin": scheme.borderline_margin,
        "second_marking_pass_percent": scheme.second_marking_pass_percent,
        "review_days": scheme.review_days,
        "resubmission_days": scheme.resubmission_days,
        "guidance": scheme.guidance,
    }
    return {**data, **changes}


def update(scheme: MarkScheme, by, **changes) -> MarkScheme:
    return mark_schemes.mark_scheme_update(by=by, scheme=scheme, **settings_data(scheme, **changes))


def criterion_data(**changes) -> dict[str, object]:
    return {
        "title": "Evaluation",
        "descriptors": "0–2: asserted. 3–5: evidenced and honest about what did not work.",
        "min_mark": 0,
        "max_mark": 5,
        **changes,
    }


def decide(scheme: MarkScheme, marks: list[int], ticked: set[int] = frozenset()) -> Outcome:
    criteria = list(scheme.criteria.order_by("number"))
    return outcome_of(
        scheme,
        criteria=criteria,
        omissions=list(scheme.omissions.all()),
        marks={c.pk: m for c, m in zip(criteria, marks, strict=True)},
        ticked=set(ticked),
    ).outcome


def marked_task(provider):
    """A cohort's task with one script's first marking submitted (what decides outcomes is then fixed)."""
    setup = marking_cohort(provider, 1, second_share=0)
    mark(allocate(setup.scripts[0], setup.assessors[0]), "pass")
    return setup


# The page ----------------------------------------------------------------------------------------------------


def test_the_page_shows_the_standard_scheme_in_plain_english(client, provider, admin, task):
    client.force_login(admin)
    page = text(client.get(reverse("mark_scheme", args=[task.pk])))
    assert "Mark scheme: Case-study response" in page
    assert "20 out of 40" in page
    assert "18 to 21 is borderline: below 18 fails, 22 or more passes." in page
    assert "A script that leaves out a failure-level omission fails, whatever its marks." in page
    assert "Every fail and borderline script is second-marked, and 10% of passes, picked at random." in page
    assert "A participant may ask for a review up to 14 days after their result is released." in page
    assert "90 days after a fail, but this task allows 1 attempt, so nobody resubmits." in page
    assert "Mark positively: credit what is relevant and justified" in page
    assert "4 criteria, 40 marks in all." in page
    for title in (
        "1. Identifies the problems (0 to 10 marks)",
        "2. Selects and justifies solutions (0 to 10 marks)",
        "3. Implementation (0 to 10 marks)",
        "4. Working with others and governance (0 to 10 marks)",
    ):
        assert title in page, title
    assert "8–10: prioritises the problems convincingly" in page
    assert (
        "1. The stages of implementation" in page and "2. Any justification of the chosen solutions" in page
    )
    for name in ("mark_scheme_edit", "mark_scheme_criterion_add", "mark_scheme_omission_add"):
        assert reverse(name, args=[task.pk]) in page, name
    for criterion in scheme_of(task).criteria.all():
        assert reverse("mark_scheme_criterion_edit", args=[criterion.pk]) in page
    for omission in scheme_of(task).omissions.all():
        assert reverse("mark_scheme_omission_remove", args=[omission.pk]) in page


def test_a_task_with_more_attempts_says_how_long_participants_have_to_resubmit(client, provider, admin, task):
    AssessmentTask.objects.filter(pk=task.pk).update(attempts_allowed=2)
    update(scheme_of(task), admin, resubmission_days=60, second_marking_pass_percent=0)
    client.force_login(admin)
    page = text(client.get(reverse("mark_scheme", args=[task.pk])))
    assert (
        "After a fail, with an attempt left, a participant has 60 days from the release of their result to "
        "resubmit." in page
    )
    assert "Every fail and borderline script is second-marked; passes are not." in page


def test_a_task_without_a_mark_scheme_offers_to_set_up_the_standard_one(client, provider, admin):
    _, task, _ = case_study_place(provider=provider)
    client.force_login(admin)
    url = reverse("mark_scheme", args=[task.pk])
    page = text(client.get(url))
    assert "This task has no mark scheme yet, so its scripts cannot be marked." in page
    assert "Set up the standard mark scheme" in page

    response = client.post(reverse("mark_scheme_create", args=[task.pk]), follow=True)
    assert response.redirect_chain[-1][0] == url
    page = text(response)
    assert "The standard mark scheme of Case-study response is set up with 4 criteria." in page
    assert "18 to 21 is borderline" in page
    # Pressing it again changes nothing.
    again = text(client.post(reverse("mark_scheme_create", args=[task.pk]), follow=True))
    assert "Case-study response already has a mark scheme: nothing has changed." in again
    assert MarkScheme.objects.filter(task=task).count() == 1
    assert Criterion.objects.filter(scheme__task=task).count() == 4


def test_the_page_reads_in_a_fixed_number_of_queries(
    client, provider, admin, task, django_assert_num_queries
):
    scheme = scheme_of(task)
    programme = task.scheme.programme
    first = statement(programme, "Implementation", "implementation is a process, not an event")
    for criterion in scheme.criteria.all():
        criterion.statements.add(first)
    client.force_login(admin)
    url = reverse("mark_scheme", args=[task.pk])
    client.get(url)  # the session and roles settle
    with django_assert_num_queries(PAGE_QUERIES):
        client.get(url)
    # More criteria, statements and omissions: the same number of queries.
    update(scheme, admin, pass_mark=30)
    for n in range(3):
        added = mark_schemes.criterion_save(
            by=admin,
            scheme=scheme,
            **criterion_data(title=f"Extra {n}"),
            statement_ids=[statement(programme, f"Area {n}", f"extra statement {n}").pk, first.pk],
        )
        assert added.number == 5 + n
        mark_schemes.omission_add(by=admin, scheme=scheme, text=f"Omission {n}")
    with django_assert_num_queries(PAGE_QUERIES):
        page = text(client.get(url))
    assert "7 criteria, 55 marks in all." in page
    assert page.count("Implementation: Learn that implementation is a process, not an event") == 7
    assert "Area 2: Learn that extra statement 2" in page
    assert "5. Omission 2" in page


def test_the_criterion_form_reads_in_a_fixed_number_of_queries(
    client, admin, task, django_assert_num_queries
):
    programme = task.scheme.programme
    linked = statement(programme, "Implementation", "implementation is a process, not an event")
    criterion = scheme_of(task).criteria.get(number=1)
    criterion.statements.add(linked)
    client.force_login(admin)
    url = reverse("mark_scheme_criterion_edit", args=[criterion.pk])
    client.get(url)
    # Session, user, roles (1), second factor, the criterion, marking started, statements, those linked.
    with django_assert_num_queries(FORM_QUERIES):
        client.get(url)
    for n in range(4):
        criterion.statements.add(statement(programme, f"Area {n}", f"extra statement {n}"))
    with django_assert_num_queries(FORM_QUERIES):
        page = text(client.get(url))
    assert page.count('type="checkbox"') == 5 and page.count(" checked") == 5


# Who may see and change it ----------------------------------------------------------------------------------


def test_platform_staff_see_the_scheme_but_cannot_change_it(client, provider, task):
    bare = services.scheme_create_default(
        by=None, programme=ProgrammeFactory(provider=provider, code="npqel-next")
    ).tasks.get(number=1)
    scheme = scheme_of(task)
    criterion, omission = scheme.criteria.first(), scheme.omissions.first()
    client.force_login(person(Role.PLATFORM_STAFF))
    page = text(client.get(reverse("mark_scheme", args=[task.pk])))
    assert "18 to 21 is borderline" in page
    assert reverse("mark_scheme_edit", args=[task.pk]) not in page
    assert reverse("mark_scheme_criterion_edit", args=[criterion.pk]) not in page
    assert reverse("mark_scheme_omission_remove", args=[omission.pk]) not in page
    page = text(client.get(reverse("mark_scheme", args=[bare.pk])))
    assert (
        "Only the provider's admins can set it up." in page and "Set up the standard mark scheme" not in page
    )
    refused = [
        client.post(reverse("mark_scheme_create", args=[bare.pk])),
        client.get(reverse("mark_scheme_edit", args=[task.pk])),
        client.post(reverse("mark_scheme_edit", args=[task.pk]), settings_data(scheme, pass_mark=25)),
        client.get(reverse("mark_scheme_criterion_add", args=[task.pk])),
        client.get(reverse("mark_scheme_criterion_edit", args=[criterion.pk])),
        client.post(reverse("mark_scheme_criterion_remove", args=[criterion.pk])),
        client.get(reverse("mark_scheme_omission_add", args=[task.pk])),
        client.post(reverse("mark_scheme_omission_remove", args=[omission.pk])),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert not MarkScheme.objects.filter(task=bare).exists()
    assert (scheme_of(task).pass_mark, scheme.criteria.count(), scheme.omissions.count()) == (20, 4, 2)


@pytest.mark.parametrize(
    "role", [Role.ASSESSOR, Role.FACILITATOR, Role.COACH, Role.PARTICIPANT, Role.MODERATOR]
)
def test_other_roles_are_refused(client, provider, task, role):
    client.force_login(person(role, provider))
    assert client.get(reverse("mark_scheme", args=[task.pk])).status_code == 403
    assert client.get(reverse("mark_scheme_edit", args=[task.pk])).status_code == 403


def test_another_providers_admin_gets_404_and_changes_nothing(client, other_provider, task):
    scheme = scheme_of(task)
    criterion, omission = scheme.criteria.first(), scheme.omissions.first()
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    answers = [
        client.get(reverse("mark_scheme", args=[task.pk])),
        client.post(reverse("mark_scheme_edit", args=[task.pk]), settings_data(scheme, pass_mark=25)),
        client.post(reverse("mark_scheme_criterion_edit", args=[criterion.pk]), criterion_data()),
        client.post(reverse("mark_scheme_criterion_remove", args=[criterion.pk])),
        client.post(reverse("mark_scheme_omission_add", args=[task.pk]), {"text": "Anything"}),
        client.post(reverse("mark_scheme_omission_remove", args=[omission.pk])),
    ]
    assert [r.status_code for r in answers] == [404] * len(answers)
    assert (scheme_of(task).pass_mark, scheme.criteria.count(), scheme.omissions.count()) == (20, 4, 2)


def test_the_services_refuse_anyone_but_the_providers_admins(provider, other_provider, task):
    scheme = scheme_of(task)
    for user in (
        person(Role.ASSESSOR, provider),
        person(Role.PLATFORM_STAFF),
        person(Role.PROVIDER_ADMIN, other_provider),
    ):
        with pytest.raises(PermissionDenied):
            update(scheme, user, pass_mark=25)
        with pytest.raises(PermissionDenied):
            mark_schemes.omission_add(by=user, scheme=scheme, text="Anything")
        with pytest.raises(PermissionDenied):
            mark_schemes.criterion_remove(by=user, criterion=scheme.criteria.first())
    assert scheme_of(task).pass_mark == 20


# The settings -------------------------------------------------------------------------------------------------


def test_changing_the_settings_changes_outcomes(client, admin, task):
    scheme = scheme_of(task)
    borderline = MARKS["borderline"]  # 20 of 40
    assert decide(scheme, borderline) == Outcome.BORDERLINE
    client.force_login(admin)
    url = reverse("mark_scheme_edit", args=[task.pk])
    form = text(client.get(url))
    assert 'value="20"' in form and "Now: 18 to 21 is borderline" in form
    response = client.post(
        url,
        settings_data(
            scheme,
            pass_mark=24,
            borderline_margin=3,
            second_marking_pass_percent=25,
            review_days=21,
            guidance="Read the whole script before giving any mark.",
        ),
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("mark_scheme", args=[task.pk])
    page = text(response)
    assert "The mark scheme of Case-study response is saved." in page
    assert "21 to 26 is borderline: below 21 fails, 27 or more passes." in page
    assert "and 25% of passes, picked at random" in page
    assert "up to 21 days after their result is released" in page
    assert "Read the whole script before giving any mark." in page
    scheme = scheme_of(task)
    assert decide(scheme, borderline) == Outcome.FAIL
    assert decide(scheme, [6, 6, 6, 6]) == Outcome.BORDERLINE
    assert decide(scheme, [7, 7, 7, 6]) == Outcome.PASS
    # No band at all: the pass mark alone decides.
    update(scheme, admin, pass_mark=20, borderline_margin=0)
    assert decide(scheme_of(task), borderline) == Outcome.PASS
    assert decide(scheme_of(task), [5, 5, 5, 4]) == Outcome.FAIL


def test_bad_settings_are_shown_next_to_the_field(client, admin, task):
    scheme = scheme_of(task)
    client.force_login(admin)
    url = reverse("mark_scheme_edit", args=[task.pk])
    page = text(client.post(url, settings_data(scheme, pass_mark=41)))
    assert error_by(page, "pass_mark", "The pass mark must be between 1 and 40, the most a script can score.")
    page = text(client.post(url, settings_data(scheme, pass_mark=38, borderline_margin=3)))
    assert error_by(
        page,
        "borderline_margin",
        "With a pass mark of 38, a margin of 3 would make 35 to 40 borderline, so no script could pass "
        "outright: the most a script can score is 40. Make the margin 2 or less, or the pass mark lower.",
    )
    page = text(client.post(url, settings_data(scheme, second_marking_pass_percent=101, review_days="")))
    assert error_by(
        page, "second_marking_pass_percent", "Enter the share of passes second-marked as 100 or fewer."
    )
    assert error_by(page, "review_days", "Enter the days to ask for a review.")
    assert scheme_of(task).pass_mark == 20


def test_the_pass_mark_and_band_must_fit_inside_the_marks(admin, task):
    scheme = scheme_of(task)
    with pytest.raises(DomainError, match="between 1 and 40, the most a script can score") as error:
        update(scheme, admin, pass_mark=0)
    assert error.value.field == "pass_mark"
    with pytest.raises(DomainError, match="would start the borderline band at -1, below 0") as error:
        update(scheme, admin, pass_mark=3, borderline_margin=4)
    assert error.value.field == "borderline_margin"
    with pytest.raises(DomainError, match="Make the margin 0 or less, or the pass mark lower"):
        update(scheme, admin, pass_mark=40, borderline_margin=1)
    with pytest.raises(DomainError, match="a percentage from 0 to 100") as error:
        update(scheme, admin, second_marking_pass_percent=101)
    assert error.value.field == "second_marking_pass_percent"
    with pytest.raises(DomainError, match="from 1 to 365 days to ask for a review"):
        update(scheme, admin, review_days=0)
    with pytest.raises(DomainError, match="from 1 to 730 days to resubmit after a fail"):
        update(scheme, admin, resubmission_days=1000)
    # The edges fit: the best script passes outright, the band starts at 0.
    assert update(scheme, admin, pass_mark=38, borderline_margin=2).pass_from == 40
    assert update(scheme, admin, pass_mark=2, borderline_margin=2).borderline_from == 0
    assert update(scheme, admin, second_marking_pass_percent=100).second_marking_pass_percent == 100


# Criteria -----------------------------------------------------------------------------------------------------


def test_adding_a_criterion_with_its_content_statements(client, admin, task):
    programme = task.scheme.programme
    evidence = statement(programme, "Implementation", "implementation is a process, not an event")
    practice = statement(
        programme,
        "Implementation",
        "plan the stages of implementation",
        kind=LearningStatement.Kind.LEARN_HOW,
    )
    governance = statement(programme, "Governance and Accountability", "boards hold leaders to account")
    elsewhere = statement(
        ProgrammeFactory(provider=programme.provider, code="other"), "Elsewhere", "another programme's"
    )
    client.force_login(admin)
    url = reverse("mark_scheme_criterion_add", args=[task.pk])
    form = text(client.get(url))
    assert "Implementation" in form and "Governance and Accountability" in form
    assert "Learn how to plan the stages of implementation" in form
    assert "another programme's" not in form
    # Each statement under its area's heading (areas in the programme's order: here by title).
    in_order = [
        ">Governance and Accountability</p>",
        "Learn that boards hold leaders to account",
        ">Implementation</p>",
        "Learn that implementation is a process, not an event",
        "Learn how to plan the stages of implementation",
    ]
    assert [form.index(part) for part in in_order] == sorted(form.index(part) for part in in_order)

    response = client.post(
        url, criterion_data(statements=[str(evidence.pk), str(practice.pk), str(governance.pk)]), follow=True
    )
    page = text(response)
    assert "Criterion 5, “Evaluation”, is added." in page
    assert "5. Evaluation (0 to 5 marks)" in page and "5 criteria, 45 marks in all." in page
    assert "Implementation: Learn how to plan the stages of implementation" in page
    assert "Governance and Accountability: Learn that boards hold leaders to account" in page
    added = Criterion.objects.get(scheme__task=task, number=5)
    assert set(added.statements.all()) == {evidence, practice, governance}
    # Another programme's statement is refused, by the form and by the service.
    page = text(client.post(url, criterion_data(title="Other", statements=[str(elsewhere.pk)])))
    assert error_by(page, "statements", "Choose content statements of this programme from the list.")
    with pytest.raises(DomainError, match="Choose content statements of this programme only") as error:
        mark_schemes.criterion_save(
            by=admin, scheme=scheme_of(task), **criterion_data(title="Other"), statement_ids=[elsewhere.pk]
        )
    assert error.value.field == "statements"
    # The new criterion counts in an outcome.
    assert decide(scheme_of(task), [5, 5, 5, 5, 0]) == Outcome.BORDERLINE
    assert decide(scheme_of(task), [5, 5, 5, 5, 2]) == Outcome.PASS


def test_changing_a_criterion(client, admin, task):
    scheme = scheme_of(task)
    programme = task.scheme.programme
    linked = statement(programme, "Implementation", "implementation is a process, not an event")
    criterion = scheme.criteria.get(number=3)
    client.force_login(admin)
    url = reverse("mark_scheme_criterion_edit", args=[criterion.pk])
    form = text(client.get(url))
    assert 'value="Implementation"' in form and "0–3: a list of actions." in form
    response = client.post(
        url,
        criterion_data(title="Implementation", min_mark=2, max_mark=12, statements=[str(linked.pk)]),
        follow=True,
    )
    page = text(response)
    assert "Criterion 3, “Implementation”, is saved." in page
    assert "3. Implementation (2 to 12 marks)" in page and "42 marks in all" in page
    criterion.refresh_from_db()
    assert (criterion.number, criterion.min_mark, criterion.max_mark) == (3, 2, 12)
    assert list(criterion.statements.all()) == [linked]
    # The range now decides what an assessor may give.
    with pytest.raises(DomainError, match="The mark for “Implementation” must be from 2 to 12."):
        decide(scheme_of(task), [5, 5, 1, 5])


def test_bad_criteria_are_refused_with_what_to_fix(client, admin, task):
    scheme = scheme_of(task)
    client.force_login(admin)
    url = reverse("mark_scheme_criterion_add", args=[task.pk])
    page = text(client.post(url, criterion_data(min_mark=5, max_mark=5)))
    assert error_by(
        page, "max_mark", "The highest mark must be more than the lowest (5), so there is a range to mark in."
    )
    page = text(client.post(url, criterion_data(title="implementation ")))
    assert error_by(
        page,
        "title",
        "Another criterion of this scheme is already called “implementation”: give this one a different title.",
    )
    page = text(client.post(url, {"min_mark": "", "max_mark": "lots"}))
    assert error_by(page, "title", "Give the criterion a title.")
    assert error_by(page, "max_mark", "Enter the highest mark as a whole number.")
    # Ranges that leave no room for the pass mark and its band.
    update(scheme, admin, pass_mark=30, borderline_margin=2)
    first = scheme.criteria.get(number=1)
    with pytest.raises(DomainError) as error:
        mark_schemes.criterion_save(
            by=admin, scheme=scheme, criterion=first, **criterion_data(title=first.title, max_mark=1)
        )
    assert error.value.message == (
        "Then a script could score from 0 to 31, which leaves no room for the pass mark of 30 and its borderline "
        "band of 28 to 31. Change the pass mark or the margin first, then the criteria."
    )
    with pytest.raises(DomainError, match="from 29 to 70, which leaves no room"):
        mark_schemes.criterion_save(by=admin, scheme=scheme, **criterion_data(min_mark=29, max_mark=30))
    assert scheme.criteria.count() == 4 and scheme.criteria.get(number=1).max_mark == 10


def test_removing_a_criterion_numbers_the_rest_on(client, admin, task):
    scheme = scheme_of(task)
    second = scheme.criteria.get(number=2)
    client.force_login(admin)
    form = text(client.get(reverse("mark_scheme_criterion_edit", args=[second.pk])))
    assert reverse("mark_scheme_criterion_remove", args=[second.pk]) in form
    response = client.post(reverse("mark_scheme_criterion_remove", args=[second.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("mark_scheme", args=[task.pk])
    page = text(response)
    assert "“Selects and justifies solutions” is removed from the mark scheme." in page
    assert "3 criteria, 30 marks in all." in page
    assert list(scheme.criteria.order_by("number").values_list("number", "title")) == [
        (1, "Identifies the problems"),
        (2, "Implementation"),
        (3, "Working with others and governance"),
    ]
    assert decide(scheme_of(task), [7, 7, 7]) == Outcome.BORDERLINE


def test_a_criterion_is_not_removed_when_the_band_would_no_longer_fit(client, admin, task):
    scheme = scheme_of(task)
    update(scheme, admin, pass_mark=30, borderline_margin=2)
    client.force_login(admin)
    criterion = scheme.criteria.get(number=4)
    page = text(client.post(reverse("mark_scheme_criterion_remove", args=[criterion.pk]), follow=True))
    assert (
        "Then a script could score from 0 to 30, which leaves no room for the pass mark of 30 and its borderline "
        "band of 28 to 31. Change the pass mark or the margin first, then the criteria." in page
    )
    assert scheme.criteria.count() == 4
    # Lower the pass mark first, then it goes.
    update(scheme, admin, pass_mark=15)
    mark_schemes.criterion_remove(by=admin, criterion=criterion)
    assert scheme.criteria.count() == 3


def test_the_only_criterion_cannot_be_removed(admin, task):
    scheme = scheme_of(task)
    update(scheme, admin, pass_mark=5, borderline_margin=1)
    for criterion in list(scheme.criteria.order_by("number"))[:3]:
        mark_schemes.criterion_remove(by=admin, criterion=criterion)
    last = scheme.criteria.get()
    assert last.number == 1
    with pytest.raises(DomainError, match="is the scheme's only criterion: add another before removing it"):
        mark_schemes.criterion_remove(by=admin, criterion=last)


# Failure-level omissions --------------------------------------------------------------------------------------


def test_adding_and_removing_failure_level_omissions(client, admin, task):
    client.force_login(admin)
    url = reverse("mark_scheme_omission_add", args=[task.pk])
    page = text(client.post(url, {"text": "  How progress is   monitored "}, follow=True))
    assert (
        "“How progress is monitored” is a failure-level omission: a script that leaves it out fails." in page
    )
    assert "3. How progress is monitored" in page
    added = Omission.objects.get(scheme__task=task, number=3)
    # Ticking it fails a script whatever its marks.
    assert decide(scheme_of(task), MARKS["pass"], {added.pk}) == Outcome.FAIL
    page = text(client.post(url, {"text": "how progress is monitored"}))
    assert error_by(page, "text", "“how progress is monitored” is already a failure-level omission")
    page = text(client.post(url, {"text": "  "}))
    assert error_by(page, "text", "Say what a script must not leave out")

    first = Omission.objects.get(scheme__task=task, number=1)
    page = text(client.post(reverse("mark_scheme_omission_remove", args=[first.pk]), follow=True))
    assert "“The stages of implementation” is no longer a failure-level omission." in page
    assert list(scheme_of(task).omissions.order_by("number").values_list("number", "text")) == [
        (1, "Any justification of the chosen solutions"),
        (2, "How progress is monitored"),
    ]
    assert decide(scheme_of(task), MARKS["pass"]) == Outcome.PASS


# Once marking has started -------------------------------------------------------------------------------------


def test_a_draft_marking_does_not_fix_the_scheme(provider):
    setup = marking_cohort(provider, 1, second_share=0)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    marking_save(
        by=allocation.assessor,
        allocation=allocation,
        revision=0,
        marks={},
        comments={},
        ticked=set(),
        feedback="",
    )
    admin = person(Role.PROVIDER_ADMIN, provider)
    assert update(scheme_of(setup.task), admin, pass_mark=22).pass_mark == 22


def test_once_a_marking_is_submitted_what_decides_outcomes_is_fixed(provider):
    setup = marked_task(provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    scheme = scheme_of(setup.task)
    criterion, omission = scheme.criteria.first(), scheme.omissions.first()
    attempts = {
        "the pass mark and the borderline band": [
            lambda: update(scheme, admin, pass_mark=22),
            lambda: update(scheme, admin, borderline_margin=1),
        ],
        "its criteria": [
            lambda: mark_schemes.criterion_save(by=admin, scheme=scheme, **criterion_data()),
            lambda: mark_schemes.criterion_save(
                by=admin,
                scheme=scheme,
                criterion=criterion,
                **criterion_data(title=criterion.title, max_mark=12),
            ),
            lambda: mark_schemes.criterion_remove(by=admin, criterion=criterion),
        ],
        "its failure-level omissions": [
            lambda: mark_schemes.omission_add(by=admin, scheme=scheme, text="How progress is monitored"),
            lambda: mark_schemes.omission_remove(by=admin, omission=omission),
        ],
    }
    for what, calls in attempts.items():
        for attempt in calls:
            with pytest.raises(DomainError) as error:
                attempt()
            assert error.value.message.startswith(
                f"Scripts of this task have already been marked, so {what} can no longer change"
            )
            assert "You can still change the guidance for assessors" in error.value.message
    scheme = scheme_of(setup.task)
    assert (
        scheme.pass_mark,
        scheme.borderline_margin,
        scheme.criteria.count(),
        scheme.omissions.count(),
    ) == (
        20,
        2,
        4,
        2,
    )
    # What does not decide outcomes may still change.
    changed = update(
        scheme,
        admin,
        second_marking_pass_percent=50,
        review_days=28,
        resubmission_days=60,
        guidance="Be kind.",
    )
    assert (changed.second_marking_pass_percent, changed.review_days, changed.guidance) == (
        50,
        28,
        "Be kind.",
    )


def test_once_marked_the_pages_show_the_scheme_as_fixed(client, provider):
    setup = marked_task(provider)
    task = setup.task
    scheme = scheme_of(task)
    criterion = scheme.criteria.first()
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    page = text(client.get(reverse("mark_scheme", args=[task.pk])))
    assert (
        "Scripts of this task have been marked, so the criteria, their marks, the failure-level omissions"
        in page
    )
    assert reverse("mark_scheme_criterion_add", args=[task.pk]) not in page
    assert reverse("mark_scheme_criterion_edit", args=[criterion.pk]) not in page
    assert reverse("mark_scheme_omission_add", args=[task.pk]) not in page
    assert reverse("mark_scheme_edit", args=[task.pk]) in page

    url = reverse("mark_scheme_edit", args=[task.pk])
    form = text(client.get(url))
    assert 'name="pass_mark"' not in form and 'name="borderline_margin"' not in form
    assert "the pass mark (20) and the borderline band can no longer change" in form
    # A pass mark sent anyway is ignored; the rest is saved.
    page = text(
        client.post(url, settings_data(scheme, pass_mark=30, second_marking_pass_percent=40), follow=True)
    )
    assert "The mark scheme of Case-study response is saved." in page and "and 40% of passes" in page
    assert scheme_of(task).pass_mark == 20

    page = text(client.get(reverse("mark_scheme_criterion_edit", args=[criterion.pk]), follow=True))
    assert "Scripts of this task have already been marked, so its criteria can no longer change" in page
    page = text(client.post(reverse("mark_scheme_criterion_remove", args=[criterion.pk]), follow=True))
    assert "so its criteria can no longer change" in page
    page = text(client.get(reverse("mark_scheme_omission_add", args=[task.pk]), follow=True))
    assert "so its failure-level omissions can no longer change" in page
    assert scheme.criteria.count() == 4 and scheme.omissions.count() == 2


def test_the_days_to_mark_are_set_on_the_scheme_and_checked(task, admin):
    scheme = update(scheme_of(task), admin, marking_days=21)
    assert scheme_of(task).marking_days == 21
    with pytest.raises(DomainError, match="Give assessors from 1 to 60 days to mark a script"):
        update(scheme, admin, marking_days=0)
    assert update(scheme_of(task), admin).marking_days == 21  # not given: unchanged

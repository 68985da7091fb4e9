"""Online learning recorded by hand: a task or a whole component at a time, or a course's grid saved at once;
who may record (provider admins of the place's provider) and who may look (platform staff too); the grid
page, the record page's "Components recorded as done" and the cohort page's link; the engagement recompute
each change asks for; the same number of queries for 10 places as for 200."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from npqel.access import Role
from npqel.errors import DomainError
from participants.models import ComponentCompletion, Engagement, EngagementQueue, Enrolment, TaskCompletion
from participants.services import learning
from programmes.models import Component, Module, Task
from tests.participants.factories import EnrolmentFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ComponentFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
S = Enrolment.Status
D = datetime.date
TODAY = D(2023, 6, 14)
BY_HAND = TaskCompletion.Source.BY_HAND


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2023, 6, 14, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(provider=provider, name="NPQEL 2023")


@pytest.fixture
def cohort(programme):
    return CohortFactory(
        programme=programme, code="2023-spring", start_date=D(2023, 1, 9), end_date=D(2024, 7, 31)
    )


def online_course(programme, title: str, modules: dict[str, list[tuple[str, bool]]]) -> Component:
    """An online course with modules of (title, core) tasks, each task referenced by its title's initials."""
    course = ComponentFactory(
        programme=programme,
        title=title,
        kind=Component.Kind.ONLINE_COURSE,
        mode=Component.Mode.SELF_DIRECTED,
        guided_learning_hours=Decimal("10"),
    )
    for position, (module_title, tasks) in enumerate(modules.items()):
        module = Module.objects.create(course=course, title=module_title, position=position)
        for n, (task_title, core) in enumerate(tasks):
            Task.objects.create(
                module=module, title=task_title, core=core, position=n, reference=f"REF-{task_title}"
            )
    return course


@pytest.fixture
def strategy(programme):
    return online_course(
        programme,
        "Strategy and Improvement",
        {
            "Module 1: Vision": [("Read the vision paper", True), ("Watch the interview", False)],
            "Module 2: Planning": [("Draft a plan", True)],
        },
    )


@pytest.fixture
def resources(programme):
    return online_course(
        programme, "Managing Resources and Risks", {"Module 1: Budgets": [("Budget quiz", True)]}
    )


def tasks_of(course) -> dict[str, Task]:
    return {task.title: task for task in Task.objects.filter(module__course=course)}


def place(cohort, name: str, **fields) -> Enrolment:
    return EnrolmentFactory(
        cohort=cohort,
        participant__user__full_name=name,
        participant__user__email=name.lower().replace(" ", ".") + "@school.example",
        **fields,
    )


@pytest.fixture
def people(cohort):
    return {
        "ada": place(cohort, "Ada Lovelace"),
        "bea": place(cohort, "Bea Brown", status=S.ACCEPTED),
        "dee": place(cohort, "Dee Ferred", status=S.DEFERRED),
    }


@pytest.fixture
def admin(provider):
    user = person(Role.PROVIDER_ADMIN, provider)
    user.full_name = "Al Admin"
    user.save()
    return user


def queued(cohort) -> bool:
    """Whether the cohort's engagement was marked for recomputing (the outbox row written with the change)."""
    return EngagementQueue.objects.filter(cohort=cohort).exists()


# One task ------------------------------------------------------------------------------------------------


def test_recording_a_task_by_hand_and_again_with_another_date(cohort, strategy, people, admin):
    task = tasks_of(strategy)["Read the vision paper"]
    ada = people["ada"]
    completion = learning.task_completion_record(
        by=admin, enrolment=ada, task=task, completed_on=D(2023, 3, 1)
    )
    assert (completion.completed_on, completion.source, completion.recorded_by) == (
        D(2023, 3, 1),
        BY_HAND,
        admin,
    )
    assert queued(cohort)
    EngagementQueue.objects.all().delete()
    # The same day again changes nothing (and asks for no recompute).
    learning.task_completion_record(by=admin, enrolment=ada, task=task, completed_on=D(2023, 3, 1))
    assert not queued(cohort)
    # Another day corrects it: still one completion.
    learning.task_completion_record(by=admin, enrolment=ada, task=task, completed_on=D(2023, 2, 20))
    assert list(TaskCompletion.objects.values_list("enrolment", "task", "completed_on")) == [
        (ada.pk, task.pk, D(2023, 2, 20))
    ]
    assert queued(cohort)


def test_a_task_done_today_is_recorded_and_one_in_the_future_is_not(strategy, people, admin):
    task = tasks_of(strategy)["Draft a plan"]
    learning.task_completion_record(by=admin, enrolment=people["ada"], task=task, completed_on=TODAY)
    with pytest.raises(DomainError, match="15 June 2023 is in the future") as error:
        learning.task_completion_record(
            by=admin, enrolment=people["bea"], task=task, completed_on=TODAY + datetime.timedelta(days=1)
        )
    assert error.value.field == "completed_on"
    assert TaskCompletion.objects.count() == 1


def test_a_task_of_another_programme_is_refused(provider, people, admin):
    elsewhere = online_course(
        ProgrammeFactory(provider=provider, code="other", name="Other"), "Elsewhere", {"M": [("Quiz", True)]}
    )
    with pytest.raises(DomainError, match="“Quiz” is not a task of NPQEL 2023") as error:
        learning.task_completion_record(
            by=admin, enrolment=people["ada"], task=tasks_of(elsewhere)["Quiz"], completed_on=TODAY
        )
    assert error.value.field == "task"
    assert not TaskCompletion.objects.exists()


def test_an_application_not_yet_accepted_has_no_learning_to_record(cohort, strategy, admin):
    applicant = place(cohort, "App Lied", status=S.APPLIED)
    with pytest.raises(DomainError, match="App Lied's application has not been accepted yet"):
        learning.task_completion_record(
            by=admin, enrolment=applicant, task=tasks_of(strategy)["Draft a plan"], completed_on=TODAY
        )


def test_a_withdrawn_place_keeps_what_it_did_before_it_ended(cohort, strategy, admin):
    withdrawn = place(cohort, "Will Drawn", status=S.WITHDRAWN)
    learning.task_completion_record(
        by=admin, enrolment=withdrawn, task=tasks_of(strategy)["Draft a plan"], completed_on=D(2023, 2, 1)
    )
    assert TaskCompletion.objects.filter(enrolment=withdrawn).exists()


def test_removing_a_task_completion(cohort, strategy, people, admin):
    task = tasks_of(strategy)["Draft a plan"]
    learning.task_completion_record(by=admin, enrolment=people["ada"], task=task, completed_on=TODAY)
    EngagementQueue.objects.all().delete()
    assert learning.task_completion_remove(by=admin, enrolment=people["ada"], task=task) is True
    assert not TaskCompletion.objects.exists() and queued(cohort)
    assert learning.task_completion_remove(by=admin, enrolment=people["ada"], task=task) is False


@pytest.mark.parametrize(
    "role",
    [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.PLATFORM_STAFF, Role.MODERATOR, Role.PARTICIPANT],
)
def test_only_provider_admins_record_learning(provider, cohort, strategy, resources, people, role):
    user = person(role, provider)
    task = tasks_of(strategy)["Draft a plan"]
    ada = people["ada"]
    calls = [
        lambda: learning.task_completion_record(by=user, enrolment=ada, task=task, completed_on=TODAY),
        lambda: learning.task_completion_remove(by=user, enrolment=ada, task=task),
        lambda: learning.component_completion_record(
            by=user, enrolment=ada, component=resources, completed_on=TODAY
        ),
        lambda: learning.component_completion_remove(by=user, enrolment=ada, component=resources),
        lambda: learning.course_completions_save(
            by=user, cohort=cohort, course=strategy, done={ada.pk: {task.pk}}, completed_on=TODAY
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert not TaskCompletion.objects.exists() and not ComponentCompletion.objects.exists()


def test_another_providers_admin_cannot_record_learning(other_provider, strategy, people):
    with pytest.raises(PermissionDenied):
        learning.task_completion_record(
            by=person(Role.PROVIDER_ADMIN, other_provider),
            enrolment=people["ada"],
            task=tasks_of(strategy)["Draft a plan"],
            completed_on=TODAY,
        )


# Whole components ----------------------------------------------------------------------------------------


@pytest.fixture
def diagnostic(programme):
    return ComponentFactory(
        programme=programme,
        title="360° diagnostic",
        kind=Component.Kind.DIAGNOSTIC_360,
        mode=Component.Mode.SELF_DIRECTED,
        guided_learning_hours=Decimal("3"),
    )


def test_recording_a_component_as_done_and_again(cohort, diagnostic, people, admin):
    ada = people["ada"]
    done = learning.component_completion_record(
        by=admin, enrolment=ada, component=diagnostic, completed_on=D(2023, 2, 1), note="  Report on file  "
    )
    assert (done.completed_on, done.note, done.recorded_by) == (D(2023, 2, 1), "Report on file", admin)
    assert queued(cohort)
    learning.component_completion_record(
        by=admin, enrolment=ada, component=diagnostic, completed_on=D(2023, 2, 3), note="Second reviewer"
    )
    assert list(ComponentCompletion.objects.values_list("completed_on", "note")) == [
        (D(2023, 2, 3), "Second reviewer")
    ]
    EngagementQueue.objects.all().delete()
    assert learning.component_completion_remove(by=admin, enrolment=ada, component=diagnostic) is True
    assert not ComponentCompletion.objects.exists() and queued(cohort)
    assert learning.component_completion_remove(by=admin, enrolment=ada, component=diagnostic) is False


def test_a_component_must_be_of_the_places_programme_done_and_noted_briefly(
    provider, diagnostic, people, admin
):
    ada = people["ada"]
    elsewhere = ComponentFactory(
        programme=ProgrammeFactory(provider=provider, code="other", name="Other"), title="Placement"
    )
    with pytest.raises(DomainError, match="“Placement” is not part of NPQEL 2023") as error:
        learning.component_completion_record(by=admin, enrolment=ada, component=elsewhere, completed_on=TODAY)
    assert error.value.field == "component"
    with pytest.raises(DomainError, match="is in the future"):
        learning.component_completion_record(
            by=admin, enrolment=ada, component=diagnostic, completed_on=D(2023, 7, 1)
        )
    with pytest.raises(DomainError, match="Keep the note to 300 characters or fewer") as error:
        learning.component_completion_record(
            by=admin, enrolment=ada, component=diagnostic, completed_on=TODAY, note="x" * 301
        )
    assert error.value.field == "note"
    assert not ComponentCompletion.objects.exists()


def test_completions_count_toward_engagement_once_recomputed(
    cohort, strategy, diagnostic, people, admin, django_capture_on_commit_callbacks
):
    ada = people["ada"]
    tasks = tasks_of(strategy)
    with django_capture_on_commit_callbacks(execute=True):
        learning.task_completion_record(
            by=admin, enrolment=ada, task=tasks["Read the vision paper"], completed_on=D(2023, 2, 1)
        )
        learning.component_completion_record(
            by=admin, enrolment=ada, component=diagnostic, completed_on=TODAY
        )
    engagement = Engagement.objects.get(enrolment=ada)
    assert (engagement.core_tasks_done, engagement.core_tasks_total) == (1, 2)
    # Half the course's core tasks (5 of its 10 hours) and the whole 3-hour diagnostic.
    assert engagement.credited_hours == Decimal("8")


# A course's grid saved at once ---------------------------------------------------------------------------


def test_saving_a_course_grid_adds_and_removes_and_keeps_the_dates_of_ticks_kept(
    cohort, strategy, people, admin
):
    tasks = tasks_of(strategy)
    read, watch, plan = tasks["Read the vision paper"], tasks["Watch the interview"], tasks["Draft a plan"]
    ada, bea, dee = people["ada"], people["bea"], people["dee"]
    learning.task_completion_record(by=admin, enrolment=ada, task=read, completed_on=D(2023, 2, 1))
    learning.task_completion_record(by=admin, enrolment=bea, task=plan, completed_on=D(2023, 2, 2))
    EngagementQueue.objects.all().delete()
    added, removed = learning.course_completions_save(
        by=admin,
        cohort=cohort,
        course=strategy,
        done={ada.pk: {read.pk, watch.pk}, bea.pk: set(), dee.pk: {plan.pk}},
        completed_on=D(2023, 6, 1),
    )
    assert (added, removed) == (2, 1)
    assert set(TaskCompletion.objects.values_list("enrolment", "task", "completed_on", "source")) == {
        (ada.pk, read.pk, D(2023, 2, 1), BY_HAND),
        (ada.pk, watch.pk, D(2023, 6, 1), BY_HAND),
        (dee.pk, plan.pk, D(2023, 6, 1), BY_HAND),
    }
    assert queued(cohort)
    EngagementQueue.objects.all().delete()
    # Saving the same grid again changes nothing.
    assert learning.course_completions_save(
        by=admin,
        cohort=cohort,
        course=strategy,
        done={ada.pk: {read.pk, watch.pk}, bea.pk: set(), dee.pk: {plan.pk}},
        completed_on=D(2023, 6, 2),
    ) == (0, 0)
    assert not queued(cohort)


def test_a_grid_saved_does_not_take_away_a_completion_recorded_after_it_was_opened(
    cohort, strategy, people, admin
):
    from django.utils import timezone

    read = tasks_of(strategy)["Read the vision paper"]
    ada = people["ada"]
    opened_at = timezone.now()
    # While the admin has the grid open (Ada's task unticked), an import or a colleague records it.
    learning.task_completion_record(by=admin, enrolment=ada, task=read, completed_on=D(2023, 2, 1))
    assert learning.course_completions_save(
        by=admin,
        cohort=cohort,
        course=strategy,
        done={ada.pk: set()},
        completed_on=D(2023, 6, 1),
        opened_at=opened_at,
    ) == (0, 0)
    assert TaskCompletion.objects.filter(enrolment=ada, task=read).exists()
    # Shown ticked (the page opened after it was recorded) then unticked: taken away.
    assert learning.course_completions_save(
        by=admin,
        cohort=cohort,
        course=strategy,
        done={ada.pk: set()},
        completed_on=D(2023, 6, 1),
        opened_at=timezone.now() + datetime.timedelta(seconds=1),
    ) == (0, 1)


def test_a_grid_touches_only_the_tasks_shown_the_places_in_it_and_the_one_course(
    cohort, strategy, resources, people, admin
):
    tasks = tasks_of(strategy)
    read, plan = tasks["Read the vision paper"], tasks["Draft a plan"]
    quiz = tasks_of(resources)["Budget quiz"]
    ada, bea = people["ada"], people["bea"]
    for enrolment, task in ((ada, plan), (bea, read), (ada, quiz)):
        learning.task_completion_record(by=admin, enrolment=enrolment, task=task, completed_on=D(2023, 2, 1))
    # The page showed only Ada, and only "Read the vision paper" (Draft a plan was added after it opened).
    assert learning.course_completions_save(
        by=admin, cohort=cohort, course=strategy, done={ada.pk: set()}, completed_on=TODAY, tasks=[read.pk]
    ) == (0, 0)
    assert TaskCompletion.objects.count() == 3


def test_a_grid_with_a_place_no_longer_on_it_is_refused_whole(cohort, strategy, people, admin):
    plan = tasks_of(strategy)["Draft a plan"]
    withdrawn = place(cohort, "Will Drawn", status=S.WITHDRAWN)
    elsewhere = place(CohortFactory(programme=cohort.programme, code="2024-autumn"), "Otto Elsewhere")
    with pytest.raises(DomainError) as error:
        learning.course_completions_save(
            by=admin,
            cohort=cohort,
            course=strategy,
            done={people["ada"].pk: {plan.pk}, withdrawn.pk: {plan.pk}, elsewhere.pk: set()},
            completed_on=TODAY,
        )
    message = error.value.message
    # A place on another cohort is counted, never named.
    assert (
        "Not saved: Will Drawn, 1 other place are no longer accepted, active or deferred on cohort 2023-spring"
        in (message)
    )
    assert "Otto" not in message
    assert not TaskCompletion.objects.exists()


def test_a_grid_with_a_task_of_another_course_or_a_course_of_another_programme_is_refused(
    provider, cohort, strategy, resources, people, admin
):
    quiz = tasks_of(resources)["Budget quiz"]
    with pytest.raises(DomainError, match="The tasks of Strategy and Improvement have changed"):
        learning.course_completions_save(
            by=admin, cohort=cohort, course=strategy, done={people["ada"].pk: {quiz.pk}}, completed_on=TODAY
        )
    elsewhere = online_course(
        ProgrammeFactory(provider=provider, code="other", name="Other"), "Elsewhere", {"M": [("Q", True)]}
    )
    with pytest.raises(DomainError, match="“Elsewhere” is not an online course of NPQEL 2023"):
        learning.course_completions_save(
            by=admin, cohort=cohort, course=elsewhere, done={}, completed_on=TODAY
        )
    with pytest.raises(DomainError, match="is in the future"):
        learning.course_completions_save(
            by=admin, cohort=cohort, course=strategy, done={}, completed_on=D(2023, 6, 15)
        )
    assert not TaskCompletion.objects.exists()


# The online learning page --------------------------------------------------------------------------------


def url_of(cohort, course=None) -> str:
    url = reverse("cohort_online_learning", args=[cohort.pk])
    return f"{url}?course={course.pk}" if course else url


def test_the_page_shows_each_course_as_places_by_tasks_with_ticks(
    client, cohort, strategy, resources, people, admin
):
    tasks = tasks_of(strategy)
    learning.task_completion_record(
        by=admin, enrolment=people["ada"], task=tasks["Read the vision paper"], completed_on=D(2023, 3, 2)
    )
    place(cohort, "Will Drawn", status=S.WITHDRAWN)
    place(cohort, "App Lied", status=S.APPLIED)
    client.force_login(admin)
    page = client.get(url_of(cohort)).content.decode()
    assert page.index("Strategy and Improvement") < page.index("Managing Resources and Risks")
    # Modules span their tasks; each task says whether it is core or optional.
    assert 'colspan="2" class="govuk-table__header">Module 1: Vision' in page
    assert 'Watch the interview<br><strong class="govuk-tag govuk-tag--grey">optional</strong>' in page
    assert 'Draft a plan<br><strong class="govuk-tag govuk-tag--blue">core</strong>' in page
    # Accepted, active and deferred places, in name order; not withdrawn or applied ones.
    assert page.index("Ada Lovelace") < page.index("Bea Brown") < page.index("Dee Ferred")
    assert "(deferred)" in page
    assert "Will Drawn" not in page and "App Lied" not in page
    assert "Done on 2 March 2023" in page
    assert "1 of 2" in page  # Ada's core tasks done in the strategy course
    assert "3 tasks, 2 of them core." in page
    assert f'href="?course={strategy.pk}">Tick completions for Strategy and Improvement' in page
    assert reverse("lms_import", args=[cohort.pk]) in page
    assert 'type="checkbox"' not in page  # the overview only shows


def test_a_course_is_ticked_and_saved_in_one_go(client, cohort, strategy, resources, people, admin):
    tasks = tasks_of(strategy)
    read, watch, plan = tasks["Read the vision paper"], tasks["Watch the interview"], tasks["Draft a plan"]
    ada, bea, dee = people["ada"], people["bea"], people["dee"]
    learning.task_completion_record(by=admin, enrolment=ada, task=read, completed_on=D(2023, 3, 2))
    client.force_login(admin)
    page = client.get(url_of(cohort, strategy)).content.decode()
    assert "Managing Resources and Risks" not in page
    assert f'name="done" type="checkbox" value="{ada.pk}-{read.pk}" checked' in page
    assert f'name="done" type="checkbox" value="{bea.pk}-{read.pk}">' in page
    assert "Ada Lovelace: Read the vision paper, done on 2 March 2023" in page
    assert f'name="places" value="{ada.pk},{bea.pk},{dee.pk}"' in page
    assert "Date for the tasks you tick now" in page and ">Save</button>" in page
    response = client.post(
        url_of(cohort, strategy),
        {
            "places": f"{ada.pk},{bea.pk},{dee.pk}",
            "tasks": f"{read.pk},{watch.pk},{plan.pk}",
            "done": [f"{bea.pk}-{read.pk}", f"{bea.pk}-{plan.pk}", f"{dee.pk}-{watch.pk}", "nonsense", "1-x"],
            "completed_on": "2023-06-10",
        },
        follow=True,
    )
    assert response.redirect_chain == [(url_of(cohort, strategy), 302)]
    assert "Strategy and Improvement saved: 3 tasks marked done and 1 task no longer marked done." in (
        response.content.decode()
    )
    assert set(TaskCompletion.objects.values_list("enrolment", "task", "completed_on")) == {
        (bea.pk, read.pk, D(2023, 6, 10)),
        (bea.pk, plan.pk, D(2023, 6, 10)),
        (dee.pk, watch.pk, D(2023, 6, 10)),
    }
    response = client.post(
        url_of(cohort, strategy),
        {
            "places": f"{ada.pk},{bea.pk},{dee.pk}",
            "tasks": f"{read.pk},{watch.pk},{plan.pk}",
            "done": [f"{bea.pk}-{read.pk}", f"{bea.pk}-{plan.pk}", f"{dee.pk}-{watch.pk}"],
            "completed_on": "2023-06-12",
        },
        follow=True,
    )
    assert "No changes to save." in response.content.decode()


def test_a_refused_grid_says_what_to_fix_and_keeps_the_ticks(client, cohort, strategy, people, admin):
    plan = tasks_of(strategy)["Draft a plan"]
    ada = people["ada"]
    client.force_login(admin)
    # Ada was withdrawn while the page was open.
    Enrolment.objects.filter(pk=ada.pk).update(status=S.WITHDRAWN)
    bea = people["bea"]
    response = client.post(
        url_of(cohort, strategy),
        {
            "places": f"{ada.pk},{bea.pk}",
            "done": [f"{ada.pk}-{plan.pk}", f"{bea.pk}-{plan.pk}"],
            "completed_on": "",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the date the newly ticked tasks were done." in page
    response = client.post(
        url_of(cohort, strategy),
        {
            "places": f"{ada.pk},{bea.pk}",
            "done": [f"{ada.pk}-{plan.pk}", f"{bea.pk}-{plan.pk}"],
            "completed_on": "2023-06-01",
        },
    )
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Not saved: Ada Lovelace is no longer accepted, active or deferred on cohort 2023-spring" in page
    assert f'value="{bea.pk}-{plan.pk}" checked' in page
    assert not TaskCompletion.objects.exists()


def test_platform_staff_look_but_do_not_record(client, provider, cohort, strategy, people):
    client.force_login(person(Role.PLATFORM_STAFF))
    page = client.get(url_of(cohort, strategy)).content.decode()
    assert "Ada Lovelace" in page and 'type="checkbox"' not in page and "Tick completions" not in page
    assert reverse("lms_import", args=[cohort.pk]) not in page
    plan = tasks_of(strategy)["Draft a plan"]
    response = client.post(
        url_of(cohort, strategy),
        {
            "places": str(people["ada"].pk),
            "done": f"{people['ada'].pk}-{plan.pk}",
            "completed_on": "2023-06-01",
        },
    )
    assert response.status_code == 403
    assert not TaskCompletion.objects.exists()


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.PARTICIPANT])
def test_roles_that_never_see_enrolments_get_403(client, provider, cohort, strategy, role):
    client.force_login(person(role, provider))
    assert client.get(url_of(cohort)).status_code == 403
    assert client.post(url_of(cohort, strategy), {}).status_code == 403


def test_another_providers_cohort_or_course_is_not_found(
    client, provider, other_provider, cohort, strategy, admin
):
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(url_of(cohort)).status_code == 404
    assert client.post(url_of(cohort, strategy), {}).status_code == 404
    client.force_login(admin)
    elsewhere = online_course(
        ProgrammeFactory(provider=provider, code="other", name="Other"), "Elsewhere", {"M": [("Q", True)]}
    )
    assert client.get(url_of(cohort, elsewhere)).status_code == 404
    assert client.post(url_of(cohort, elsewhere), {}).status_code == 404
    assert client.get(url_of(cohort) + "?course=abc").status_code == 404
    assert client.post(url_of(cohort), {}).status_code == 404  # saving needs a course


def test_a_programme_without_online_courses_or_a_cohort_without_places_says_so(
    client, cohort, admin, strategy
):
    client.force_login(admin)
    page = client.get(url_of(cohort)).content.decode()
    assert "No one on cohort 2023-spring is accepted, active or deferred yet" in page
    bare = CohortFactory(
        programme=ProgrammeFactory(provider=cohort.programme.provider, code="bare", name="Bare"), code="bare"
    )
    place(bare, "Ada Lovelace")
    assert "Bare has no online courses." in client.get(url_of(bare)).content.decode()


def test_the_cohort_page_links_to_online_learning_for_those_who_see_places(client, provider, cohort, admin):
    client.force_login(admin)
    link = f'href="{url_of(cohort)}">Online learning</a>'
    assert link in client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()
    client.force_login(person(Role.FACILITATOR, provider))
    assert link not in client.get(reverse("cohort_detail", args=[cohort.pk])).content.decode()


# Components recorded as done on the record page ------------------------------------------------------------


def test_the_record_page_lists_components_done_and_records_and_removes_them(
    client, cohort, diagnostic, strategy, people, admin
):
    ada = people["ada"]
    record = reverse("enrolment_detail", args=[ada.pk])
    client.force_login(admin)
    page = client.get(record).content.decode()
    assert "Components recorded as done" in page and "None recorded yet." in page
    assert "360° diagnostic (360° diagnostic)" in page  # a choice in the form
    response = client.post(
        reverse("enrolment_component_done", args=[ada.pk]),
        {"component": diagnostic.pk, "completed_on": "2023-02-01", "note": "Report on file"},
        follow=True,
    )
    assert response.redirect_chain == [(f"{record}#components-done", 302)]
    page = response.content.decode()
    assert "360° diagnostic recorded as done by Ada Lovelace on 1 February 2023." in page
    assert "1 February 2023</td>" in page and "Report on file" in page and "Al Admin" in page
    remove = reverse("enrolment_component_done_remove", args=[ada.pk, diagnostic.pk])
    assert remove in page
    response = client.post(remove, follow=True)
    assert "360° diagnostic is no longer recorded as done by Ada Lovelace." in response.content.decode()
    assert not ComponentCompletion.objects.exists()
    response = client.post(remove, follow=True)
    assert (
        "360° diagnostic was not recorded as done by Ada Lovelace: nothing to remove."
        in response.content.decode()
    )
    assert client.get(remove).status_code == 405


def test_a_component_form_with_mistakes_is_shown_again_with_them(client, diagnostic, people, admin):
    client.force_login(admin)
    url = reverse("enrolment_component_done", args=[people["ada"].pk])
    page = client.post(url, {"component": "", "completed_on": "2023-06-30"}).content.decode()
    assert "Choose the component they have done." in page
    page = client.post(url, {"component": diagnostic.pk, "completed_on": "2023-06-30"}).content.decode()
    assert "30 June 2023 is in the future." in page
    assert "Record a component Ada Lovelace has done" in client.get(url).content.decode()
    assert not ComponentCompletion.objects.exists()


def test_only_those_who_record_learning_see_the_section_or_its_pages(
    client, provider, other_provider, diagnostic, people
):
    ada = people["ada"]
    client.force_login(person(Role.PLATFORM_STAFF))
    assert (
        "Components recorded as done"
        not in client.get(reverse("enrolment_detail", args=[ada.pk])).content.decode()
    )
    assert client.get(reverse("enrolment_component_done", args=[ada.pk])).status_code == 403
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert (
        client.post(
            reverse("enrolment_component_done", args=[ada.pk]),
            {"component": diagnostic.pk, "completed_on": "2023-06-01"},
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("enrolment_component_done_remove", args=[ada.pk, diagnostic.pk])).status_code
        == 404
    )
    assert not ComponentCompletion.objects.exists()


def test_a_component_of_another_programme_cannot_be_removed_through_a_place(client, provider, people, admin):
    elsewhere = ComponentFactory(programme=ProgrammeFactory(provider=provider, code="other", name="Other"))
    client.force_login(admin)
    url = reverse("enrolment_component_done_remove", args=[people["ada"].pk, elsewhere.pk])
    assert client.post(url).status_code == 404


# Query counts ----------------------------------------------------------------------------------------------


def _cohort_with(provider, n: int, code: str):
    """A cohort of n places with two online courses of three tasks each, half the places with tasks done."""
    programme = ProgrammeFactory(provider=provider, code=f"p{code}", name=f"Programme {code}")
    cohort = CohortFactory(programme=programme, code=code)
    courses = [
        online_course(
            programme,
            f"Course {c} {code}",
            {f"M{c}a": [("T1", True), ("T2", False)], f"M{c}b": [("T3", True)]},
        )
        for c in (1, 2)
    ]
    places = [place(cohort, f"Person {code} {i}") for i in range(n)]
    task_ids = list(Task.objects.filter(module__course__in=courses).values_list("pk", flat=True))
    TaskCompletion.objects.bulk_create(
        TaskCompletion(enrolment=p, task_id=t, completed_on=D(2023, 3, 1))
        for p in places[: n // 2]
        for t in task_ids
    )
    return cohort, courses[0], places


@pytest.mark.parametrize("n", [10, 200])
def test_online_learning_query_counts_are_pinned_and_flat(
    client, provider, admin, django_assert_num_queries, n
):
    cohort, course, places = _cohort_with(provider, n, f"c{n}")
    tasks = list(Task.objects.filter(module__course=course).order_by("module__position", "position"))
    client.force_login(admin)
    with django_assert_num_queries(9):
        page = client.get(url_of(cohort)).content.decode()
    assert page.count("Person c") == 2 * n
    with django_assert_num_queries(9):
        page = client.get(url_of(cohort, course)).content.decode()
    assert page.count('type="checkbox"') == 3 * n
    # Every kind of change at once: the first half loses T1, the second half gains T3.
    done = {p.pk: {tasks[1].pk, tasks[2].pk} for p in places[: n // 2]}
    done |= {p.pk: {tasks[2].pk} for p in places[n // 2 :]}
    with django_assert_num_queries(15):  # with the outbox row of the engagement recompute it queues
        response = client.post(
            url_of(cohort, course),
            {
                "places": ",".join(str(p.pk) for p in places),
                "tasks": ",".join(str(t.pk) for t in tasks),
                "done": [f"{p}-{t}" for p, ts in done.items() for t in ts],
                "completed_on": "2023-06-01",
            },
        )
    assert response.status_code == 302
    assert TaskCompletion.objects.filter(task=tasks[0]).count() == 0
    assert TaskCompletion.objects.filter(task=tasks[2]).count() == n


def test_the_record_pages_section_costs_one_query_however_many_components_are_done(
    client, programme, diagnostic, people, admin
):
    ada = people["ada"]
    url = reverse("enrolment_detail", args=[ada.pk])
    client.force_login(admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    learning.component_completion_record(by=admin, enrolment=ada, component=diagnostic, completed_on=TODAY)
    one = queries()
    for n in range(5):
        component = ComponentFactory(
            programme=programme, title=f"Placement {n}", kind=Component.Kind.PLACEMENT
        )
        learning.component_completion_record(by=admin, enrolment=ada, component=component, completed_on=TODAY)
    assert queries() == one
    page = client.get(url).content.decode()
    assert page.count('Remove<span class="govuk-visually-hidden">') == 6
    # Without the section (a role that does not record learning) the page reads one query fewer.
    client.force_login(person(Role.PLATFORM_STAFF))
    assert queries() == one - 1


def test_a_full_grid_of_200_people_by_6_tasks_saves_in_one_post(client, provider, cohort, admin):
    course = online_course(cohort.programme, "Long course", {"M1": [(f"Task {n}", True) for n in range(6)]})
    tasks = list(Task.objects.filter(module__course=course))
    places = [place(cohort, f"Person {i}") for i in range(200)]
    client.force_login(admin)
    response = client.post(
        url_of(cohort, course),
        {
            "places": ",".join(str(p.pk) for p in places),
            "tasks": ",".join(str(t.pk) for t in tasks),
            "done": [f"{p.pk}-{t.pk}" for p in places for t in tasks],
            "completed_on": "2023-06-01",
        },
    )
    assert response.status_code == 302
    assert TaskCompletion.objects.count() == 1200

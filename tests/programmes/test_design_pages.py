"""The programme design pages: a programme with its rules and hours, its content framework, components and
online courses. Provider admins change them; facilitators, coaches and platform staff only read them."""

import datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from npqel.access import Role
from programmes.models import (
    Component,
    ContentArea,
    DeadlineExtension,
    FeeOption,
    LeadershipBehaviour,
    LearningStatement,
    Module,
    PlacementOption,
    Programme,
    Task,
)
from tests.people import person
from tests.programmes.factories import (
    CohortFactory,
    ComponentFactory,
    ProgrammeFactory,
    SessionFactory,
    timetable_for,
)

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Text of these runs on into its neighbours'; other elements are separate words (a cell, a paragraph).
INLINE = {"a", "abbr", "b", "code", "em", "i", "span", "strong"}


class Page(HTMLParser):
    """What a person (or their screen reader) gets from a page: its elements with their text, and its table rows."""

    def __init__(self, response) -> None:
        super().__init__(convert_charrefs=True)
        assert response.status_code == 200, response.status_code
        self.elements: list[tuple[str, dict[str, str], str]] = []
        self.raw: dict[str, str] = {}  # the text of each element with an id, as typed (for textareas)
        self.rows: list[list[str]] = []
        self._open: list[dict] = []
        self.feed(response.content.decode())
        self.close()
        self.text = " ".join(text for tag, _, text in self.elements if tag == "main")

    def handle_starttag(self, tag, attrs):
        if tag == "br" and self._open:
            self._open[-1]["parts"].append(" ")
        if tag in VOID:
            self.elements.append((tag, dict(attrs), ""))
        else:
            self._open.append({"tag": tag, "attrs": dict(attrs), "parts": [], "cells": []})

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), ""))

    def handle_data(self, data):
        if self._open:
            self._open[-1]["parts"].append(data)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self._open:
            element = self._open.pop()
            text = " ".join("".join(element["parts"]).split())
            self.elements.append((element["tag"], element["attrs"], text))
            if "id" in element["attrs"]:
                self.raw.setdefault(element["attrs"]["id"], "".join(element["parts"]))
            if self._open:
                inner = "".join(element["parts"])
                self._open[-1]["parts"].append(inner if element["tag"] in INLINE else f" {inner} ")
            if element["tag"] in ("td", "th"):
                row = next((e for e in reversed(self._open) if e["tag"] == "tr"), None)
                if row is not None:
                    row["cells"].append(text)
            if element["tag"] == "tr":
                self.rows.append(element["cells"])
            if element["tag"] == tag:
                break

    def all(self, tag: str, **attrs: str) -> list[tuple[dict[str, str], str]]:
        return [
            (a, text)
            for t, a, text in self.elements
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def text_of(self, element_id: str) -> str:
        found = [text for _, a, text in self.elements if a.get("id") == element_id]
        assert found, f"nothing with id {element_id}"
        return found[0]

    def row(self, first_cell: str) -> list[str]:
        found = [cells for cells in self.rows if cells and cells[0] == first_cell]
        assert found, f"no row starting {first_cell!r} in {self.rows}"
        return found[0]

    def hrefs(self) -> set[str]:
        return {a["href"] for a, _ in self.all("a") if "href" in a}

    def form_actions(self) -> set[str]:
        return {a.get("action", "") for a, _ in self.all("form") if a.get("method") == "post"}

    def value_of(self, element_id: str) -> str:
        for tag, a, _ in self.elements:
            if a.get("id") == element_id:
                return self.raw[element_id] if tag == "textarea" else a.get("value", "")
        raise AssertionError(f"no field {element_id}")


def assert_accessible(page: Page) -> None:
    """One h1; every table header says what it heads; every input has a label; no id used twice."""
    assert len(page.all("h1")) == 1
    assert all(a.get("scope") in ("col", "row") for a, _ in page.all("th"))
    ids = [a["id"] for _, a, _ in page.elements if "id" in a]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    labelled = {a.get("for") for a, _ in page.all("label")}
    for tag in ("input", "select", "textarea"):
        for a, _ in page.all(tag):
            if a.get("type") in ("hidden", "submit"):
                continue
            assert a.get("id") in labelled, f"{tag} {a.get('name')} has no label"


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(
        provider=provider, code="npqel", engagement_kinds=["webinar"], framework=Programme.Framework.LEGACY
    )


@pytest.fixture
def admin(client, provider):
    user = person(Role.PROVIDER_ADMIN, provider)
    client.force_login(user)
    return user


def test_programme_page_links_to_its_cohorts_framework_and_rules(client, admin, programme):
    cohort = CohortFactory(programme=programme, code="2026-autumn")
    SessionFactory(cohort=cohort)
    page = Page(client.get(reverse("programme_detail", args=[programme.pk])))
    assert page.row("2026-autumn")[-1] == "1"
    assert {
        reverse("cohort_detail", args=[cohort.pk]),
        reverse("cohort_create", args=[programme.pk]),
        reverse("content_framework", args=[programme.pk]),
        reverse("programme_rules", args=[programme.pk]),
        reverse("programme_edit", args=[programme.pk]),
        reverse("component_create", args=[programme.pk]),
    } <= page.hrefs()
    assert_accessible(page)


def test_totals_leave_out_components_without_published_hours_and_say_so(client, admin, programme):
    ComponentFactory(programme=programme, title="Residential", mode="in_person", guided_learning_hours=16)
    ComponentFactory(
        programme=programme, title="Webinars", mode="online_live", guided_learning_hours=Decimal("7.5")
    )
    ComponentFactory(programme=programme, title="Reading", mode="self_directed", guided_learning_hours=None)
    page = Page(client.get(reverse("programme_detail", args=[programme.pk])))
    assert page.row("Reading")[3] == "Not published"
    assert page.row("Webinars")[3] == "7.5"
    assert page.row("Synchronous (in person and online, live)")[1] == "23.5"
    assert page.row("Self-directed")[1] == "0"
    assert page.row("Total")[1] == "23.5"
    assert "1 of 3 components has no published hours. The totals leave it out." in page.text


# Programmes ---------------------------------------------------------------------------------------------

PROGRAMME = {
    "name": "NPQEL 2026",
    "code": "npqel-2026",
    "framework": "reformed",
    "duration_months": "18",
    "engagement_threshold": "90",
    "engagement_comparison": "more_than",
    "engagement_kinds": ["seminar", "online_course"],
    "deadline_months": "21",
    "deferral_pauses_clock": "on",
    "fee_notes": "Non-refundable once enrolment is confirmed.",
}


def test_admin_creates_a_programme_and_sees_its_rules(client, admin, provider):
    url = reverse("programme_create", args=[provider.slug])
    assert_accessible(Page(client.get(url)))
    response = client.post(url, PROGRAMME, follow=True)
    page = Page(response)
    assert "NPQEL 2026 created. Add its components next." in page.text
    assert "More than 90% of the components that count" in page.text
    assert "Seminar, Online course" in page.text
    assert "Deadline to present for final assessment 21 months" in page.text
    assert "Deferral pauses the clock Yes" in page.text
    assert "Areas of study and leadership behaviours" in page.text


def test_programme_form_says_what_to_fix_and_keeps_what_was_typed(client, admin, provider, programme):
    url = reverse("programme_create", args=[provider.slug])
    page = Page(client.post(url, {**PROGRAMME, "code": "npqel", "name": "Second NPQEL"}))
    assert page.text_of("id_code-error").endswith(
        f"{provider.name} already has a programme with the code “npqel”. Choose another code."
    )
    assert page.value_of("id_name") == "Second NPQEL"
    assert_accessible(page)

    page = Page(
        client.post(
            url, {**PROGRAMME, "duration_months": "0", "engagement_threshold": "120", "code": "no spaces"}
        )
    )
    assert "Enter the programme's length as a whole number of months, 1 or more, for example 18." in page.text
    assert "Use only letters, numbers and hyphens in the code, for example npqel-2021." in page.text
    assert Programme.objects.filter(provider=provider).count() == 1

    page = Page(client.post(url, {**PROGRAMME, "engagement_threshold": "120"}))
    assert page.text_of("id_engagement_threshold-error").endswith(
        "Enter the engagement threshold as a percentage from 0 to 100."
    )


def test_admin_changes_a_programmes_rules(client, admin, programme):
    url = reverse("programme_edit", args=[programme.pk])
    page = Page(client.get(url))
    assert page.value_of("id_engagement_threshold") == "90"
    assert_accessible(page)
    response = client.post(url, {**PROGRAMME, "code": "npqel", "engagement_threshold": "95%"})
    assert response.status_code == 302
    page = Page(client.get(reverse("programme_detail", args=[programme.pk])))
    assert "More than 95% of the components that count" in page.text
    assert page.all("h1")[0][1] == "NPQEL 2026"


# Rules: deadlines, fees, placements ----------------------------------------------------------------------


def test_admin_adds_and_removes_a_longer_deadline(client, admin, programme):
    rules = reverse("programme_rules", args=[programme.pk])
    add = reverse("extension_add", args=[programme.pk])
    response = client.post(add, {"applies_from": "2018-07-01", "months": "24", "reason": "COVID-19"})
    assert response.status_code == 302
    page = Page(client.get(rules))
    assert "18 months; 24 months for participants starting on or after 1 July 2018." in page.text
    assert page.row("1 July 2018") == [
        "1 July 2018",
        "24",
        "COVID-19",
        "Remove the deadline for starts on or after 1 July 2018",
    ]

    page = Page(client.post(add, {"applies_from": "2018-07-01", "months": "30"}))
    assert page.text_of("extension-applies_from-error").endswith(
        "There is already a policy for starts from 1 July 2018. Remove it first."
    )
    assert page.value_of("extension-months") == "30"
    page = Page(client.post(add, {"applies_from": "1st of July", "months": "0"}))
    assert "Enter a real date, for example 2018-07-01 for 1 July 2018." in page.text
    assert "Enter the deadline as a whole number of months, 1 or more, for example 18." in page.text
    assert_accessible(page)

    extension = DeadlineExtension.objects.get(programme=programme)
    client.post(reverse("extension_remove", args=[extension.pk]))
    assert "24 months" not in Page(client.get(rules)).text


def test_admin_adds_a_fee_with_an_instalment_plan(client, admin, programme):
    add = reverse("fee_option_add", args=[programme.pk])
    fee = {"name": "With executive coaching", "amount": "£4,800", "plus_vat": "on"}
    response = client.post(add, {**fee, "instalments": "0, 1800\n5, 2000\n11, £1,000"})
    assert response.status_code == 302
    page = Page(client.get(reverse("programme_rules", args=[programme.pk])))
    assert page.row("With executive coaching")[1] == (
        "£4,800 + VAT: £1,800 at the start, £2,000 after 5 months, £1,000 after 11 months"
    )
    assert_accessible(page)

    page = Page(
        client.post(add, {**fee, "name": "Without coaching", "instalments": "0, 1800\n5, 2000\n11, 900"})
    )
    assert page.text_of("fee-instalments-error").endswith(
        "The instalments add up to £4,700.00 but the fee is £4,800.00. Make them equal."
    )
    assert page.value_of("fee-instalments") == "0, 1800\n5, 2000\n11, 900"
    assert page.value_of("fee-name") == "Without coaching"
    assert "There is a problem" in page.text

    page = Page(
        client.post(add, {**fee, "name": "Without coaching", "instalments": "0, 1800\n5 2000\nsoon, 1000"})
    )
    assert "Line 2: write the months after the start, a comma, then the amount, e.g. 5, 2000" in page.text
    assert "Line 3: write the months after the start, a comma, then the amount, e.g. 5, 2000" in page.text

    page = Page(client.post(add, {**fee, "instalments": ""}))
    assert page.text_of("fee-name-error").endswith("There is already a fee called “With executive coaching”.")
    assert FeeOption.objects.filter(programme=programme).count() == 1

    client.post(reverse("fee_option_remove", args=[FeeOption.objects.get(programme=programme).pk]))
    assert "No fees recorded." in Page(client.get(reverse("programme_rules", args=[programme.pk]))).text


def test_admin_adds_and_removes_placements(client, admin, programme):
    add = reverse("placement_option_add", args=[programme.pk])
    client.post(add, {"name": "UK placement", "cost_from": "", "cost_to": ""})
    client.post(add, {"name": "USA", "cost_from": "1500", "cost_to": "2,500"})
    client.post(add, {"name": "Far East", "cost_from": "", "cost_to": "1800"})
    page = Page(client.get(reverse("programme_rules", args=[programme.pk])))
    assert page.row("UK placement")[1] == "Included"
    assert page.row("USA")[1] == "£1,500 to £2,500 extra"
    assert page.row("Far East")[1] == "£1,800 extra"

    page = Page(client.post(add, {"name": "Australia", "cost_from": "2500", "cost_to": "1500"}))
    assert page.text_of("placement-cost_to-error").endswith(
        "Enter a cost range from the lower to the higher amount, both £0 or more."
    )
    usa = PlacementOption.objects.get(programme=programme, name="USA")
    client.post(reverse("placement_option_remove", args=[usa.pk]))
    assert not [
        cells
        for cells in Page(client.get(reverse("programme_rules", args=[programme.pk]))).rows
        if cells[0] == "USA"
    ]


# Content framework ---------------------------------------------------------------------------------------


def test_content_framework_names_areas_as_each_framework_does(client, admin, programme, provider):
    page = Page(client.get(reverse("content_framework", args=[programme.pk])))
    assert page.all("h2", id="areas")[0][1] == "Content areas"
    reformed = ProgrammeFactory(provider=provider, code="reformed", framework=Programme.Framework.REFORMED)
    page = Page(client.get(reverse("content_framework", args=[reformed.pk])))
    assert page.all("h2", id="areas")[0][1] == "Areas of study"
    assert "Name of the area of study" in page.text


def test_admin_builds_the_content_framework(client, admin, programme):
    page_url = reverse("content_framework", args=[programme.pk])
    client.post(reverse("content_area_add", args=[programme.pk]), {"title": "Strategy and Improvement"})
    area = ContentArea.objects.get(programme=programme)
    ComponentFactory(programme=programme, title="Event day 3").content_areas.add(area)

    page = Page(
        client.post(reverse("content_area_add", args=[programme.pk]), {"title": "Strategy and Improvement"})
    )
    assert page.text_of("area-title-error").endswith(
        "“Strategy and Improvement” is already one of this programme's areas."
    )

    statement_add = reverse("statement_add", args=[area.pk])
    client.post(statement_add, {"kind": "learn_that", "text": "Strategy rests on evidence."})
    client.post(statement_add, {"kind": "learn_how", "text": "Set direction across schools."})
    page = Page(client.post(statement_add, {"kind": "learn_how", "text": ""}))
    assert page.text_of(f"statement-{area.pk}-text-error").endswith("Write the statement.")
    assert [a for a, _ in page.all("details") if "open" in a]  # the form with the error is shown open
    assert_accessible(page)

    page = Page(client.get(page_url))
    assert "Learn that… Strategy rests on evidence." in page.text
    assert "Learn how to… Set direction across schools." in page.text
    assert "Covered by: Event day 3." in page.text
    assert_accessible(page)

    response = client.post(reverse("content_area_edit", args=[area.pk]), {"title": "Strategy"})
    assert response.status_code == 302
    assert_accessible(Page(client.get(reverse("content_area_edit", args=[area.pk]))))

    statement = LearningStatement.objects.get(area=area, kind="learn_that")
    client.post(reverse("statement_remove", args=[statement.pk]))
    page = Page(client.get(page_url))
    assert "Strategy rests on evidence." not in page.text
    assert page.all("h3", id=f"area-{area.pk}")[0][1] == "Strategy"

    client.post(
        reverse("behaviour_add", args=[programme.pk]), {"title": "Resilience", "description": "Keeps going."}
    )
    page = Page(client.post(reverse("behaviour_add", args=[programme.pk]), {"title": ""}))
    assert page.text_of("behaviour-title-error").endswith(
        "Enter the name of the behaviour, for example Resilience."
    )
    assert "Resilience Keeps going." in Page(client.get(page_url)).text
    client.post(reverse("behaviour_remove", args=[LeadershipBehaviour.objects.get(programme=programme).pk]))
    client.post(reverse("content_area_remove", args=[area.pk]))
    page = Page(client.get(page_url))
    assert "No leadership behaviours recorded." in page.text
    assert "No content areas yet." in page.text


# Components, online courses, modules and tasks ------------------------------------------------------------

COMPONENT = {
    "kind": "webinar",
    "title": "Executive-led webinars",
    "description": "",
    "guided_learning_hours": "6",
    "mode": "online_live",
    "counts_toward_engagement": "programme",
    "required": "on",
}


def test_new_components_follow_the_programmes_engagement_rule_unless_told(client, admin, programme):
    url = reverse("component_create", args=[programme.pk])
    page = Page(client.get(url))
    assert "The programme counts these kinds: Webinar." in page.text
    assert_accessible(page)
    client.post(url, COMPONENT)
    client.post(url, {**COMPONENT, "kind": "seminar", "title": "Seminars", "guided_learning_hours": ""})
    client.post(
        url, {**COMPONENT, "kind": "seminar", "title": "Tutorials", "counts_toward_engagement": "yes"}
    )
    page = Page(client.get(reverse("programme_detail", args=[programme.pk])))
    assert page.row("Executive-led webinars")[3:] == ["6", "Yes", "Yes"]
    assert page.row("Seminars")[3:] == ["Not published", "No", "Yes"]
    assert page.row("Tutorials")[4] == "Yes"


def test_component_form_says_what_to_fix(client, admin, programme):
    url = reverse("component_create", args=[programme.pk])
    page = Page(client.post(url, {**COMPONENT, "guided_learning_hours": "-3"}))
    assert page.text_of("id_guided_learning_hours-error").endswith(
        "Guided learning hours cannot be negative. Leave it blank if you do not publish hours."
    )
    assert page.value_of("id_title") == "Executive-led webinars"
    page = Page(client.post(url, {**COMPONENT, "guided_learning_hours": "six", "kind": ""}))
    assert "Enter the hours as a number, for example 16 or 7.5, or leave it blank." in page.text
    assert page.text_of("id_kind-error").endswith("Choose what kind of component this is.")
    client.post(url, COMPONENT)
    page = Page(client.post(url, COMPONENT))
    assert page.text_of("id_title-error").endswith(
        "This programme already has a component called “Executive-led webinars”."
    )
    assert Component.objects.filter(programme=programme).count() == 1


def test_admin_changes_a_component_and_its_content_areas(client, admin, programme):
    area = ContentArea.objects.create(programme=programme, title="Working in Partnership")
    component = ComponentFactory(programme=programme, title="Webinars", counts_toward_engagement=True)
    url = reverse("component_edit", args=[component.pk])
    page = Page(client.get(url))
    assert page.value_of("id_guided_learning_hours") == "6"
    assert "As the programme's rule says" not in page.text  # an existing component says yes or no
    assert_accessible(page)
    changes = {**COMPONENT, "title": "Webinars", "counts_toward_engagement": "no", "content_areas": [area.pk]}
    client.post(url, {**changes, "required": ""})
    page = Page(client.get(reverse("component_detail", args=[component.pk])))
    assert "Counts toward engagement No" in page.text
    assert "Required No, optional" in page.text
    assert "Content areas Working in Partnership" in page.text


def test_removing_a_component_with_sessions_is_refused_with_the_reason(client, admin, programme):
    cohort = CohortFactory(programme=programme)
    session = SessionFactory(cohort=cohort)
    response = client.post(reverse("component_remove", args=[session.component.pk]), follow=True)
    assert (
        f"“{session.component.title}” has 1 scheduled session. Cancel them before removing the component."
        in Page(response).text
    )
    assert Component.objects.filter(pk=session.component.pk).exists()

    spare = ComponentFactory(programme=programme, title="Spare webinar")
    response = client.post(reverse("component_remove", args=[spare.pk]), follow=True)
    assert "“Spare webinar” removed from the programme." in Page(response).text
    assert not Component.objects.filter(pk=spare.pk).exists()


def test_admin_builds_an_online_course_of_modules_with_core_and_optional_tasks(client, admin, programme):
    course = ComponentFactory(programme=programme, kind="online_course", mode="self_directed", title="Course")
    page_url = reverse("component_detail", args=[course.pk])
    client.post(reverse("module_add", args=[course.pk]), {"title": "Setting direction"})
    module = Module.objects.get(course=course)
    page = Page(client.post(reverse("module_add", args=[course.pk]), {"title": "Setting direction"}))
    assert page.text_of("module-title-error").endswith(
        "This course already has a module called “Setting direction”."
    )

    task_add = reverse("task_add", args=[module.pk])
    client.post(task_add, {"title": "Read the case study", "core": "on"})
    client.post(task_add, {"title": "Further reading"})
    page = Page(client.post(task_add, {"title": ""}))
    assert page.text_of(f"task-{module.pk}-title-error").endswith("Enter the task's title.")
    page = Page(client.get(page_url))
    assert page.row("Read the case study")[:2] == ["Read the case study", "Core"]
    assert page.row("Further reading")[:2] == ["Further reading", "Optional"]
    assert [text for a, text in page.all("strong") if "govuk-tag" in a.get("class", "")] == [
        "Core",
        "Optional",
    ]
    assert_accessible(page)

    reading = Task.objects.get(module=module, title="Further reading")
    assert_accessible(Page(client.get(reverse("task_edit", args=[reading.pk]))))
    client.post(reverse("task_edit", args=[reading.pk]), {"title": "Further reading", "core": "on"})
    assert Page(client.get(page_url)).row("Further reading")[1] == "Core"
    client.post(reverse("task_remove", args=[reading.pk]))
    client.post(reverse("module_edit", args=[module.pk]), {"title": "Direction"})
    page = Page(client.get(page_url))
    assert [cells[0] for cells in page.rows] == ["Task", "Read the case study"]
    assert page.all("h3", id=f"module-{module.pk}")[0][1] == "1. Direction"
    assert "1 module" in Page(client.get(reverse("programme_detail", args=[programme.pk]))).text

    client.post(reverse("module_remove", args=[module.pk]))
    assert "This course has no modules yet." in Page(client.get(page_url)).text


def test_a_module_cannot_be_added_to_a_component_that_is_not_a_course(client, admin, programme):
    webinar = ComponentFactory(programme=programme, title="Webinars")
    page = Page(client.get(reverse("component_detail", args=[webinar.pk])))
    assert reverse("module_add", args=[webinar.pk]) not in page.form_actions()
    page = Page(client.post(reverse("module_add", args=[webinar.pk]), {"title": "Module 1"}))
    assert "“Webinars” is not an online course, so it cannot have modules." in page.text
    assert "There is a problem" in page.text
    assert page.value_of("module-title") == "Module 1"
    assert not Module.objects.exists()


# Who may change what -------------------------------------------------------------------------------------


def write_urls(objects: dict[str, object], provider) -> list[str]:
    o = objects
    pk = o["programme"].pk
    return [
        reverse("programme_create", args=[provider.slug]),
        reverse("programme_edit", args=[pk]),
        reverse("extension_add", args=[pk]),
        reverse("extension_remove", args=[o["extension"].pk]),
        reverse("fee_option_add", args=[pk]),
        reverse("fee_option_remove", args=[o["fee_option"].pk]),
        reverse("placement_option_add", args=[pk]),
        reverse("placement_option_remove", args=[o["placement"].pk]),
        reverse("content_area_add", args=[pk]),
        reverse("content_area_edit", args=[o["area"].pk]),
        reverse("content_area_remove", args=[o["area"].pk]),
        reverse("statement_add", args=[o["area"].pk]),
        reverse("statement_remove", args=[o["statement"].pk]),
        reverse("behaviour_add", args=[pk]),
        reverse("behaviour_remove", args=[o["behaviour"].pk]),
        reverse("component_create", args=[pk]),
        reverse("component_edit", args=[o["course"].pk]),
        reverse("component_remove", args=[o["course"].pk]),
        reverse("module_add", args=[o["course"].pk]),
        reverse("module_edit", args=[o["module"].pk]),
        reverse("module_remove", args=[o["module"].pk]),
        reverse("task_add", args=[o["module"].pk]),
        reverse("task_edit", args=[o["task"].pk]),
        reverse("task_remove", args=[o["task"].pk]),
    ]


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.COACH, Role.PLATFORM_STAFF])
def test_facilitators_coaches_and_platform_staff_read_but_cannot_change(client, provider, role):
    objects = timetable_for(CohortFactory(programme=ProgrammeFactory(provider=provider)), tag="own")
    client.force_login(person(role, provider))
    writes = write_urls(objects, provider)
    for name, pk in [
        ("programme_detail", objects["programme"].pk),
        ("programme_rules", objects["programme"].pk),
        ("content_framework", objects["programme"].pk),
        ("component_detail", objects["course"].pk),
    ]:
        page = Page(client.get(reverse(name, args=[pk])))
        assert not (page.hrefs() | page.form_actions()) & set(writes), name
        assert_accessible(page)
    assert "Task own Core" in Page(client.get(reverse("component_detail", args=[objects["course"].pk]))).text
    for url in writes:
        assert client.post(url, {"title": "Changed"}).status_code == 403, url
    for url in writes:
        if "/remove/" not in url and "/add/" not in url:
            assert client.get(url).status_code == 403, url
    assert Task.objects.filter(pk=objects["task"].pk, title="Task own").exists()


def test_admin_sees_change_links_and_another_providers_programme_answers_404(
    client, admin, provider, other_provider
):
    own = timetable_for(CohortFactory(programme=ProgrammeFactory(provider=provider)), tag="own")
    other = timetable_for(CohortFactory(programme=ProgrammeFactory(provider=other_provider)), tag="other")
    page = Page(client.get(reverse("component_detail", args=[own["course"].pk])))
    assert reverse("task_edit", args=[own["task"].pk]) in page.hrefs()
    assert reverse("task_remove", args=[own["task"].pk]) in page.form_actions()
    for url in write_urls(other, other_provider):
        if "/remove/" not in url and "/add/" not in url:
            assert client.get(url).status_code == 404, url
        assert client.post(url, {"title": "Changed"}).status_code == 404, url
    assert client.get(reverse("programme_detail", args=[other["programme"].pk])).status_code == 404
    assert Task.objects.filter(pk=other["task"].pk, title="Task other").exists()


def test_add_and_remove_addresses_take_only_posts(client, admin, programme):
    extension = DeadlineExtension.objects.create(
        programme=programme, applies_from=datetime.date(2018, 7, 1), months=24
    )
    assert client.get(reverse("extension_remove", args=[extension.pk])).status_code == 405
    assert client.get(reverse("extension_add", args=[programme.pk])).status_code == 405
    assert DeadlineExtension.objects.filter(pk=extension.pk).exists()


# Pinned query counts ---------------------------------------------------------------------------------------


def grow(programme, n: int) -> None:
    """n more of everything a design page lists."""
    for i in range(n):
        area = ContentArea.objects.create(
            programme=programme, title=f"Area {programme.pk}-{i}-{ContentArea.objects.count()}"
        )
        LearningStatement.objects.create(area=area, kind="learn_that", text="Learn that evidence matters.")
        LearningStatement.objects.create(area=area, kind="learn_how", text="Learn how to lead.")
        LeadershipBehaviour.objects.create(programme=programme, title=f"Behaviour {area.pk}")
        course = ComponentFactory(programme=programme, kind="online_course", mode="self_directed")
        course.content_areas.add(area)
        module = Module.objects.create(course=course, title=f"Module {area.pk}")
        Task.objects.create(module=module, title="Core task", core=True)
        Task.objects.create(module=module, title="Optional task", core=False)
        DeadlineExtension.objects.create(
            programme=programme,
            applies_from=datetime.date(2030, 1, 1) + datetime.timedelta(days=area.pk),
            months=24,
        )
        fee = FeeOption.objects.create(programme=programme, name=f"Fee {area.pk}", amount=Decimal("3000"))
        fee.instalments.create(months_after_start=0, amount=Decimal("1000"))
        fee.instalments.create(months_after_start=6, amount=Decimal("2000"))
        PlacementOption.objects.create(
            programme=programme, name=f"Placement {area.pk}", cost_from=1, cost_to=2
        )
        SessionFactory(cohort=CohortFactory(programme=programme), component=course)


PINNED = [
    # Signed in: session, user, roles (1), and for roles that need one the second-factor check; then the
    # page's own reads (the programme with its rules: 5 with the provider, deadline policies, fees,
    # instalments and placements).
    ("programme_detail", "programme", 12),  # + components, their content areas, cohorts
    ("programme_rules", "programme", 9),
    ("content_framework", "programme", 14),  # + areas, statements, components, their areas, behaviours
    ("component_detail", "course", 8),  # component, modules, tasks, content areas
]
SIGN_IN_QUERIES = {Role.PROVIDER_ADMIN: 0, Role.FACILITATOR: -1}  # a facilitator needs no second factor


@pytest.mark.parametrize(("name", "key", "queries"), PINNED, ids=[p[0] for p in PINNED])
@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.FACILITATOR])
def test_design_page_query_counts_are_pinned_and_flat(
    client, django_assert_num_queries, provider, name, key, queries, role
):
    objects = timetable_for(CohortFactory(programme=ProgrammeFactory(provider=provider)), tag="own")
    client.force_login(person(role, provider))
    queries += SIGN_IN_QUERIES[role]
    url = reverse(name, args=[objects[key].pk])
    grow(objects["programme"], 1)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow(objects["programme"], 5)
    for _ in range(3):
        Task.objects.create(module=objects["module"], title=f"Task {Task.objects.count()}")
        Module.objects.create(course=objects["course"], title=f"Module {Module.objects.count()}")
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200

"""The provider's DfE quality metrics page, its CSV and its PDF: three recruitment years side by side in the layout
providers publish, figures to two decimals, "Not available" where there is no target or nobody to count, a
status against each DfE goal, metric 7's verdicts with small groups not shown, and who may see them."""

import csv
import datetime
import io
from decimal import Decimal

import lxml.html
import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import RecruitmentTarget
from npqel.access import Role
from participants.models import Enrolment, EnrolmentChange, FeedbackRating
from tests.participants.factories import EnrolmentFactory, SchoolFactory
from tests.people import person
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db
YEARS = ["2019/20", "2020/21", "2021/22"]


def intake(programme, year):
    start = datetime.date(year, 10, 1)
    return CohortFactory(programme=programme, start_date=start, end_date=start + datetime.timedelta(days=500))


def place(cohort, *, withdrawn=False, rating=None, **participant):
    enrolment = EnrolmentFactory(
        cohort=cohort,
        status=Enrolment.Status.WITHDRAWN if withdrawn else Enrolment.Status.ACTIVE,
        **{f"participant__{k}": v for k, v in participant.items()},
    )
    if withdrawn:  # began, then left: started and withdrawn
        for from_status, to_status in (("accepted", "active"), ("active", "withdrawn")):
            EnrolmentChange.objects.create(
                enrolment=enrolment,
                from_status=from_status,
                to_status=to_status,
                effective_on=cohort.start_date,
            )
    if rating is not None:
        FeedbackRating.objects.create(enrolment=enrolment, rating=rating, rated_at=timezone.now())
    return enrolment


@pytest.fixture
def programme(provider):
    return ProgrammeFactory(provider=provider, code="npqel")


@pytest.fixture
def cohorts(provider, programme):
    """Four recruitment years of one programme, figures worked out by hand:
    - 2018/19: one place (too old to show by default);
    - 2019/20: 5 places against a target of 4 (125.00%, met), one from a school with 35% FSM against a 40% target
      (20.00% share, 50.00% of target), ratings 7 and 8 (7.50, met), everyone retained (no difference, met);
    - 2020/21: 12 women retained and 8 men withdrawn against a target of 40 (50.00%, not met; retention 60.00%: a
      significant difference by sex, not met), 3 disabled people (fewer than 5, not shown, nor the group beside
      them), ratings 5 and 6 (5.50, not met);
    - 2021/22: 2 places, no target, no ratings and one known group in every breakdown (not available)."""
    old = intake(programme, 2018)
    place(old)
    first, second, third = intake(programme, 2019), intake(programme, 2020), intake(programme, 2021)
    RecruitmentTarget.objects.create(
        provider=provider, recruitment_year="2019/20", recruitment_target=4, fsm_target_percent=Decimal("40")
    )
    RecruitmentTarget.objects.create(provider=provider, recruitment_year="2020/21", recruitment_target=40)
    place(first, rating=7, school=SchoolFactory(fsm_percent=Decimal("35")))
    place(first, rating=8)
    for _ in range(3):
        place(first)
    for n in range(12):
        place(second, sex="female", disability="yes" if n < 3 else "no", rating=5 if n == 0 else None)
    for n in range(8):
        place(second, sex="male", disability="no", withdrawn=True, rating=6 if n == 0 else None)
    place(third)
    place(third)
    return first, second, third


def page_of(client, user, provider, **params):
    client.force_login(user)
    return client.get(reverse("metrics", args=[provider.slug]), params)


def table(page: str, caption: str) -> dict[str, list[str]]:
    """The table whose caption starts with `caption`: its header row, then each row's cells by its heading."""
    tree = lxml.html.fromstring(page)
    for element in tree.iter("table"):
        found = element.find("caption")
        if found is not None and found.text_content().strip().startswith(caption):
            rows = {}
            for tr in element.iter("tr"):
                cells = [" ".join(cell.text_content().split()) for cell in tr]
                rows[cells[0]] = cells[1:]
            return rows
    raise AssertionError(f"No table captioned {caption!r}")


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PLATFORM_STAFF])
def test_three_latest_years_side_by_side_with_the_right_figures(client, provider, cohorts, role):
    response = page_of(client, person(role, provider), provider)
    assert response.status_code == 200
    page = response.content.decode()
    recruitment = table(page, "1. Recruitment")
    assert recruitment["Measure"] == YEARS  # the three latest, oldest first; 2018/19 left out
    assert recruitment["Recruitment target"] == ["4", "40", "Not available"]
    assert recruitment["Recruited"] == ["5", "20", "2"]
    assert recruitment["Percentage of target"] == ["125.00%", "50.00%", "Not available"]
    fsm = table(page, "2. Participants from schools with 30% or more")
    assert fsm["Target share"] == ["40.00%", "Not available", "Not available"]
    assert fsm["Actual share"] == ["20.00%", "0.00%", "0.00%"]
    assert fsm["Percentage of target"] == ["50.00%", "Not available", "Not available"]
    retention = table(page, "7. Retention, deferral and achievement")
    assert retention["Started"] == ["5", "20", "2"] and retention["Withdrawn"] == ["0", "8", "0"]
    assert retention["Retention"] == ["100.00%", "60.00%", "100.00%"]
    assert retention["Achievement"] == ["Not available"] * 3  # nobody has submitted yet
    feedback = table(page, "6. Participant feedback")
    assert feedback["Mean rating (0 to 10)"] == ["7.50", "5.50", "Not available"]
    assert "2018/19</th>" not in page


def test_a_status_against_each_dfe_goal_in_words(client, provider, cohorts):
    page = page_of(client, person(Role.PROVIDER_ADMIN, provider), provider).content.decode()
    goals = table(page, "Whether each goal was met")
    assert goals["Recruitment: 100% of target or more"] == ["Met", "Not met", "Not available"]
    assert goals["Participant feedback: a mean rating of 6 or more"] == ["Met", "Not met", "Not available"]
    assert goals["Presentation: 90% or more within the deadline"] == ["Not available"] * 3  # nobody presented
    assert goals["Assessment accuracy: 95% or more"] == ["Not available"] * 3
    # 2019/20: both FSM bands kept everyone (no difference); 2020/21: the men all left; 2021/22: one known group
    # in every breakdown, nothing to compare.
    assert goals["No significant difference between groups"] == ["Met", "Not met", "Not available"]
    assert '<strong class="govuk-tag govuk-tag--red">Not met</strong>' in page  # the word, not colour alone


def test_metric_7_gives_each_breakdowns_verdicts_and_hides_small_groups(client, provider, cohorts):
    page = page_of(client, person(Role.PROVIDER_ADMIN, provider), provider).content.decode()
    by_sex = table(page, "Sex: the test's verdict")
    assert by_sex["Retention"][0] == "Too few people to test"
    assert by_sex["Retention"][1].startswith("A significant difference at the 5% level (p ")
    sex_groups = table(page, "Sex, 2020/21")
    assert sex_groups["Female"][0] == "12 of 12 (100.00%)" and sex_groups["Male"][0] == "0 of 8 (0.00%)"
    disability = table(page, "Disability, 2020/21")
    # 3 disabled people: not shown, nor the 17 beside them, whose number would give the 3 away.
    assert disability["Yes"][:2] == ["Not shown"] * 2 and disability["No"][:2] == ["Not shown"] * 2
    assert "3 of 3" not in page and "of 17" not in page
    assert "The p-value is not published because a group is too small to show." in page


def test_one_programme_and_chosen_years(client, provider, programme, cohorts):
    other = ProgrammeFactory(provider=provider, code="npqel-north", name="NPQEL North")
    place(intake(other, 2019))
    admin = person(Role.PROVIDER_ADMIN, provider)
    everything = table(
        page_of(client, admin, provider, years="2018/19,2019/20").content.decode(), "1. Recruitment"
    )
    assert everything["Measure"] == ["2018/19", "2019/20"] and everything["Recruited"] == ["1", "6"]
    one = page_of(client, admin, provider, years="2019/20", programme="NPQEL").content.decode()
    assert table(one, "1. Recruitment")["Recruited"] == ["5"]
    assert "metrics.csv?years=2019%2F20&amp;programme=npqel" in one  # the downloads keep the choice


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"years": "2019/21"}, "“2019/21” is not a recruitment year."),
        ({"years": "2017/18,2018/19,2019/20,2020/21"}, "Choose up to 3 recruitment years"),
        ({"programme": "nope"}, "has no programme with the code “nope”"),
    ],
)
def test_a_wrong_choice_is_explained_and_the_latest_years_shown(client, provider, cohorts, params, problem):
    response = page_of(client, person(Role.PROVIDER_ADMIN, provider), provider, **params)
    assert response.status_code == 400
    page = response.content.decode()
    assert problem in page and "There is a problem" in page
    assert table(page, "1. Recruitment")["Measure"] == YEARS


def test_a_provider_without_cohorts_is_told_so(client, provider):
    admin = person(Role.PROVIDER_ADMIN, provider)
    page = page_of(client, admin, provider).content.decode()
    assert "has no cohorts yet, so there are no metrics to show" in page
    response = client.get(reverse("metrics_csv", args=[provider.slug]))
    assert response.status_code == 400 and "no cohorts yet" in response.content.decode()


def test_the_page_reads_in_a_fixed_number_of_queries(
    client, provider, programme, django_assert_max_num_queries
):
    cohorts = [intake(programme, year) for year in (2019, 2020, 2021)]
    for cohort in cohorts:
        place(cohort, sex="female", rating=7)
        place(cohort, sex="male", withdrawn=True)
    admin = person(Role.PROVIDER_ADMIN, provider)
    client.force_login(admin)
    url = reverse("metrics", args=[provider.slug])
    client.get(url)  # the session and anything cached once
    with django_assert_max_num_queries(
        25
    ) as few:  # the records read once for the three years, and the page's own
        client.get(url)
    for cohort in cohorts:
        for _ in range(6):
            place(cohort, sex="female", rating=9)
            place(cohort, sex="male", withdrawn=True, disability="yes")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert table(page, "1. Recruitment")["Recruited"] == ["14", "14", "14"]


def test_the_csv_holds_the_same_tables(client, provider, cohorts):
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    response = client.get(reverse("metrics_csv", args=[provider.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="olp-dfe-metrics-2019-20-2020-21-2021-22.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Metric", "Measure", *YEARS]
    by_measure = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert by_measure[("1. Recruitment", "Percentage of target")] == ["125.00%", "50.00%", "Not available"]
    assert by_measure[("6. Participant feedback", "Mean rating (0 to 10)")] == [
        "7.50",
        "5.50",
        "Not available",
    ]
    assert by_measure[("DfE goals", "Recruitment: 100% of target or more")] == [
        "Met",
        "Not met",
        "Not available",
    ]
    sex = "7. By group: Sex"
    assert by_measure[(sex, "Retention (retained of started): Male")] == [
        "0 of 0 (Not available)",
        "0 of 8 (0.00%)",
        "Not shown",  # the year's only group with people is small: its zero neighbours are hidden too
    ]
    assert by_measure[("7. By group: Disability", "Retention (retained of started): Yes")][1] == "Not shown"


def test_the_pdf_is_a_publishable_a4_of_the_same_tables(client, provider, cohorts):
    client.force_login(person(Role.PLATFORM_STAFF))
    response = client.get(reverse("metrics_pdf", args=[provider.slug]), {"years": "2019/20,2020/21"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="olp-dfe-metrics-2019-20-2020-21.pdf"' in response["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "DfE quality metrics" in text and "Outstanding Leaders Partnership" in text
    assert "Recruitment years 2019/20, 2020/21" in text and "2021/22" not in text
    assert "Percentage of target 125.00% 50.00%" in text
    assert "Recruitment: 100% of target or more Met Not met" in text
    assert f"Computed on {timezone.localdate():%-d %B %Y}" in text
    assert "Not shown" in text and "3 of 3" not in text


@pytest.mark.parametrize("name", ["metrics", "metrics_csv", "metrics_pdf"])
def test_only_admins_and_platform_staff_see_a_providers_metrics(
    client, provider, other_provider, cohorts, name
):
    url = reverse(name, args=[provider.slug])
    for role in (Role.FACILITATOR, Role.COACH, Role.ASSESSOR, Role.PARTICIPANT):
        client.force_login(person(role, provider))
        assert client.get(url).status_code == 403, role
    client.force_login(person(Role.PROVIDER_ADMIN, other_provider))
    assert client.get(url).status_code == 404
    client.force_login(person(Role.PROVIDER_ADMIN, provider))
    assert client.get(url).status_code == 200

"""Demo programmes: the five providers' NPQEL offerings as docs/DOMAIN.md describes them, with their rules,
content, components and hours, and a past and a current cohort each with a full timetable.

Past timetables are written out below; each current cohort's timetable is copied from the past one with
the same service an admin uses ("copy a previous cohort's timetable"), so the demo exercises it too.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from programmes import services
from programmes.models import (
    Cohort,
    Component,
    ContentArea,
    DeadlineExtension,
    DeliveryGroup,
    DeliveryPartner,
    FeeOption,
    Instalment,
    LeadershipBehaviour,
    LearningStatement,
    Module,
    PlacementOption,
    Programme,
    Provider,
    Session,
    Task,
)
from programmes.timetable import local_datetime

D = datetime.date
T = datetime.time
K = Component.Kind
M = Component.Mode

LEGACY_AREAS = [
    "Strategy and Improvement",
    "Teaching and Curriculum Excellence",
    "Leading with Impact",
    "Working in Partnership",
    "Managing Resources and Risks",
    "Increasing Capability",
]
LEGACY_BEHAVIOURS = [
    ("Commitment", "Committed to the school's purpose and to improving outcomes for every pupil."),
    ("Collaboration", "Works with others across schools and beyond to improve outcomes."),
    ("Personal drive", "Motivated to improve, and to grow the capability of others."),
    ("Resilience", "Keeps going in the face of setbacks, and helps others to."),
    ("Awareness", "Understands their own impact and the context they lead in."),
    ("Integrity", "Acts ethically, with honesty and transparency."),
    ("Respect", "Values and listens to the views of others."),
]
REFORMED_AREAS = [
    (
        "School culture",
        "Learn that a positive culture across schools rests on shared values, high expectations and routines.",
        "Learn how to establish and sustain a culture of high expectations across several schools.",
    ),
    (
        "Teaching",
        "Learn that great teaching is the biggest in-school influence on pupils' outcomes, and can be learned.",
        "Learn how to improve the quality of teaching across a group of schools.",
    ),
    (
        "Curriculum and Assessment",
        "Learn that a well-sequenced curriculum builds pupils' knowledge over time.",
        "Learn how to lead curriculum design and assessment across a trust.",
    ),
    (
        "Behaviour",
        "Learn that clear routines and consistent expectations create the conditions for learning.",
        "Learn how to lead consistent approaches to behaviour across several schools.",
    ),
    (
        "Additional and Special Educational Needs and Disabilities",
        "Learn that pupils with SEND are likely to need high-quality teaching adapted to their needs.",
        "Learn how to make sure every school meets its duties to pupils with SEND.",
    ),
    (
        "Professional Development",
        "Learn that effective professional development is sustained and builds knowledge, skills and techniques.",
        "Learn how to design professional development that improves teaching across a trust.",
    ),
    (
        "Organisational Management",
        "Learn that sound financial, estates and workforce management sustain improvement.",
        "Learn how to plan budgets, staffing and estates across several schools.",
    ),
    (
        "Implementation",
        "Learn that implementation is a process, not an event, and proceeds in stages.",
        "Learn how to explore, prepare, deliver and sustain change across schools.",
    ),
    (
        "Working in Partnership",
        "Learn that partnerships beyond the trust can bring capacity and expertise.",
        "Learn how to build partnerships with other trusts, local authorities and communities.",
    ),
    (
        "Governance and Accountability",
        "Learn that clear governance separates strategic oversight from executive leadership.",
        "Learn how to work with the board and account for the trust's performance.",
    ),
]


@dataclass
class ComponentSpec:
    kind: str
    title: str
    hours: Decimal | int | None
    mode: str
    counts: bool = True
    required: bool = True
    areas: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()  # online courses: module titles, each given two core tasks and one optional


@dataclass
class SessionSpec:
    component: str
    title: str
    day: datetime.date
    start: datetime.time
    end: datetime.time
    venue: str = ""
    online_link: str = ""
    group: str = ""
    capacity: int | None = None
    repeat_of: str = ""  # the title of the session this one repeats
    facilitated: bool = False  # by the provider's demo facilitator, where it has one


@dataclass
class CohortSpec:
    code: str
    intake: str
    start: datetime.date
    end: datetime.date
    targets: tuple[int, str, str]  # recruitment number, FSM ≥ 30 % share, non-White British share
    groups: tuple[tuple[str, str], ...] = ()
    sessions: tuple[SessionSpec, ...] = ()
    copy_from: str = ""  # a current cohort takes the timetable of this past cohort
    partner: str = ""


@dataclass
class ProgrammeSpec:
    slug: str
    framework: str
    name: str
    duration_months: int
    threshold: int
    comparison: str
    engagement_kinds: list[str]
    deadline_months: int
    deferral_pauses_clock: bool
    components: list[ComponentSpec]
    cohorts: list[CohortSpec]
    extensions: list[tuple[datetime.date, int, str]] = field(default_factory=list)
    fees: list[tuple[str, Decimal, bool, list[tuple[int, Decimal]]]] = field(default_factory=list)
    fee_notes: str = ""
    placements: list[tuple[str, int, int]] = field(default_factory=list)
    partners: list[tuple[str, str]] = field(default_factory=list)


def _course(title: str, topics: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{title}: {topic}" for topic in topics)


LEGACY_KINDS = [
    "launch_day",
    "residential",
    "event_day",
    "online_course",
    "coaching",
    "group_coaching",
    "webinar",
]
LEGACY_EXTENSION = [
    (D(2018, 7, 1), 24, "COVID-19 extension: 24 months for participants starting on or after 1 July 2018")
]
OLP_ZOOM = "https://meet.example.org/olp-npqel"
ASCL_ZOOM = "https://meet.example.org/ascl-npqel"
CUMBRIA_TEAMS = "https://meet.example.org/one-cumbria"
LLSE_ZOOM = "https://meet.example.org/llse-npqel"

OLP = ProgrammeSpec(
    slug="olp",
    framework="legacy",
    name="NPQEL (Outstanding Leaders Partnership)",
    duration_months=18,
    threshold=100,
    comparison="at_least",
    engagement_kinds=LEGACY_KINDS,
    deadline_months=18,
    deferral_pauses_clock=True,
    extensions=LEGACY_EXTENSION,
    fees=[("Self-funded place", Decimal("3890.00"), False, [(0, Decimal("3890.00"))])],
    fee_notes="Successful candidates may take credits towards a Level 7 PG Cert or Masters with a partner university.",
    components=[
        ComponentSpec(
            K.DIAGNOSTIC_360, "360° diagnostic", 3, M.SELF_DIRECTED, areas=("Leading with Impact",)
        ),
        ComponentSpec(K.RESIDENTIAL, "Residential 1 (days 1 and 2)", 16, M.IN_PERSON),
        ComponentSpec(
            K.EVENT_DAY,
            "Event day 3: Strategy and Improvement",
            8,
            M.IN_PERSON,
            areas=("Strategy and Improvement",),
        ),
        ComponentSpec(
            K.EVENT_DAY,
            "Event day 4: Teaching and Curriculum Excellence",
            8,
            M.IN_PERSON,
            areas=("Teaching and Curriculum Excellence",),
        ),
        ComponentSpec(
            K.RESIDENTIAL,
            "Residential 2 (days 5 and 6)",
            16,
            M.IN_PERSON,
            areas=("Managing Resources and Risks",),
        ),
        ComponentSpec(
            K.COACHING,
            "Performance coaching (individual)",
            6,
            M.ONLINE_LIVE,
            areas=("Increasing Capability",),
        ),
        ComponentSpec(K.GROUP_COACHING, "Performance coaching in peer challenge group", 3, M.ONLINE_LIVE),
        ComponentSpec(
            K.ONLINE_COURSE,
            "Online course: Strategy and Improvement",
            20,
            M.SELF_DIRECTED,
            areas=("Strategy and Improvement",),
            modules=("Setting direction", "Using evidence", "Leading change", "Evaluating impact"),
        ),
        ComponentSpec(
            K.ONLINE_COURSE,
            "Online course: Teaching and Curriculum Excellence",
            20,
            M.SELF_DIRECTED,
            areas=("Teaching and Curriculum Excellence",),
            modules=("Curriculum across schools", "Assessment", "Quality of teaching", "Closing gaps"),
        ),
        ComponentSpec(
            K.ONLINE_COURSE,
            "Online course: Managing Resources and Risks",
            20,
            M.SELF_DIRECTED,
            areas=("Managing Resources and Risks",),
            modules=(
                "Financial planning",
                "Estates and procurement",
                "Risk management",
                "Workforce planning",
            ),
        ),
        ComponentSpec(
            K.PEER_CHALLENGE_GROUP, "Peer challenge groups (peer led)", 0, M.ONLINE_LIVE, counts=False
        ),
        ComponentSpec(
            K.WEBINAR, "Executive-led webinars", 6, M.ONLINE_LIVE, areas=("Working in Partnership",)
        ),
        ComponentSpec(K.ONLINE_BRIEFING, "Online briefings", 6, M.ONLINE_LIVE, counts=False),
    ],
    cohorts=[
        CohortSpec(
            "2019-autumn",
            "autumn",
            D(2019, 10, 1),
            D(2021, 3, 31),
            (120, "4.00", "10.00"),
            groups=(("North", "North of England"), ("South", "London and the South East")),
            sessions=(
                SessionSpec(
                    "Residential 1 (days 1 and 2)",
                    "Residential Day 1: transition to executive leadership; 360 diagnostic reflection",
                    D(2019, 10, 10),
                    T(9, 0),
                    T(17, 30),
                    venue="Hallam Conference Centre, Sheffield",
                    capacity=60,
                ),
                SessionSpec(
                    "Residential 1 (days 1 and 2)",
                    "Residential Day 2: organisational structures; evidence to guide strategic change",
                    D(2019, 10, 11),
                    T(9, 0),
                    T(16, 0),
                    venue="Hallam Conference Centre, Sheffield",
                    capacity=60,
                ),
                SessionSpec(
                    "Online briefings",
                    "Online briefing 1: the assessment projects",
                    D(2019, 10, 22),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Executive-led webinars",
                    "Webinar: leading a growing trust",
                    D(2019, 11, 12),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Event day 3: Strategy and Improvement",
                    "Day 3: Strategy and Improvement (North)",
                    D(2019, 12, 5),
                    T(9, 30),
                    T(16, 30),
                    venue="Leeds Trinity University",
                    group="North",
                    capacity=30,
                    facilitated=True,
                ),
                SessionSpec(
                    "Event day 3: Strategy and Improvement",
                    "Day 3: Strategy and Improvement (South)",
                    D(2019, 12, 5),
                    T(9, 30),
                    T(16, 30),
                    venue="Friends House, London",
                    group="South",
                    capacity=30,
                ),
                SessionSpec(
                    "Executive-led webinars",
                    "Webinar: system leadership",
                    D(2020, 1, 14),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Online briefings",
                    "Online briefing 2: planning Task 1",
                    D(2020, 1, 28),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Event day 4: Teaching and Curriculum Excellence",
                    "Day 4: Teaching and Curriculum Excellence (North)",
                    D(2020, 2, 6),
                    T(9, 30),
                    T(16, 30),
                    venue="Leeds Trinity University",
                    group="North",
                    capacity=30,
                    facilitated=True,
                ),
                SessionSpec(
                    "Event day 4: Teaching and Curriculum Excellence",
                    "Day 4: Teaching and Curriculum Excellence (South)",
                    D(2020, 2, 6),
                    T(9, 30),
                    T(16, 30),
                    venue="Friends House, London",
                    group="South",
                    capacity=30,
                ),
                SessionSpec(
                    "Performance coaching in peer challenge group",
                    "Peer challenge group coaching 1 (North)",
                    D(2020, 3, 3),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                    group="North",
                    facilitated=True,
                ),
                SessionSpec(
                    "Performance coaching in peer challenge group",
                    "Peer challenge group coaching 1 (South)",
                    D(2020, 3, 4),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                    group="South",
                ),
                SessionSpec(
                    "Executive-led webinars",
                    "Webinar: financial sustainability",
                    D(2020, 3, 10),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Online briefings",
                    "Online briefing 3: planning Task 2",
                    D(2020, 4, 21),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Executive-led webinars",
                    "Webinar: governance",
                    D(2020, 5, 12),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
                SessionSpec(
                    "Residential 2 (days 5 and 6)",
                    "Residential Day 5: financial sustainability; governance; talent",
                    D(2020, 6, 18),
                    T(9, 0),
                    T(17, 30),
                    venue="Hallam Conference Centre, Sheffield",
                    capacity=60,
                ),
                SessionSpec(
                    "Residential 2 (days 5 and 6)",
                    "Residential Day 6: curriculum modelling and staffing; risk; project assessment readiness",
                    D(2020, 6, 19),
                    T(9, 0),
                    T(16, 0),
                    venue="Hallam Conference Centre, Sheffield",
                    capacity=60,
                ),
                SessionSpec(
                    "Performance coaching in peer challenge group",
                    "Peer challenge group coaching 2 (North)",
                    D(2020, 7, 7),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                    group="North",
                    facilitated=True,
                ),
                SessionSpec(
                    "Performance coaching in peer challenge group",
                    "Peer challenge group coaching 2 (South)",
                    D(2020, 7, 8),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                    group="South",
                ),
                SessionSpec(
                    "Online briefings",
                    "Online briefing 4: submitting your projects",
                    D(2020, 9, 15),
                    T(16, 0),
                    T(17, 30),
                    online_link=OLP_ZOOM,
                ),
            ),
        ),
        CohortSpec(
            "2020-spring",
            "spring",
            D(2020, 3, 3),
            D(2021, 8, 31),
            (60, "4.00", "10.00"),
            copy_from="2019-autumn",
        ),
        CohortSpec(
            "2026-autumn",
            "autumn",
            D(2026, 9, 29),
            D(2028, 3, 28),
            (120, "5.00", "12.00"),
            copy_from="2019-autumn",
        ),
    ],
)

ALLIANCE = ProgrammeSpec(
    slug="alliance",
    framework="legacy",
    name="NPQEL (Alliance of Leading Learning)",
    duration_months=18,
    threshold=100,
    comparison="at_least",
    engagement_kinds=LEGACY_KINDS,
    deadline_months=18,
    deferral_pauses_clock=False,
    extensions=LEGACY_EXTENSION,
    placements=[
        ("UK placement", 0, 0),
        ("Middle East", 1500, 2000),
        ("Far East", 1500, 2000),
        ("USA", 1500, 2500),
        ("Australia or New Zealand", 1500, 2500),
    ],
    components=[
        ComponentSpec(K.LAUNCH_DAY, "Launch day", None, M.IN_PERSON),
        ComponentSpec(
            K.DIAGNOSTIC_360, "Leadership diagnostic", None, M.SELF_DIRECTED, areas=("Leading with Impact",)
        ),
        ComponentSpec(
            K.RESIDENTIAL,
            "Weekend residential 1 (Thursday and Friday)",
            None,
            M.IN_PERSON,
            areas=("Strategy and Improvement",),
        ),
        ComponentSpec(
            K.RESIDENTIAL,
            "Weekend residential 2 (Thursday and Friday)",
            None,
            M.IN_PERSON,
            areas=("Working in Partnership",),
        ),
        ComponentSpec(
            K.ONLINE_COURSE,
            "Online learning",
            None,
            M.SELF_DIRECTED,
            areas=("Teaching and Curriculum Excellence", "Managing Resources and Risks"),
            modules=("Executive leadership", "Curriculum and standards", "Resources and risk"),
        ),
        ComponentSpec(
            K.SELF_DIRECTED, "Self-directed school-based tasks", None, M.SELF_DIRECTED, counts=False
        ),
        ComponentSpec(K.COACHING, "Business coach", None, M.ONLINE_LIVE, areas=("Increasing Capability",)),
        ComponentSpec(K.PLACEMENT, "Placement", None, M.IN_PERSON, areas=("Working in Partnership",)),
    ],
    cohorts=[
        CohortSpec(
            "2018-autumn",
            "autumn",
            D(2018, 9, 20),
            D(2020, 3, 20),
            (40, "4.00", "8.00"),
            sessions=(
                SessionSpec(
                    "Launch day",
                    "Launch day",
                    D(2018, 9, 20),
                    T(9, 30),
                    T(16, 0),
                    venue="Alliance Training Centre, Leicester",
                    capacity=45,
                ),
                SessionSpec(
                    "Weekend residential 1 (Thursday and Friday)",
                    "Residential 1, Thursday",
                    D(2018, 11, 15),
                    T(10, 0),
                    T(18, 0),
                    venue="Yarnfield Park, Stone",
                    capacity=45,
                ),
                SessionSpec(
                    "Weekend residential 1 (Thursday and Friday)",
                    "Residential 1, Friday",
                    D(2018, 11, 16),
                    T(9, 0),
                    T(15, 30),
                    venue="Yarnfield Park, Stone",
                    capacity=45,
                ),
                SessionSpec(
                    "Weekend residential 2 (Thursday and Friday)",
                    "Residential 2, Thursday",
                    D(2019, 3, 14),
                    T(10, 0),
                    T(18, 0),
                    venue="Yarnfield Park, Stone",
                    capacity=45,
                ),
                SessionSpec(
                    "Weekend residential 2 (Thursday and Friday)",
                    "Residential 2, Friday",
                    D(2019, 3, 15),
                    T(9, 0),
                    T(15, 30),
                    venue="Yarnfield Park, Stone",
                    capacity=45,
                ),
            ),
        ),
        CohortSpec(
            "2026-autumn",
            "autumn",
            D(2026, 9, 17),
            D(2028, 3, 16),
            (40, "5.00", "10.00"),
            copy_from="2018-autumn",
        ),
    ],
)

CUMBRIA = ProgrammeSpec(
    slug="one-cumbria",
    framework="reformed",
    name="NPQEL (One Cumbria delivery partner)",
    duration_months=18,
    threshold=90,
    comparison="at_least",
    engagement_kinds=[
        "online_course",
        "seminar",
        "formative_assessment",
        "community_of_practice",
        "change_project",
    ],
    deadline_months=21,
    deferral_pauses_clock=True,
    fee_notes="Funded places through the DfE scholarship for eligible schools.",
    partners=[("One Cumbria Teaching School Hub", "Cumbria")],
    components=[
        ComponentSpec(
            K.ONLINE_COURSE,
            "Online content (course cycles)",
            24,
            M.SELF_DIRECTED,
            areas=("School culture", "Teaching", "Curriculum and Assessment", "Behaviour"),
            modules=("Term 1 cycle", "Term 2 cycle", "Term 3 cycle", "Term 4 cycle", "Term 5 cycle"),
        ),
        ComponentSpec(K.FORMATIVE_ASSESSMENT, "Formative tasks", 5, M.SELF_DIRECTED),
        ComponentSpec(
            K.SEMINAR, "Face-to-face seminars", 12, M.IN_PERSON, areas=("Professional Development",)
        ),
        ComponentSpec(K.SEMINAR, "Online facilitated seminars", 20, M.ONLINE_LIVE),
        ComponentSpec(K.COMMUNITY_OF_PRACTICE, "Reflection and peer discussion", 6, M.ONLINE_LIVE),
        ComponentSpec(
            K.SEMINAR, "Implementation course live sessions", 5, M.ONLINE_LIVE, areas=("Implementation",)
        ),
        ComponentSpec(K.SELF_DIRECTED, "Structured reflection", 4, M.SELF_DIRECTED, counts=False),
        ComponentSpec(K.CHANGE_PROJECT, "Change project", 4, M.SELF_DIRECTED, areas=("Implementation",)),
    ],
    cohorts=[
        CohortSpec(
            "2022-autumn",
            "autumn",
            D(2022, 10, 3),
            D(2024, 3, 29),
            (30, "20.00", "5.00"),
            partner="One Cumbria Teaching School Hub",
            sessions=tuple(
                SessionSpec(
                    "Online facilitated seminars",
                    f"Online seminar {n + 1}",
                    D(2022, 10, 13) + datetime.timedelta(weeks=4 * n),
                    T(16, 0),
                    T(18, 0),
                    online_link=CUMBRIA_TEAMS,
                )
                for n in range(10)
            )
            + (
                SessionSpec(
                    "Face-to-face seminars",
                    "Seminar 1: culture and teaching",
                    D(2022, 11, 17),
                    T(13, 0),
                    T(17, 0),
                    venue="Rheged Centre, Penrith",
                    capacity=30,
                ),
                SessionSpec(
                    "Face-to-face seminars",
                    "Seminar 2: curriculum and behaviour",
                    D(2023, 3, 16),
                    T(13, 0),
                    T(17, 0),
                    venue="Rheged Centre, Penrith",
                    capacity=30,
                ),
                SessionSpec(
                    "Face-to-face seminars",
                    "Seminar 3: leading professional development",
                    D(2023, 6, 15),
                    T(13, 0),
                    T(17, 0),
                    venue="Rheged Centre, Penrith",
                    capacity=30,
                ),
                SessionSpec(
                    "Reflection and peer discussion",
                    "Peer discussion 1",
                    D(2022, 12, 6),
                    T(16, 0),
                    T(17, 30),
                    online_link=CUMBRIA_TEAMS,
                ),
                SessionSpec(
                    "Reflection and peer discussion",
                    "Peer discussion 2",
                    D(2023, 2, 7),
                    T(16, 0),
                    T(17, 30),
                    online_link=CUMBRIA_TEAMS,
                ),
                SessionSpec(
                    "Reflection and peer discussion",
                    "Peer discussion 3",
                    D(2023, 5, 9),
                    T(16, 0),
                    T(17, 30),
                    online_link=CUMBRIA_TEAMS,
                ),
                SessionSpec(
                    "Reflection and peer discussion",
                    "Peer discussion 4",
                    D(2023, 9, 12),
                    T(16, 0),
                    T(17, 30),
                    online_link=CUMBRIA_TEAMS,
                ),
                SessionSpec(
                    "Implementation course live sessions",
                    "Implementation 1: explore and prepare",
                    D(2023, 10, 12),
                    T(15, 30),
                    T(18, 0),
                    online_link=CUMBRIA_TEAMS,
                ),
                SessionSpec(
                    "Implementation course live sessions",
                    "Implementation 2: deliver and sustain",
                    D(2023, 11, 9),
                    T(15, 30),
                    T(18, 0),
                    online_link=CUMBRIA_TEAMS,
                ),
            ),
        ),
        CohortSpec(
            "2026-autumn",
            "autumn",
            D(2026, 10, 5),
            D(2028, 4, 4),
            (30, "22.00", "5.00"),
            copy_from="2022-autumn",
            partner="One Cumbria Teaching School Hub",
        ),
    ],
)

LLSE = ProgrammeSpec(
    slug="llse",
    framework="reformed",
    name="NPQEL (Winchester and LLSE)",
    duration_months=18,
    threshold=90,
    comparison="more_than",
    engagement_kinds=[
        "event_day",
        "seminar",
        "webinar",
        "coaching",
        "community_of_practice",
        "self_audit",
        "formative_assessment",
    ],
    deadline_months=21,
    deferral_pauses_clock=False,
    fee_notes="100% engagement is expected; more than 90% is required.",
    partners=[("Leadership Learning South East", "South East")],
    components=[
        ComponentSpec(
            K.EVENT_DAY,
            "Face-to-face workshops",
            16,
            M.IN_PERSON,
            areas=("School culture", "Teaching", "Implementation"),
        ),
        ComponentSpec(
            K.SEMINAR, "Seminars", 10, M.ONLINE_LIVE, areas=("Curriculum and Assessment", "Behaviour")
        ),
        ComponentSpec(K.COACHING, "Coaching", 6, M.ONLINE_LIVE),
        ComponentSpec(
            K.WEBINAR,
            "Webinars",
            8,
            M.ONLINE_LIVE,
            areas=("Organisational Management", "Governance and Accountability"),
        ),
        ComponentSpec(K.SELF_DIRECTED, "Self-directed learning", 10, M.SELF_DIRECTED, counts=False),
        ComponentSpec(
            K.COMMUNITY_OF_PRACTICE,
            "Communities of practice",
            6,
            M.ONLINE_LIVE,
            areas=("Working in Partnership",),
        ),
        ComponentSpec(K.SELF_AUDIT, "Self-audit", 4, M.SELF_DIRECTED),
        ComponentSpec(K.FORMATIVE_ASSESSMENT, "Formative assessment", 2, M.SELF_DIRECTED),
        ComponentSpec(K.CASE_STUDY, "Case study", 8, M.SELF_DIRECTED, counts=False),
    ],
    cohorts=[
        CohortSpec(
            "2023-spring",
            "spring",
            D(2023, 2, 6),
            D(2024, 8, 30),
            (50, "10.00", "15.00"),
            partner="Leadership Learning South East",
            groups=(("Hampshire", "Hampshire and the Isle of Wight"), ("Kent and Sussex", "Kent and Sussex")),
            sessions=(
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 1: culture and teaching",
                    D(2023, 2, 16),
                    T(9, 30),
                    T(13, 30),
                    venue="University of Winchester",
                    group="Hampshire",
                    facilitated=True,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 1: culture and teaching",
                    D(2023, 2, 17),
                    T(9, 30),
                    T(13, 30),
                    venue="Amex Stadium, Brighton",
                    group="Kent and Sussex",
                ),
                SessionSpec(
                    "Seminars",
                    "Seminar 1: curriculum",
                    D(2023, 3, 9),
                    T(15, 30),
                    T(17, 30),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Webinars",
                    "Webinar 1: finance and estates",
                    D(2023, 3, 23),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Webinars",
                    "Webinar 1: finance and estates (repeat)",
                    D(2023, 3, 28),
                    T(10, 0),
                    T(12, 0),
                    online_link=LLSE_ZOOM,
                    repeat_of="Webinar 1: finance and estates",
                ),
                SessionSpec(
                    "Communities of practice",
                    "Community of practice 1",
                    D(2023, 4, 20),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 2: implementation",
                    D(2023, 5, 18),
                    T(9, 30),
                    T(13, 30),
                    venue="University of Winchester",
                    group="Hampshire",
                    facilitated=True,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 2: implementation",
                    D(2023, 5, 19),
                    T(9, 30),
                    T(13, 30),
                    venue="Amex Stadium, Brighton",
                    group="Kent and Sussex",
                ),
                SessionSpec(
                    "Seminars",
                    "Seminar 2: behaviour",
                    D(2023, 6, 8),
                    T(15, 30),
                    T(17, 30),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Webinars",
                    "Webinar 2: governance",
                    D(2023, 6, 22),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Communities of practice",
                    "Community of practice 2",
                    D(2023, 9, 21),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Seminars",
                    "Seminar 3: SEND",
                    D(2023, 10, 12),
                    T(15, 30),
                    T(17, 30),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 3: professional development",
                    D(2023, 11, 16),
                    T(9, 30),
                    T(13, 30),
                    venue="University of Winchester",
                    group="Hampshire",
                    facilitated=True,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 3: professional development",
                    D(2023, 11, 17),
                    T(9, 30),
                    T(13, 30),
                    venue="Amex Stadium, Brighton",
                    group="Kent and Sussex",
                ),
                SessionSpec(
                    "Webinars",
                    "Webinar 3: accountability",
                    D(2024, 1, 18),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Communities of practice",
                    "Community of practice 3",
                    D(2024, 2, 22),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Seminars",
                    "Seminar 4: partnerships",
                    D(2024, 3, 7),
                    T(15, 30),
                    T(17, 30),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 4: sustaining change",
                    D(2024, 4, 18),
                    T(9, 30),
                    T(13, 30),
                    venue="University of Winchester",
                    group="Hampshire",
                    facilitated=True,
                ),
                SessionSpec(
                    "Face-to-face workshops",
                    "Workshop 4: sustaining change",
                    D(2024, 4, 19),
                    T(9, 30),
                    T(13, 30),
                    venue="Amex Stadium, Brighton",
                    group="Kent and Sussex",
                ),
                SessionSpec(
                    "Webinars",
                    "Webinar 4: case study preparation",
                    D(2024, 5, 16),
                    T(16, 0),
                    T(18, 0),
                    online_link=LLSE_ZOOM,
                ),
                SessionSpec(
                    "Seminars",
                    "Seminar 5: case study clinic",
                    D(2024, 6, 6),
                    T(15, 30),
                    T(17, 30),
                    online_link=LLSE_ZOOM,
                ),
            ),
        ),
        CohortSpec(
            "2026-spring",
            "spring",
            D(2026, 2, 2),
            D(2027, 7, 30),
            (50, "12.00", "15.00"),
            copy_from="2023-spring",
            partner="Leadership Learning South East",
        ),
    ],
)

ASCL = ProgrammeSpec(
    slug="ascl",
    framework="legacy",
    name="NPQEL (ASCL)",
    duration_months=15,
    threshold=100,
    comparison="at_least",
    engagement_kinds=LEGACY_KINDS,
    deadline_months=18,
    deferral_pauses_clock=False,
    extensions=LEGACY_EXTENSION,
    fees=[
        (
            "With executive coaching",
            Decimal("4800.00"),
            True,
            [(0, Decimal("1800.00")), (5, Decimal("2000.00")), (11, Decimal("1000.00"))],
        ),
        (
            "Without coaching",
            Decimal("4300.00"),
            True,
            [(0, Decimal("1800.00")), (5, Decimal("2000.00")), (11, Decimal("500.00"))],
        ),
    ],
    fee_notes="Fees are non-refundable once enrolment is confirmed. Instalments fall in October, March and September.",
    components=[
        ComponentSpec(K.DIAGNOSTIC_360, "360° review at the start", None, M.SELF_DIRECTED),
        ComponentSpec(
            K.WEBINAR,
            "Introductory webinars",
            None,
            M.ONLINE_LIVE,
            areas=("Strategy and Improvement", "Leading with Impact"),
        ),
        ComponentSpec(K.SEMINAR, "Online tutorials", None, M.ONLINE_LIVE),
        ComponentSpec(
            K.ONLINE_COURSE,
            "Online learning materials",
            None,
            M.SELF_DIRECTED,
            areas=tuple(LEGACY_AREAS),
            modules=(
                "Strategy and improvement",
                "Teaching and curriculum",
                "Partnership",
                "Resources and risk",
            ),
        ),
        ComponentSpec(
            K.COACHING, "Executive coaching or mentoring", None, M.ONLINE_LIVE, counts=False, required=False
        ),
        ComponentSpec(
            K.ONLINE_BRIEFING, "Choosing your assessment projects", None, M.ONLINE_LIVE, counts=False
        ),
        ComponentSpec(K.DIAGNOSTIC_360, "360° review at the end", None, M.SELF_DIRECTED),
    ],
    cohorts=[
        CohortSpec(
            "2020-october",
            "autumn",
            D(2020, 10, 6),
            D(2022, 1, 31),
            (80, "4.00", "10.00"),
            sessions=(
                SessionSpec(
                    "Introductory webinars",
                    "Introductory Webinar Part 1",
                    D(2020, 10, 6),
                    T(13, 30),
                    T(15, 0),
                    online_link=ASCL_ZOOM,
                ),
                SessionSpec(
                    "Introductory webinars",
                    "Introductory Webinar Part 1 (REPEAT)",
                    D(2020, 10, 7),
                    T(10, 0),
                    T(11, 30),
                    online_link=ASCL_ZOOM,
                    repeat_of="Introductory Webinar Part 1",
                ),
                SessionSpec(
                    "Introductory webinars",
                    "Introductory Webinar Part 2",
                    D(2020, 10, 14),
                    T(10, 0),
                    T(11, 15),
                    online_link=ASCL_ZOOM,
                ),
                SessionSpec(
                    "Introductory webinars",
                    "Introductory Webinar Part 2 (REPEAT)",
                    D(2020, 10, 16),
                    T(10, 0),
                    T(11, 15),
                    online_link=ASCL_ZOOM,
                    repeat_of="Introductory Webinar Part 2",
                ),
                SessionSpec(
                    "Online tutorials",
                    "Tutorial 1: planning your projects",
                    D(2020, 11, 18),
                    T(16, 0),
                    T(17, 0),
                    online_link=ASCL_ZOOM,
                ),
                SessionSpec(
                    "Choosing your assessment projects",
                    "Choosing your assessment projects",
                    D(2020, 12, 2),
                    T(16, 0),
                    T(17, 0),
                    online_link=ASCL_ZOOM,
                ),
                SessionSpec(
                    "Online tutorials",
                    "Tutorial 2: evidence of impact",
                    D(2021, 2, 10),
                    T(16, 0),
                    T(17, 0),
                    online_link=ASCL_ZOOM,
                ),
                SessionSpec(
                    "Online tutorials",
                    "Tutorial 3: writing your accounts",
                    D(2021, 5, 12),
                    T(16, 0),
                    T(17, 0),
                    online_link=ASCL_ZOOM,
                ),
            ),
        ),
        CohortSpec(
            "2026-october",
            "autumn",
            D(2026, 10, 6),
            D(2028, 1, 31),
            (80, "5.00", "12.00"),
            copy_from="2020-october",
        ),
    ],
)

PROGRAMMES = [OLP, ALLIANCE, CUMBRIA, LLSE, ASCL]


@transaction.atomic
def demo_programmes_load(*, facilitators: dict[str, User]) -> dict[str, list[Cohort]]:
    """Create each demo programme's content and cohorts once (a programme with components is left as it is).

    Returns each provider's cohorts, past first. `facilitators` maps a provider slug to its demo facilitator.
    """
    cohorts: dict[str, list[Cohort]] = {}
    for spec in PROGRAMMES:
        provider = Provider.objects.get(slug=spec.slug)
        programme, _ = Programme.objects.update_or_create(
            provider=provider,
            code="npqel",
            defaults={
                "name": spec.name,
                "framework": spec.framework,
                "duration_months": spec.duration_months,
                "engagement_threshold": Decimal(spec.threshold),
                "engagement_comparison": spec.comparison,
                "engagement_kinds": spec.engagement_kinds,
                "deadline_months": spec.deadline_months,
                "deferral_pauses_clock": spec.deferral_pauses_clock,
                "fee_notes": spec.fee_notes,
            },
        )
        if not programme.components.exists():
            _load_rules_and_content(spec, programme)
        cohorts[spec.slug] = _load_cohorts(spec, programme, facilitators.get(spec.slug))
    return cohorts


def _load_rules_and_content(spec: ProgrammeSpec, programme: Programme) -> None:
    for applies_from, months, reason in spec.extensions:
        DeadlineExtension.objects.create(
            programme=programme, applies_from=applies_from, months=months, reason=reason
        )
    for name, amount, plus_vat, plan in spec.fees:
        option = FeeOption.objects.create(programme=programme, name=name, amount=amount, plus_vat=plus_vat)
        for months, part in plan:
            Instalment.objects.create(fee_option=option, months_after_start=months, amount=part)
    for name, cost_from, cost_to in spec.placements:
        PlacementOption.objects.create(programme=programme, name=name, cost_from=cost_from, cost_to=cost_to)
    for name, region in spec.partners:
        DeliveryPartner.objects.get_or_create(
            provider=programme.provider, name=name, defaults={"region": region}
        )

    areas: dict[str, ContentArea] = {}
    if spec.framework == "legacy":
        for position, title in enumerate(LEGACY_AREAS, start=1):
            areas[title] = ContentArea.objects.create(programme=programme, title=title, position=position)
        for position, (title, description) in enumerate(LEGACY_BEHAVIOURS, start=1):
            LeadershipBehaviour.objects.create(
                programme=programme, title=title, description=description, position=position
            )
    else:
        for position, (title, learn_that, learn_how) in enumerate(REFORMED_AREAS, start=1):
            area = ContentArea.objects.create(programme=programme, title=title, position=position)
            LearningStatement.objects.create(
                area=area, kind=LearningStatement.Kind.LEARN_THAT, text=learn_that, position=1
            )
            LearningStatement.objects.create(
                area=area, kind=LearningStatement.Kind.LEARN_HOW, text=learn_how, position=1
            )
            areas[title] = area

    for position, c in enumerate(spec.components, start=1):
        component = Component.objects.create(
            programme=programme,
            kind=c.kind,
            title=c.title,
            guided_learning_hours=None if c.hours is None else Decimal(c.hours),
            mode=c.mode,
            counts_toward_engagement=c.counts,
            required=c.required,
            position=position,
        )
        component.content_areas.set([areas[title] for title in c.areas])
        for m_position, topic in enumerate(c.modules, start=1):
            module = Module.objects.create(course=component, title=topic, position=m_position)
            # References as a learning platform's export writes them: course, module, task.
            ref = f"C{position}-M{m_position}"
            Task.objects.bulk_create(
                [
                    Task(
                        module=module,
                        title=f"Read and reflect: {topic.lower()}",
                        reference=f"{ref}-T1",
                        core=True,
                        position=1,
                    ),
                    Task(
                        module=module,
                        title=f"Apply it in your schools: {topic.lower()}",
                        reference=f"{ref}-T2",
                        core=True,
                        position=2,
                    ),
                    Task(
                        module=module,
                        title=f"Further reading: {topic.lower()}",
                        reference=f"{ref}-T3",
                        core=False,
                        position=3,
                    ),
                ]
            )


def _load_cohorts(spec: ProgrammeSpec, programme: Programme, facilitator: User | None) -> list[Cohort]:
    loaded: dict[str, Cohort] = {}
    components = {c.title: c for c in programme.components.all()}
    partners = {p.name: p for p in programme.provider.delivery_partners.all()}
    for c in spec.cohorts:
        recruitment, fsm, nwb = c.targets
        cohort, _ = Cohort.objects.update_or_create(
            programme=programme,
            code=c.code,
            defaults={
                "intake": c.intake,
                "start_date": c.start,
                "end_date": c.end,
                "delivery_partner": partners.get(c.partner),
                "recruitment_target": recruitment,
                "fsm_target_percent": Decimal(fsm),
                "non_white_british_target_percent": Decimal(nwb),
            },
        )
        loaded[c.code] = cohort
        if cohort.sessions.exists():
            continue
        if c.copy_from:
            services.copy_timetable(source=loaded[c.copy_from], target=cohort)
            continue
        groups = {}
        for name, region in c.groups:
            groups[name], _ = DeliveryGroup.objects.get_or_create(
                cohort=cohort, name=name, defaults={"region": region}
            )
        if facilitator is not None and groups:
            next(iter(groups.values())).facilitators.add(facilitator)
        by_title: dict[str, Session] = {}
        for s in c.sessions:
            session = Session.objects.create(
                cohort=cohort,
                component=components[s.component],
                group=groups.get(s.group),
                title=s.title,
                starts_at=local_datetime(s.day, s.start),
                ends_at=local_datetime(s.day, s.end),
                venue=s.venue,
                online_link=s.online_link,
                capacity=s.capacity,
                facilitator=facilitator if s.facilitated else None,
                repeat_of=by_title[s.repeat_of] if s.repeat_of else None,
            )
            by_title.setdefault(s.title, session)
    return list(loaded.values())

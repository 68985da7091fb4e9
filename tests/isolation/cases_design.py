"""Isolation-matrix cases for the programme design pages (see test_matrix.py).

Reading pages need VIEW_COHORTS; every change needs MANAGE_PROGRAMMES. Edits post the object's own values, so
the own provider's request succeeds (302) without changing what later cases rely on. Removes act on a fresh
object made for the request, so they never take away an object another case (or another module's case) uses.
"""

import datetime
from collections.abc import Callable

from npqel.access import Action
from programmes.models import (
    ContentArea,
    DeadlineExtension,
    FeeOption,
    LeadershipBehaviour,
    LearningStatement,
    Module,
    PlacementOption,
    Task,
)
from tests.isolation.cases import Scoped
from tests.programmes.factories import ComponentFactory

OK = (302,)


def _programme(o: dict[str, object]) -> dict[str, object]:
    return {"pk": o["programme"].pk}


def _fresh(model: type, **fields: object) -> dict[str, object]:
    """The pk of a new row, made only to be removed by the request."""
    return {"pk": model.objects.create(**fields).pk}


# The own provider's objects as build_world() makes them (tests/programmes/factories.py), posted back unchanged.
PROGRAMME_AS_IT_IS = {
    "name": "NPQEL (Own Provider)",
    "code": "npqel",
    "framework": "reformed",
    "duration_months": "18",
    "engagement_threshold": "90",
    "engagement_comparison": "at_least",
    "deadline_months": "18",
}
WEBINAR_AS_IT_IS = {
    "kind": "webinar",
    "title": "Webinar own",
    "guided_learning_hours": "6",
    "mode": "online_live",
    "counts_toward_engagement": "yes",
    "required": "on",
}

DESIGN_SCOPED: dict[str, Scoped] = {
    # Reading
    "programme_detail": Scoped(Action.VIEW_COHORTS, _programme),
    "programme_rules": Scoped(Action.VIEW_COHORTS, _programme),
    "content_framework": Scoped(Action.VIEW_COHORTS, _programme),
    "component_detail": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["course"].pk}),
    # Programmes
    "programme_create": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"slug": o["provider"].slug},
        method="post",
        data={**PROGRAMME_AS_IT_IS, "name": "NPQEL 2026", "code": "npqel-2026"},
        ok=OK,
    ),
    "programme_edit": Scoped(
        Action.MANAGE_PROGRAMMES, _programme, method="post", data=PROGRAMME_AS_IT_IS, ok=OK
    ),
    # Rules
    "extension_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        _programme,
        method="post",
        data={"applies_from": "2020-09-01", "months": "30", "reason": "Second extension"},
        ok=OK,
    ),
    "extension_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(
            DeadlineExtension, programme=o["programme"], applies_from=datetime.date(2021, 1, 1), months=20
        ),
        method="post",
        ok=OK,
    ),
    "fee_option_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        _programme,
        method="post",
        data={
            "name": "With executive coaching",
            "amount": "4800",
            "plus_vat": "on",
            "instalments": "0, 1800\n5, 2000\n11, 1000",
        },
        ok=OK,
    ),
    "fee_option_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(FeeOption, programme=o["programme"], name="Fee to remove", amount=100),
        method="post",
        ok=OK,
    ),
    "placement_option_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        _programme,
        method="post",
        data={"name": "USA", "cost_from": "1500", "cost_to": "2500"},
        ok=OK,
    ),
    "placement_option_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(PlacementOption, programme=o["programme"], name="Placement to remove"),
        method="post",
        ok=OK,
    ),
    # Content framework
    "content_area_add": Scoped(
        Action.MANAGE_PROGRAMMES, _programme, method="post", data={"title": "Governance"}, ok=OK
    ),
    "content_area_edit": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["area"].pk},
        method="post",
        data={"title": "Area own"},
        ok=OK,
    ),
    "content_area_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(ContentArea, programme=o["programme"], title="Area to remove"),
        method="post",
        ok=OK,
    ),
    "statement_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["area"].pk},
        method="post",
        data={"kind": "learn_how", "text": "Learn how to lead change across schools."},
        ok=OK,
    ),
    "statement_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(LearningStatement, area=o["area"], kind="learn_how", text="Statement to remove"),
        method="post",
        ok=OK,
    ),
    "behaviour_add": Scoped(
        Action.MANAGE_PROGRAMMES, _programme, method="post", data={"title": "Resilience"}, ok=OK
    ),
    "behaviour_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(LeadershipBehaviour, programme=o["programme"], title="Behaviour to remove"),
        method="post",
        ok=OK,
    ),
    # Components
    "component_create": Scoped(
        Action.MANAGE_PROGRAMMES,
        _programme,
        method="post",
        data={
            "kind": "seminar",
            "title": "Seminars",
            "guided_learning_hours": "10",
            "mode": "in_person",
            "counts_toward_engagement": "programme",
            "required": "on",
        },
        ok=OK,
    ),
    "component_edit": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["component"].pk},
        method="post",
        data=WEBINAR_AS_IT_IS,
        ok=OK,
    ),
    "component_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": ComponentFactory(programme=o["programme"], title="Component to remove").pk},
        method="post",
        ok=OK,
    ),
    # Online courses: modules and tasks
    "module_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["course"].pk},
        method="post",
        data={"title": "Evaluating impact"},
        ok=OK,
    ),
    "module_edit": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["module"].pk},
        method="post",
        data={"title": "Module own"},
        ok=OK,
    ),
    "module_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(Module, course=o["course"], title="Module to remove"),
        method="post",
        ok=OK,
    ),
    "task_add": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["module"].pk},
        method="post",
        data={"title": "Reflect on your context", "core": "on"},
        ok=OK,
    ),
    "task_edit": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: {"pk": o["task"].pk},
        method="post",
        data={"title": "Task own", "core": "on"},
        ok=OK,
    ),
    "task_remove": Scoped(
        Action.MANAGE_PROGRAMMES,
        lambda o: _fresh(Task, module=o["module"], title="Task to remove"),
        method="post",
        ok=OK,
    ),
}
# No design page lists rows of several providers: every one belongs to one programme.
DESIGN_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}

"""Isolation-matrix cases for the programme, component, cohort, group and session API (see test_matrix.py).

Each detail URL answers GET, PATCH and (most) DELETE. The matrix keys its cases by URL name, so the PATCH
and DELETE cases of a URL are keyed by `AlsoAt(name)`: the same name for `reverse`, but a key of its own.
Group and session cases each make a fresh group or session, so they neither depend on the order of the other
cases (some remove the world's group and session) nor take away an object another case asks for.
"""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped
from tests.programmes.factories import ComponentFactory, DeliveryGroupFactory, SessionFactory


class AlsoAt(str):
    """A URL name already among the cases, for another case at that URL (its PATCH or DELETE): equal only
    to itself, so a dict keeps both, while `name in cases` still finds the URL by its plain name."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__


JSON = "application/json"
MANAGE = Action.MANAGE_PROGRAMMES


def fresh_component(o: dict[str, object]) -> dict[str, object]:
    return {"pk": ComponentFactory(programme=o["programme"]).pk}


def fresh_group(o: dict[str, object]) -> dict[str, object]:
    return {"pk": DeliveryGroupFactory(cohort=o["cohort"]).pk}


def fresh_session(o: dict[str, object]) -> dict[str, object]:
    return {"pk": SessionFactory(cohort=o["cohort"], component=o["component"]).pk}


def patch(kwargs: Callable[[dict[str, object]], dict[str, object]], data: dict[str, object]) -> Scoped:
    return Scoped(MANAGE, kwargs, method="patch", data=data, content_type=JSON)


def delete(kwargs: Callable[[dict[str, object]], dict[str, object]]) -> Scoped:
    return Scoped(MANAGE, kwargs, method="delete", ok=(204,))


API_SCOPED: dict[str, Scoped] = {
    "api:programme-detail": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["programme"].pk}),
    AlsoAt("api:programme-detail"): patch(
        lambda o: {"pk": o["programme"].pk}, {"fee_notes": "Non-refundable once confirmed."}
    ),
    "api:component-detail": Scoped(Action.VIEW_COHORTS, lambda o: {"pk": o["course"].pk}),
    AlsoAt("api:component-detail"): patch(
        lambda o: {"pk": o["component"].pk}, {"description": "Executive-led, run twice."}
    ),
    AlsoAt("api:component-detail"): delete(fresh_component),
    # (api:cohort-detail's GET is in test_matrix.SCOPED.)
    AlsoAt("api:cohort-detail"): patch(lambda o: {"pk": o["cohort"].pk}, {"recruitment_target": 30}),
    "api:group-detail": Scoped(Action.VIEW_COHORTS, fresh_group),
    AlsoAt("api:group-detail"): patch(fresh_group, {"region": "North East"}),
    AlsoAt("api:group-detail"): delete(fresh_group),
    "api:session-detail": Scoped(Action.VIEW_COHORTS, fresh_session),
    AlsoAt("api:session-detail"): patch(fresh_session, {"venue": "Town hall"}),
    AlsoAt("api:session-detail"): delete(fresh_session),
}

# Each list with the text of one row, as the API writes it.
API_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {
    "api:programme-list": (Action.VIEW_COHORTS, lambda o: f'"name":"{o["programme"].name}"'),
    "api:component-list": (Action.VIEW_COHORTS, lambda o: f'"title":"{o["component"].title}"'),
    "api:group-list": (Action.VIEW_COHORTS, lambda o: f'"name":"{o["group"].name}"'),
    "api:session-list": (Action.VIEW_COHORTS, lambda o: f'"title":"{o["session"].title}"'),
}

"""Isolation-matrix cases for the mark scheme pages (assessment/views/mark_scheme.py; see test_matrix.py).

- Looking at a task's mark scheme needs VIEW_SUBMISSIONS: provider admins, and platform staff everywhere.
- Setting up the standard scheme and changing it (settings, criteria, omissions) needs MANAGE_ASSESSMENT:
  provider admins only, so platform staff get 403.
Each world's programme gains, on first use, its standard assessment and a task of its own for these cases
(numbered after the standard tasks) with the standard mark scheme, so that a criterion or omission left behind
by a refused removal never reaches the scripts other cases mark. The removals act on a fresh criterion or
omission.
"""

from collections.abc import Callable

from assessment import services
from assessment.marking import mark_scheme_create_default
from assessment.models import AssessmentTask, Criterion, MarkScheme, Omission
from npqel.access import Action
from tests.isolation.cases import Scoped

OK = (302,)
# Well after the tasks of the standard schemes (1 and 2), which other cases use.
ISOLATION_TASK_NUMBER = 9


def _task(o: dict[str, object]) -> AssessmentTask:
    """A task of the world's programme kept for these cases (its first task is other cases' to mark), with
    the standard mark scheme: both set up on first use."""
    if "mark_scheme_task" not in o:
        scheme = services.scheme_create_default(by=None, programme=o["programme"])
        task = AssessmentTask.objects.create(
            scheme=scheme,
            number=ISOLATION_TASK_NUMBER,
            title=f"Isolation task {o['provider'].slug}",
            main_word_limit=1500,
            window_kind=AssessmentTask.WindowKind.FIXED,
        )
        mark_scheme_create_default(by=None, task=task)
        o["mark_scheme_task"] = task
    return o["mark_scheme_task"]


def _scheme(o: dict[str, object]) -> MarkScheme:
    return MarkScheme.objects.get(task=_task(o))


def _task_pk(o: dict[str, object]) -> dict[str, object]:
    return {"pk": _task(o).pk}


def _criterion(o: dict[str, object]) -> dict[str, object]:
    """The first criterion of the world's scheme (the GET of its form)."""
    return {"pk": _scheme(o).criteria.order_by("number").first().pk}


def _fresh_criterion(o: dict[str, object]) -> dict[str, object]:
    """A new criterion of 1 mark, to remove (the pass mark and band still fit without it)."""
    scheme = _scheme(o)
    criterion = Criterion.objects.create(
        scheme=scheme,
        number=scheme.criteria.count() + 1,
        title=f"Isolation {o['provider'].slug}",
        descriptors="0–1",
        max_mark=1,
    )
    return {"pk": criterion.pk}


def _fresh_omission(o: dict[str, object]) -> dict[str, object]:
    scheme = _scheme(o)
    omission = Omission.objects.create(
        scheme=scheme, number=scheme.omissions.count() + 1, text=f"Isolation {o['provider'].slug}"
    )
    return {"pk": omission.pk}


MARK_SCHEME_SCOPED: dict[str, Scoped] = {
    # Looking
    "mark_scheme": Scoped(Action.VIEW_SUBMISSIONS, _task_pk),
    # Changing: the forms
    "mark_scheme_edit": Scoped(Action.MANAGE_ASSESSMENT, _task_pk),
    "mark_scheme_criterion_add": Scoped(Action.MANAGE_ASSESSMENT, _task_pk),
    "mark_scheme_criterion_edit": Scoped(Action.MANAGE_ASSESSMENT, _criterion),
    "mark_scheme_omission_add": Scoped(Action.MANAGE_ASSESSMENT, _task_pk),
    # Setting up the scheme again changes nothing (it exists): the redirect proves the page was reached.
    "mark_scheme_create": Scoped(Action.MANAGE_ASSESSMENT, _task_pk, method="post", ok=OK),
    "mark_scheme_criterion_remove": Scoped(Action.MANAGE_ASSESSMENT, _fresh_criterion, method="post", ok=OK),
    "mark_scheme_omission_remove": Scoped(Action.MANAGE_ASSESSMENT, _fresh_omission, method="post", ok=OK),
}
# Every mark scheme page belongs to one task, criterion or omission: no list page without arguments.
MARK_SCHEME_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}

"""Mark schemes: a task's criteria, failure-level omissions, pass mark and band, second-marking share (issue 7)."""

from django.urls import path

from assessment.views import mark_scheme

urlpatterns = [
    # Provider admins change it; platform staff look.
    path("assessment-tasks/<int:pk>/mark-scheme/", mark_scheme.detail, name="mark_scheme"),
    path("assessment-tasks/<int:pk>/mark-scheme/set-up/", mark_scheme.create, name="mark_scheme_create"),
    path("assessment-tasks/<int:pk>/mark-scheme/settings/", mark_scheme.edit, name="mark_scheme_edit"),
    path(
        "assessment-tasks/<int:pk>/mark-scheme/criteria/add/",
        mark_scheme.criterion_add,
        name="mark_scheme_criterion_add",
    ),
    path(
        "assessment-tasks/<int:pk>/mark-scheme/omissions/add/",
        mark_scheme.omission_add,
        name="mark_scheme_omission_add",
    ),
    path("mark-scheme-criteria/<int:pk>/", mark_scheme.criterion_edit, name="mark_scheme_criterion_edit"),
    path(
        "mark-scheme-criteria/<int:pk>/remove/",
        mark_scheme.criterion_remove,
        name="mark_scheme_criterion_remove",
    ),
    path(
        "mark-scheme-omissions/<int:pk>/remove/",
        mark_scheme.omission_remove,
        name="mark_scheme_omission_remove",
    ),
]

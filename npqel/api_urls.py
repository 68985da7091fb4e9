from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from accounts.api import InvitationViewSet, MeView
from assessment.api import (
    AssessmentWindowViewSet,
    ExtensionViewSet,
    ReceiptViewSet,
    SubmissionVersionViewSet,
    SubmissionViewSet,
)
from assessment.api_marking import ROUTES as MARKING_ROUTES
from assessment.api_marking import URLS as MARKING_URLS
from metrics.api import MetricsView
from npqel.api import not_found
from participants.api import EnrolmentViewSet, ParticipantViewSet, SchoolViewSet
from participants.api_engagement import URLS as ENGAGEMENT_URLS
from participants.api_imports import ImportViewSet
from programmes.api import (
    CohortViewSet,
    ComponentViewSet,
    GroupViewSet,
    ProgrammeViewSet,
    ProviderViewSet,
    SessionViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("providers", ProviderViewSet, basename="provider")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("components", ComponentViewSet, basename="component")
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("groups", GroupViewSet, basename="group")
router.register("sessions", SessionViewSet, basename="session")
router.register("enrolments", EnrolmentViewSet, basename="enrolment")
router.register("participants", ParticipantViewSet, basename="participant")
router.register("schools", SchoolViewSet, basename="school")
router.register("imports", ImportViewSet, basename="import")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("assessment-windows", AssessmentWindowViewSet, basename="assessment-window")
router.register("submissions", SubmissionViewSet, basename="submission")
router.register("submission-versions", SubmissionVersionViewSet, basename="submission-version")
router.register("receipts", ReceiptViewSet, basename="receipt")
router.register("extensions", ExtensionViewSet, basename="extension")
# Allocations and marking, results, moderation (assessment/api_marking.py).
for prefix, viewset, basename in MARKING_ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("providers/<slug:slug>/metrics/", MetricsView.as_view(), name="provider-metrics"),
    # Registers, task completions, coaching, feedback and engagement (participants/api_engagement.py).
    *(re_path(pattern, view, name=name) for pattern, view, name in ENGAGEMENT_URLS),
    # A cohort's marking (allocate, release), moving an allocation, checking a certificate (assessment/api_marking.py).
    *(re_path(pattern, view, name=name) for pattern, view, name in MARKING_URLS),
    path("", include(router.urls)),
    # Last: a path no route above matches (e.g. an id with a dot in it) gets the API's JSON 404. Only paths
    # ending in "/", so that CommonMiddleware still redirects "cohorts/5" to "cohorts/5/".
    # [\s\S], not ".": a path with a newline in it (%0A) is caught too, not answered with the HTML 404 page.
    re_path(r"^(?:[\s\S]*/)?$", not_found, name="not_found"),
]

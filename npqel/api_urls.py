from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import InvitationViewSet, MeView
from participants.api import EnrolmentViewSet
from programmes.api import CohortViewSet, ProviderViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("providers", ProviderViewSet, basename="provider")
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("enrolments", EnrolmentViewSet, basename="enrolment")
router.register("invitations", InvitationViewSet, basename="invitation")

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
]

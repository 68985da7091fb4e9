"""The metrics pages outside one provider's own: the public published tables, the choice to publish them, and
platform staff's comparison of every provider (issue 8)."""

from django.urls import path

from metrics import views_public

urlpatterns = [
    path("published/<slug:slug>/metrics/", views_public.public_metrics, name="metrics_public"),
    path("providers/<slug:slug>/metrics/publishing/", views_public.publishing, name="metrics_publishing"),
    path("metrics/providers/", views_public.providers_side_by_side, name="metrics_overview"),
]

"""Recomputing a provider's metrics now, with its progress (issue 8)."""

from django.urls import path

from metrics import views_recompute

urlpatterns = [
    path(
        "providers/<slug:slug>/metrics/recompute/", views_recompute.recompute, name="metrics_recompute_start"
    ),
    path("metrics/recomputes/<int:pk>/", views_recompute.progress, name="metrics_recompute"),
]

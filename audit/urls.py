"""History of changes (the audit trail, issue 9): a provider's, and every provider's for platform staff."""

from django.urls import path

from audit import views

urlpatterns = [
    path("providers/<slug:slug>/history/", views.provider_history, name="provider_history"),
    path("providers/<slug:slug>/history.csv", views.provider_history_csv, name="provider_history_csv"),
    path("history/", views.platform_history, name="platform_history"),
    path("history.csv", views.platform_history_csv, name="platform_history_csv"),
]

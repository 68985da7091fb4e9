"""The provider's DfE quality metrics page and its downloads (issue 8)."""

from django.urls import path

from metrics import views

urlpatterns = [
    path("providers/<slug:slug>/metrics/", views.metrics_page, name="metrics"),
    path("providers/<slug:slug>/metrics.csv", views.metrics_csv, name="metrics_csv"),
    path("providers/<slug:slug>/metrics.pdf", views.metrics_pdf, name="metrics_pdf"),
]

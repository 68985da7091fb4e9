"""A provider's DfE declarations and their exports (issue 8)."""

from django.urls import path

from metrics import views_declarations

urlpatterns = [
    path("providers/<slug:slug>/declarations/", views_declarations.declarations_page, name="declarations"),
    path(
        "providers/<slug:slug>/declarations/export/",
        views_declarations.declarations_export,
        name="declarations_export",
    ),
    path(
        "providers/<slug:slug>/declarations/exports/<int:pk>.json",
        views_declarations.export_json,
        name="declarations_export_json",
    ),
    path(
        "providers/<slug:slug>/declarations/exports/<int:pk>.csv",
        views_declarations.export_csv,
        name="declarations_export_csv",
    ),
]

"""Data protection (issue 9): data exports, erasure and each provider's retention period."""

from django.urls import path

from participants.views import privacy

urlpatterns = [
    # The signed-in participant's own data (linked from their account page).
    path("account/your-data.zip", privacy.my_data_export, name="my_data_export"),
    path(
        "participants/<int:pk>/data-protection/",
        privacy.participant_data_protection,
        name="participant_data_protection",
    ),
    path(
        "participants/<int:pk>/data-export.zip",
        privacy.participant_data_export,
        name="participant_data_export",
    ),
    path(
        "providers/<slug:slug>/data-protection/",
        privacy.provider_data_protection,
        name="provider_data_protection",
    ),
]

"""Moderation: samples, moderators' verdicts, marking quality (issue 7)."""

from django.urls import path

from assessment.views import moderation

urlpatterns = [
    # The provider's admins (platform staff look).
    path("providers/<slug:slug>/moderation/", moderation.sample_list, name="moderation_samples"),
    path("moderation-samples/<int:pk>/", moderation.sample_detail, name="moderation_sample"),
    path("providers/<slug:slug>/marking-quality/", moderation.marking_quality, name="marking_quality"),
    # Moderators, across providers.
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/items/<int:pk>/", moderation.item_detail, name="moderation_item"),
]

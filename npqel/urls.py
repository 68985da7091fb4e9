from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from accounts import views as account_views
from assessment.urls import marking_urls
from assessment.urls import participant_urls as assessment_participant_urls
from assessment.urls import provider_urls as assessment_provider_urls
from npqel import views
from npqel.health import health
from participants.urls import (
    checkin_urls,
    feedback_urls,
    import_urls,
    learning_urls,
    log_urls,
    register_urls,
    roster_urls,
)
from programmes import calendar
from programmes.views import delivery, design, providers

# Programme design: programmes, their rules, content framework, components and online courses.
design_urls = [
    path("providers/<slug:slug>/programmes/new/", design.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", design.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/edit/", design.programme_edit, name="programme_edit"),
    path("programmes/<int:pk>/rules/", design.programme_rules, name="programme_rules"),
    path("programmes/<int:pk>/extensions/add/", design.extension_add, name="extension_add"),
    path("extensions/<int:pk>/remove/", design.extension_remove, name="extension_remove"),
    path("programmes/<int:pk>/fees/add/", design.fee_option_add, name="fee_option_add"),
    path("fees/<int:pk>/remove/", design.fee_option_remove, name="fee_option_remove"),
    path("programmes/<int:pk>/placements/add/", design.placement_option_add, name="placement_option_add"),
    path("placements/<int:pk>/remove/", design.placement_option_remove, name="placement_option_remove"),
    path("programmes/<int:pk>/content/", design.content_framework, name="content_framework"),
    path("programmes/<int:pk>/content/areas/add/", design.content_area_add, name="content_area_add"),
    path("areas/<int:pk>/edit/", design.content_area_edit, name="content_area_edit"),
    path("areas/<int:pk>/remove/", design.content_area_remove, name="content_area_remove"),
    path("areas/<int:pk>/statements/add/", design.statement_add, name="statement_add"),
    path("statements/<int:pk>/remove/", design.statement_remove, name="statement_remove"),
    path("programmes/<int:pk>/behaviours/add/", design.behaviour_add, name="behaviour_add"),
    path("behaviours/<int:pk>/remove/", design.behaviour_remove, name="behaviour_remove"),
    path("programmes/<int:pk>/components/new/", design.component_create, name="component_create"),
    path("components/<int:pk>/", design.component_detail, name="component_detail"),
    path("components/<int:pk>/edit/", design.component_edit, name="component_edit"),
    path("components/<int:pk>/remove/", design.component_remove, name="component_remove"),
    path("components/<int:pk>/modules/add/", design.module_add, name="module_add"),
    path("modules/<int:pk>/edit/", design.module_edit, name="module_edit"),
    path("modules/<int:pk>/remove/", design.module_remove, name="module_remove"),
    path("modules/<int:pk>/tasks/add/", design.task_add, name="task_add"),
    path("tasks/<int:pk>/edit/", design.task_edit, name="task_edit"),
    path("tasks/<int:pk>/remove/", design.task_remove, name="task_remove"),
]

# Delivery: cohorts, delivery groups, sessions and the timetable.
delivery_urls = [
    path(
        "providers/<slug:slug>/delivery-partners/add/",
        delivery.delivery_partner_add,
        name="delivery_partner_add",
    ),
    path("programmes/<int:pk>/cohorts/new/", delivery.cohort_create, name="cohort_create"),
    path("cohorts/<int:pk>/", delivery.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:pk>/edit/", delivery.cohort_edit, name="cohort_edit"),
    path("cohorts/<int:pk>/copy-timetable/", delivery.cohort_copy_timetable, name="cohort_copy_timetable"),
    path("cohorts/<int:pk>/timetable/", delivery.cohort_timetable, name="cohort_timetable"),
    path("cohorts/<int:pk>/sessions/new/", delivery.session_create, name="session_create"),
    path("cohorts/<int:pk>/groups/new/", delivery.group_create, name="group_create"),
    path("groups/<int:pk>/edit/", delivery.group_edit, name="group_edit"),
    path("groups/<int:pk>/remove/", delivery.group_remove, name="group_remove"),
    path("sessions/<int:pk>/", delivery.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", delivery.session_edit, name="session_edit"),
    path("sessions/<int:pk>/cancel/", delivery.session_cancel, name="session_cancel"),
    path("my-sessions/", delivery.my_sessions, name="my_sessions"),
]

# Calendars: a private, revocable feed per person and an .ics file per session.
calendar_urls = [
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/new-address/", calendar.calendar_reset, name="calendar_reset"),
    path("calendar/<str:key>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("sessions/<int:pk>/calendar.ics", calendar.session_ics, name="session_ics"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("account/", account_views.account, name="account"),
    path("account/api-keys/<int:pk>/revoke/", account_views.api_token_revoke, name="api_token_revoke"),
    path("invitations/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("invitations/<int:pk>/revoke/", account_views.invitation_revoke, name="invitation_revoke"),
    path("platform/people/", account_views.platform_people, name="platform_people"),
    path("platform/people/invite/", account_views.invite, name="platform_invite"),
    path("providers/", providers.provider_list, name="provider_list"),
    path("providers/<slug:slug>/", providers.provider_detail, name="provider_detail"),
    path("providers/<slug:slug>/people/", providers.provider_people, name="provider_people"),
    path("providers/<slug:slug>/people/invite/", account_views.invite, name="provider_invite"),
    *design_urls,
    *delivery_urls,
    *calendar_urls,
    *roster_urls,
    *import_urls,
    *register_urls,
    *learning_urls,
    *log_urls,
    *feedback_urls,
    *checkin_urls,
    *assessment_participant_urls,
    *assessment_provider_urls,
    *marking_urls,
    path("", include("assessment.urls_certificates")),
    path("", include("assessment.urls_moderation")),
    path("", include("assessment.urls_mark_schemes")),
    path("", include("metrics.urls_recompute")),
    path("", include("metrics.urls")),
    path("", include("metrics.urls_declarations")),
    path("", include("metrics.urls_public")),
    path("", include("participants.urls_privacy")),
    path("", include("audit.urls")),
    path("api/v1/", include(("npqel.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_docs"),
]

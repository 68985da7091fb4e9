"""Pages of the participants app, gathered by area for npqel/urls.py."""

from django.urls import path

from participants.views import imports, registers, roster

# The cohort roster, each participant's record, and the changes an admin makes to a place.
roster_urls = [
    path("cohorts/<int:pk>/participants/", roster.cohort_roster, name="cohort_roster"),
    path("cohorts/<int:pk>/participants.csv", roster.cohort_roster_csv, name="cohort_roster_csv"),
    path("enrolments/<int:pk>/", roster.enrolment_detail, name="enrolment_detail"),
    path("enrolments/<int:pk>/accept/", roster.enrolment_accept, name="enrolment_accept"),
    path("enrolments/<int:pk>/start/", roster.enrolment_start, name="enrolment_start"),
    path("enrolments/<int:pk>/defer/", roster.enrolment_defer, name="enrolment_defer"),
    path("enrolments/<int:pk>/resume/", roster.enrolment_resume, name="enrolment_resume"),
    path("enrolments/<int:pk>/withdraw/", roster.enrolment_withdraw, name="enrolment_withdraw"),
    path("enrolments/<int:pk>/transfer/", roster.enrolment_transfer, name="enrolment_transfer"),
    path("enrolments/<int:pk>/group/", roster.enrolment_change_group, name="enrolment_change_group"),
    path("enrolments/<int:pk>/coach/", roster.enrolment_change_coach, name="enrolment_change_coach"),
    path("enrolments/<int:pk>/funding/", roster.enrolment_change_funding, name="enrolment_change_funding"),
]

# Bringing participants in from a spreadsheet: upload, preview or mistakes, confirm, invitations.
import_urls = [
    path("providers/<slug:slug>/imports/", imports.import_upload, name="import_upload"),
    path("imports/example.csv", imports.import_example, name="import_example"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/invite/", imports.import_invite, name="import_invite"),
    path("imports/<int:pk>/restart/", imports.import_restart, name="import_restart"),
]

# A session's register: the whole register saved at once, or everyone not yet marked marked present.
register_urls = [
    path("sessions/<int:pk>/register/", registers.session_register, name="session_register"),
    path(
        "sessions/<int:pk>/register/all-present/",
        registers.session_register_all_present,
        name="session_register_all_present",
    ),
]

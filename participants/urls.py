"""Pages of the participants app, gathered by area for npqel/urls.py."""

from django.urls import path

from participants.views import checkin, feedback, imports, learning, logs, registers, roster

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

# Online learning: a cohort's task completions (ticked by hand a course at a time, or imported from a learning
# platform's export) and the components an admin records as done on a participant's record.
learning_urls = [
    path("cohorts/<int:pk>/online-learning/", learning.cohort_online_learning, name="cohort_online_learning"),
    path("cohorts/<int:pk>/online-learning/import/", learning.lms_import, name="lms_import"),
    path(
        "cohorts/<int:pk>/online-learning/example.csv", learning.lms_import_example, name="lms_import_example"
    ),
    path(
        "enrolments/<int:pk>/components-done/",
        learning.enrolment_component_done,
        name="enrolment_component_done",
    ),
    path(
        "enrolments/<int:pk>/components-done/<int:component_pk>/remove/",
        learning.enrolment_component_done_remove,
        name="enrolment_component_done_remove",
    ),
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

# Self check-in: the facilitator shows a code during the session; a participant enters it to be marked present.
checkin_urls = [
    path("sessions/<int:pk>/check-in/", checkin.session_check_in, name="session_check_in"),
    path("sessions/<int:pk>/check-in/close/", checkin.session_check_in_close, name="session_check_in_close"),
    path("check-in/", checkin.check_in, name="check_in"),
]

# Self-directed learning a participant logs, and coaching a coach (or an admin) logs for a participant.
log_urls = [
    path("my-learning/<int:pk>/", logs.my_learning, name="my_learning"),
    path("my-learning/entries/<int:pk>/remove/", logs.learning_log_remove, name="learning_log_remove"),
    path("my-coaching/<int:pk>/", logs.my_coaching, name="my_coaching"),
    path("coaching/", logs.coachees, name="coachees"),
    path("enrolments/<int:pk>/coaching/", logs.enrolment_coaching, name="enrolment_coaching"),
    path("coaching-sessions/<int:pk>/remove/", logs.coaching_session_remove, name="coaching_session_remove"),
]

# Ratings: a participant rates their sessions and the programme; staff see the results without names.
feedback_urls = [
    path("my-feedback/<int:pk>/", feedback.my_feedback, name="my_feedback"),
    path(
        "my-feedback/<int:pk>/sessions/<int:session_pk>/",
        feedback.my_feedback_session,
        name="my_feedback_session",
    ),
    path("my-feedback/<int:pk>/programme/", feedback.my_feedback_programme, name="my_feedback_programme"),
    path("sessions/<int:pk>/feedback/", feedback.session_feedback, name="session_feedback"),
    path("cohorts/<int:pk>/feedback/", feedback.cohort_feedback, name="cohort_feedback"),
]

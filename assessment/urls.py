"""Pages of the assessment app, gathered by area for npqel/urls.py."""

from django.urls import path

from assessment.views import marking, marking_admin, participant, provider

# A participant's final assessment: tasks, windows and deadlines, uploads, submitting, receipts, extensions.
participant_urls = [
    path("enrolments/<int:pk>/assessment/", participant.my_assessment, name="my_assessment"),
    path("enrolments/<int:pk>/assessment/<int:number>/", participant.my_task, name="my_task"),
    path("enrolments/<int:pk>/assessment/<int:number>/upload/", participant.task_upload, name="task_upload"),
    path(
        "enrolments/<int:pk>/assessment/<int:number>/extension/",
        participant.extension_ask,
        name="extension_ask",
    ),
    path("submission-versions/<int:pk>/submit/", participant.version_submit, name="version_submit"),
    path("submissions/<int:pk>/withdraw/", participant.submission_withdraw, name="submission_withdraw"),
    path("extensions/<int:pk>/withdraw/", participant.extension_withdraw, name="extension_withdraw"),
    path("enrolments/<int:pk>/assessment/<int:number>/review/", participant.review_ask, name="review_ask"),
    path("receipts/<str:reference>/", participant.receipt_detail, name="receipt_detail"),
    path("submission-files/<int:pk>/download/", participant.file_download, name="submission_file_download"),
]

# Provider pages: windows, who has submitted, scripts as a ZIP, the extension queue, eligibility overrides.
provider_urls = [
    path("programmes/<int:pk>/assessment/", provider.programme_assessment, name="programme_assessment"),
    path("programmes/<int:pk>/assessment/set-up/", provider.scheme_create, name="assessment_scheme_create"),
    path("assessment-tasks/<int:pk>/edit/", provider.task_edit, name="assessment_task_edit"),
    path("cohorts/<int:pk>/assessment/", provider.cohort_assessment, name="cohort_assessment"),
    path(
        "cohorts/<int:pk>/assessment/<int:number>/window/", provider.window_set, name="assessment_window_set"
    ),
    path(
        "cohorts/<int:pk>/assessment/<int:number>/scripts.zip",
        provider.scripts_zip,
        name="cohort_scripts_zip",
    ),
    path("providers/<slug:slug>/extensions/", provider.extension_queue, name="extension_queue"),
    path("extensions/<int:pk>/decide/", provider.extension_decide, name="extension_decide"),
    path("extensions/<int:pk>/evidence/", provider.extension_evidence, name="extension_evidence"),
    path(
        "enrolments/<int:pk>/assessment-exception/",
        provider.assessment_exception,
        name="assessment_exception",
    ),
    path(
        "enrolments/<int:pk>/assessment-exception/revoke/",
        provider.assessment_exception_revoke,
        name="assessment_exception_revoke",
    ),
]

# Marking: an assessor's queue, the script beside the mark form, the lead's decision, anonymous script files.
marking_urls = [
    path("marking/", marking.marking_queue, name="marking_queue"),
    path("marking/<int:pk>/", marking.marking_page, name="marking_page"),
    path("marking/<int:pk>/autosave/", marking.marking_autosave, name="marking_autosave"),
    path("marking/<int:pk>/decision/", marking.lead_decision, name="lead_decision"),
    path("marking/<int:pk>/conflict/", marking.conflict_declare, name="marking_conflict"),
    path("marking/files/<int:pk>/", marking.script_file, name="script_file"),
    # The provider admin's side: allocation, moves, assessors, release.
    path(
        "cohorts/<int:pk>/assessment/<int:number>/marking/",
        marking_admin.cohort_marking,
        name="cohort_marking",
    ),
    path(
        "cohorts/<int:pk>/assessment/<int:number>/marking/allocate/",
        marking_admin.allocation_run,
        name="allocation_run",
    ),
    path(
        "cohorts/<int:pk>/assessment/<int:number>/marking/assessors/<int:user_pk>/",
        marking_admin.assessor_set,
        name="assessor_set",
    ),
    path(
        "cohorts/<int:pk>/assessment/<int:number>/marking/release/",
        marking_admin.results_release,
        name="results_release",
    ),
    path("allocations/<int:pk>/move/", marking_admin.allocation_move, name="allocation_move"),
    path("providers/<slug:slug>/reviews/", marking_admin.review_queue, name="review_queue"),
    path("reviews/<int:pk>/", marking_admin.review_decide, name="review_decide"),
]

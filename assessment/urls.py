"""Pages of the assessment app, gathered by area for npqel/urls.py."""

from django.urls import path

from assessment.views import participant

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
    path("receipts/<str:reference>/", participant.receipt_detail, name="receipt_detail"),
    path("submission-files/<int:pk>/download/", participant.file_download, name="submission_file_download"),
]

# Provider pages: windows, who has submitted, scripts as a ZIP, the extension queue, eligibility overrides.
provider_urls: list = []

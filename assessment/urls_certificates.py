"""Certificates and transcripts, and the public verification page (issue 7)."""

from django.urls import path

from assessment.views import certificates

urlpatterns = [
    path("enrolments/<int:pk>/transcript.pdf", certificates.transcript_download, name="transcript_download"),
    path(
        "enrolments/<int:pk>/certificate.pdf", certificates.certificate_download, name="certificate_download"
    ),
    path(
        "enrolments/<int:pk>/certificate/revoke/", certificates.certificate_revoke, name="certificate_revoke"
    ),
    # Public: anyone, signed in or not, checks a certificate by its code.
    path("verify/", certificates.verify_start, name="certificate_verify_start"),
    path("verify/<str:code>/", certificates.verify, name="certificate_verify"),
]

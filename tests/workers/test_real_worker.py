"""A real Celery worker process on the real Redis, doing real work in the test database."""

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts import services
from accounts.models import Invitation
from npqel.access import Role
from tests.workers.conftest import wait_for

# The `worker` fixture (tests/workers/conftest.py) starts the worker process.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_sends_the_invitation_email_and_records_it(worker, make_person, provider):
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    invitation = services.invitation_create(
        invited_by=admin, email="worker-test@school.example", role="coach", provider=provider
    )
    # Not sent by this process: the task went to Redis and the worker process did it.
    assert wait_for(lambda: Invitation.objects.get(pk=invitation.pk).email_sent_at is not None), (
        "The worker did not send the invitation within 20 seconds."
    )


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_health_reports_the_running_worker(worker, client):
    response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["redis"]["status"] == "up"
    assert any(name.startswith(worker) for name in body["checks"]["workers"]["workers"])


def test_worker_checks_and_imports_a_spreadsheet(worker, make_person, provider):
    import datetime

    from participants import imports
    from participants.models import Enrolment, EnrolmentImport
    from tests.programmes.factories import CohortFactory, ProgrammeFactory

    CohortFactory(
        programme=ProgrammeFactory(provider=provider),
        code="worker-2025",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2027, 2, 26),
    )
    admin = make_person(Role.PROVIDER_ADMIN, provider)
    content = (
        b"external_id,email,first_name,last_name,school_urn,school_name,cohort_code\n"
        b"W-1,worker.one@example.org,Wren,One,137042,Northfield Primary,worker-2025\n"
    )
    batch = imports.import_upload(by=admin, provider=provider, file_name="w.csv", content=content)
    assert wait_for(lambda: EnrolmentImport.objects.get(pk=batch.pk).status == "ready"), (
        "The worker did not check the file within 20 seconds."
    )
    assert not Enrolment.objects.exists()  # checking writes nothing
    imports.import_confirm_later(by=admin, batch=EnrolmentImport.objects.get(pk=batch.pk))
    assert wait_for(lambda: EnrolmentImport.objects.get(pk=batch.pk).status == "imported"), (
        "The worker did not import the file within 20 seconds."
    )
    assert Enrolment.objects.get(external_id="W-1").participant.user.email == "worker.one@example.org"

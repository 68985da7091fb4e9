import pytest
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_without_redis_configured_is_ok_with_in_process_jobs(client):
    with override_settings(REDIS_URL=None, CELERY_TASK_ALWAYS_EAGER=True):
        response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 200
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["database"]["vendor"] == "postgresql"
    assert body["checks"]["redis"]["status"] == "not_configured"


def test_health_is_503_and_degraded_when_redis_does_not_answer(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0", CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["workers"]["status"] == "down"


def test_health_is_503_when_no_worker_answers(client):
    # Redis (the suite's broker) is up, but no worker runs outside tests/workers' fixture.
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get(reverse("health"))
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["redis"]["status"] == "up"
    assert body["checks"]["workers"] == {"status": "down", "error": "No Celery worker answered the ping."}

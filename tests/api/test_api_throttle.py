"""Requests are rate limited per signed-in user and per anonymous address: 429 in the error shape, with a
Retry-After header saying when to try again."""

import datetime

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.services import api_token_create
from npqel.access import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings, monkeypatch):
    """Three requests a minute, anonymous or signed in.

    Changing REST_FRAMEWORK makes DRF reload its settings (the `settings` fixture sends setting_changed),
    but the throttles copied DEFAULT_THROTTLE_RATES onto SimpleRateThrottle.THROTTLE_RATES when DRF was
    imported, so that class attribute is what decides, and it is patched too.
    """
    rates = {"anon": "3/minute", "user": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert api_settings.DEFAULT_THROTTLE_RATES == rates
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def key_for(user) -> dict[str, str]:
    _, key = api_token_create(user=user, name="Busy script")
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def assert_throttled(response) -> int:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["status"] == 429 and error["code"] == "too_many_requests" and error["fields"] == {}
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    assert "throttled" in error["message"] and f"{wait} second" in error["message"]
    return wait


def test_a_key_is_limited_to_its_rate_then_told_when_to_retry(
    client, low_rates, make_person, provider, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    headers = key_for(make_person(Role.FACILITATOR, provider))

    for _ in range(3):
        assert client.get("/api/v1/me/", **headers).status_code == 200
    wait = assert_throttled(client.get("/api/v1/cohorts/", **headers))
    assert wait == 60

    time_machine.shift(datetime.timedelta(seconds=wait + 1))
    assert client.get("/api/v1/me/", **headers).status_code == 200


def test_each_user_has_their_own_allowance(client, low_rates, make_person, provider):
    busy = key_for(make_person(Role.FACILITATOR, provider))
    calm = key_for(make_person(Role.COACH, provider))

    for _ in range(3):
        client.get("/api/v1/me/", **busy)
    assert_throttled(client.get("/api/v1/me/", **busy))

    assert client.get("/api/v1/me/", **calm).status_code == 200


def test_anonymous_requests_are_limited_too(client, low_rates):
    # The schema is public, so anonymous requests reach the throttle (the others stop at 401 first).
    for _ in range(3):
        assert client.get("/api/schema/").status_code == 200
    assert_throttled(client.get("/api/schema/", HTTP_ACCEPT="application/json"))


def test_the_suite_runs_with_rates_high_enough_not_to_interfere():
    # Guards the fixture above: its changes are undone after each test.
    assert int(SimpleRateThrottle.THROTTLE_RATES["user"].split("/")[0]) >= 1000

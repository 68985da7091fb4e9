"""The cache on Redis (npqel/cache.py) while Redis is down: answers from the process's memory, quickly, so pages
stay up and rate limits still hold (per process); back on Redis once Redis answers again."""

import time

import pytest
from django.core.cache import cache, caches
from django.urls import reverse

from npqel import cache as resilient
from npqel.access import Role
from tests.accounts.factories import PASSWORD
from tests.workers.loopback import (  # noqa: F401 - the *_fixture functions are fixtures used below
    broker_fixture,
    celery_on_broker_fixture,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def on_redis(broker, key: str) -> bool:
    with broker.client() as client:
        return bool(client.keys(f"*{key}"))


def test_the_cache_uses_redis_answers_from_memory_while_it_is_down_and_goes_back_to_it(
    broker, celery_on_broker, monkeypatch
):
    monkeypatch.setattr(resilient, "RETRY_AFTER_SECONDS", 0.5)
    assert isinstance(caches["default"], resilient.ResilientRedisCache)  # the setting a deployment has
    cache.set("before", "kept in Redis")
    assert cache.get("before") == "kept in Redis" and on_redis(broker, "before")

    broker.kill()
    started = time.monotonic()
    assert cache.get("before") is None  # what Redis held is not to hand; no error
    assert cache.get("before", "a default") == "a default"
    assert cache.add("counter", 0) is True
    assert cache.add("counter", 0) is False
    assert cache.incr("counter") == 1
    assert cache.get_or_set("page", lambda: "worked out again") == "worked out again"
    assert cache.get("page") == "worked out again"
    for _ in range(200):
        cache.get("page")
    # Redis is tried at most once per RETRY_AFTER_SECONDS: connection refused is quick, so all of that is too.
    assert time.monotonic() - started < 2.0

    broker.start()
    time.sleep(0.6)  # RETRY_AFTER_SECONDS, patched above
    cache.set("after", "back on Redis")
    assert on_redis(broker, "after")
    assert cache.get("after") == "back on Redis"


def test_wrong_passwords_are_still_limited_while_redis_is_down(
    broker, celery_on_broker, client, make_person, provider
):
    user = make_person(Role.PARTICIPANT, provider)
    broker.kill()
    for _ in range(5):
        wrong = client.post(reverse("account_login"), {"login": user.email, "password": "wrong-password"})
        assert wrong.status_code == 200 and "Too many tries to sign in" not in wrong.content.decode()
    refused = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert refused.status_code == 429 or "Too many tries to sign in" in refused.content.decode()
    assert client.get(reverse("home")).status_code == 302  # not signed in

"""The cache: Django's Redis cache, which keeps pages up when Redis is not.

Django's own RedisCache lets redis-py's ConnectionError reach the page, so with Redis down every page that
touches the cache would fail: sign-in (allauth's rate limits), the API (DRF's throttles), certificate checks
(their rate limit) and a marker's script view. This one answers from this process's memory instead, and stops
trying Redis for RETRY_AFTER_SECONDS after a failure, so a page never waits on Redis more than once in that time.

Rate limits therefore degrade to limits per web process rather than off: a password guesser gets at most the
limit once per process while Redis is down. (Ignoring the errors instead, as django-redis's IGNORE_EXCEPTIONS
does, would turn every limit off; and allauth's lock, which needs cache.add() to succeed, would then wait a
second on every sign-in.)
"""

import logging
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# Until when (time.monotonic()) each Redis location is left alone; shared by the process's threads.
_down_until: dict[str, float] = {}

# Every method of RedisCache that talks to Redis; BaseCache's others (get_or_set, decr, …) are built on these.
METHODS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server
        # One memory per process and location (LocMemCache shares its store by name between instances).
        self._memory = LocMemCache(
            f"redis-fallback:{server}",
            {
                key: params[key]
                for key in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
                if key in params
            },
        )

    def _redis_down(self, exc: BaseException) -> None:
        if _down_until.get(self._location, 0.0) <= time.monotonic():
            logger.warning(
                "Redis cache unreachable (%s): answering from this process's memory for %ss",
                exc,
                RETRY_AFTER_SECONDS,
            )
        _down_until[self._location] = time.monotonic() + RETRY_AFTER_SECONDS


def _resilient(name: str) -> Any:
    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        if _down_until.get(self._location, 0.0) <= time.monotonic():
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except REDIS_DOWN as exc:
                self._redis_down(exc)
        return getattr(self._memory, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"RedisCache.{name}, or this process's memory while Redis is unreachable."
    return method


for _name in METHODS:
    setattr(ResilientRedisCache, _name, _resilient(_name))

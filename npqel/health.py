"""/health/: is the database, Redis and at least one Celery worker answering?"""

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

REDIS_TIMEOUT_SECONDS = 1.0
WORKER_PING_TIMEOUT_SECONDS = 1.0


def check_database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported not raised
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up", "vendor": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_redis() -> dict[str, object]:
    if not settings.REDIS_URL:
        return {
            "status": "not_configured",
            "note": "No REDIS_URL: background jobs run inside the web process.",
        }
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
        client.ping()
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up"}


def check_workers(redis_status: str) -> dict[str, object]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "not_configured", "note": "Tasks run eagerly inside the web process."}
    if redis_status != "up":
        return {"status": "down", "error": "Redis is not answering, so workers cannot be reached."}
    from npqel.celery import app

    try:
        replies = app.control.ping(timeout=WORKER_PING_TIMEOUT_SECONDS) or []
    except Exception as exc:  # noqa: BLE001
        return {"status": "down", "error": type(exc).__name__}
    if not replies:
        return {"status": "down", "error": "No Celery worker answered the ping."}
    return {"status": "up", "workers": sorted(name for reply in replies for name in reply)}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = check_database()
    redis_state = check_redis()
    workers = check_workers(str(redis_state["status"]))
    checks = {"database": database, "redis": redis_state, "workers": workers}
    healthy = all(check["status"] in ("up", "not_configured") for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503
    )

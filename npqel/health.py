"""/health/: is the database, Redis and at least one Celery worker answering, and is the outbox of background
jobs being sent? 200 "ok" when all is well; 503 "degraded" with each problem in words when not."""

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

REDIS_TIMEOUT_SECONDS = 1.0
WORKER_PING_TIMEOUT_SECONDS = 1.0
# The outbox is drained every minute: a job still unsent after this long means the drain is not running.
OUTBOX_LAG_LIMIT_SECONDS = 10 * 60

PROBLEMS = {
    "database": "The database is not answering: pages cannot load or save anything.",
    "redis": (
        "Redis is not answering: pages and submissions still work, but background jobs (emails, engagement and "
        "metrics recomputes, imports) wait in the outbox until Redis is back, then run."
    ),
    "workers": "No background worker is answering: jobs wait in Redis until a worker starts.",
    "outbox": (
        f"Background jobs have waited in the outbox for more than {OUTBOX_LAG_LIMIT_SECONDS // 60} minutes: check "
        "that Celery beat is running (it drains the outbox every minute), or run `manage.py outbox --drain`."
    ),
}


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


def check_outbox(database_status: str) -> dict[str, object]:
    """How many background jobs wait to be sent to Redis, and for how long the oldest has waited."""
    if database_status != "up":
        return {"status": "down", "error": "The database is not answering, so the outbox cannot be read."}
    from npqel.jobs import outbox_state

    state = outbox_state()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "not_configured", "note": "Tasks run eagerly inside the web process.", **state}
    waited = state["oldest_unsent_seconds"]
    behind = isinstance(waited, int) and waited > OUTBOX_LAG_LIMIT_SECONDS
    return {"status": "behind" if behind else "up", **state}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    database = check_database()
    redis_state = check_redis()
    workers = check_workers(str(redis_state["status"]))
    outbox = check_outbox(str(database["status"]))
    checks = {"database": database, "redis": redis_state, "workers": workers, "outbox": outbox}
    failing = [name for name, check in checks.items() if check["status"] not in ("up", "not_configured")]
    # The outbox falls behind whenever Redis is down: say so once, under Redis.
    if "redis" in failing and "outbox" in failing:
        failing.remove("outbox")
    return JsonResponse(
        {
            "status": "degraded" if failing else "ok",
            "problems": [PROBLEMS[name] for name in failing],
            "checks": checks,
        },
        status=503 if failing else 200,
    )

"""The test suite: always PostgreSQL (DATABASE_URL, defaulting to the local trust-auth server)."""

import os

import dj_database_url

from npqel.settings.base import *  # noqa: F403

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/npqel", conn_max_age=0
    )
}
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("NPQEL_TEST_DB_NAME", "test_npqel")}
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
# The suite's own calls run eagerly; tests/workers start a real worker against REDIS_URL.
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S106 - speed, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "100000/minute", "user": "100000/minute"}  # noqa: F405

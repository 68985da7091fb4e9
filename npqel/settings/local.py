"""`make run`: a developer's machine. SQLite and eager tasks unless DATABASE_URL / REDIS_URL are set."""

from npqel.settings.base import *  # noqa: F403

DEBUG = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

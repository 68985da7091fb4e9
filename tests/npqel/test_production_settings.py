"""Production settings: no secret defaults, a clear message for each missing variable, `check --deploy` clean."""

import os
import runpy
import secrets
import subprocess
import sys
import tempfile

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "ALLOWED_HOSTS": "npqel.example.org",
    "SITE_URL": "https://npqel.example.org",
    "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
    "EMAIL_HOST": "smtp.example.org",
}


def load_production(monkeypatch, env: dict[str, str]) -> dict[str, object]:
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("npqel.settings.production")


def test_with_every_variable_set_production_uses_them(monkeypatch):
    loaded = load_production(monkeypatch, PRODUCTION_ENV)
    assert loaded["SECRET_KEY"] == PRODUCTION_ENV["SECRET_KEY"]
    assert loaded["ALLOWED_HOSTS"] == ["npqel.example.org"]
    assert loaded["DEBUG"] is False
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["CSRF_TRUSTED_ORIGINS"] == ["https://npqel.example.org"]
    assert loaded["SESSION_COOKIE_SECURE"] and loaded["CSRF_COOKIE_SECURE"]


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_each_missing_variable_stops_start_up_with_a_message_naming_it(monkeypatch, missing):
    env = {name: value for name, value in PRODUCTION_ENV.items() if name != missing}
    with pytest.raises(ImproperlyConfigured) as raised:
        load_production(monkeypatch, env)
    message = str(raised.value)
    assert message.startswith(f"{missing} is not set.")
    assert "Set it in the environment (see .env.example)" in message


def test_an_empty_value_counts_as_missing(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="^SECRET_KEY is not set"):
        load_production(monkeypatch, {**PRODUCTION_ENV, "SECRET_KEY": ""})


def test_locale_and_time_settings():
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "en-gb"


def test_check_deploy_is_clean_under_production_settings():
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", tempfile.gettempdir()),
        "DJANGO_SETTINGS_MODULE": "npqel.settings.production",
        **PRODUCTION_ENV,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

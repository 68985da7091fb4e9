#!/usr/bin/env bash
# `make test`: the whole suite on PostgreSQL, with Redis, a real Celery worker and Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
# Known vulnerabilities with a fixed release fail the run before any test (see the script for what it reads).
.venv/bin/python scripts/audit_dependencies.py
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
# Two processes by default (each on its own test database); `scripts/test.sh -n 0 …` runs in one. The machine
# is busy throughout (one process per CPU; PostgreSQL and the browser share them), so more processes do not help;
# worksteal lets a process that has run out of tests take some of the other's rather than wait at the end.
case " $* " in
  *" -n "*|*" -n="*|*" --numprocesses"*) exec .venv/bin/pytest "$@" ;;
  *) exec .venv/bin/pytest -n 2 --dist worksteal "$@" ;;
esac

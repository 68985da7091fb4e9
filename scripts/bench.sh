#!/usr/bin/env bash
# `make bench`: national-scale benchmarks on PostgreSQL; prints their figures. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
exec .venv/bin/pytest tests/perf -p no:randomly -s --override-ini addopts="-p no:cacheprovider" "$@"

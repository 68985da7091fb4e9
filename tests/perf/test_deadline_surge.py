"""`make bench`: deadline night. 200 participants upload and submit their case study together in the last minute
of their window, against gunicorn (workers and threads, as the Dockerfile runs it) and PostgreSQL on loopback.

Prints the latency of each step (p50, p95, max), the throughput, the status of every answer, and how long the
server kept anyone waiting before it began their upload (the moment the deadline rule reads). Fails if any
submission is lost: 200 submissions, each with the file its participant sent (bytes, SHA-256, words) and one
receipt (the one they were shown, emailed), and no answer from the server in the 5xx range or none at all.
How it works is in tests/perf/surge.py; the suite runs a smaller version (tests/ops/test_deadline_surge.py).
"""

import time

from tests.perf import surge

PARTICIPANTS = 200


def test_200_participants_submitting_in_the_last_minute_lose_nothing(transactional_db, tmp_path):
    started = time.perf_counter()
    world = surge.build(participants=PARTICIPANTS)
    built = time.perf_counter()
    log = tmp_path / "gunicorn.log"
    with surge.files_removed(world), surge.gunicorn(log) as base_url:
        serving = time.perf_counter()
        outcome = surge.run(base_url, world, closes_in=60)
        stored = surge.stored_problems(world, outcome)
        print(
            f"\nset-up: {PARTICIPANTS} participants with their documents in {built - started:.1f} s; gunicorn "
            f"serving in {serving - built:.1f} s\n{surge.report(world, outcome)}"
        )
    errors = surge.server_errors(log)

    assert outcome.failures() == [], "\n".join(outcome.failures()[:20])
    assert outcome.statuses() == {200: 3 * PARTICIPANTS, 302: 2 * PARTICIPANTS}
    assert stored == [], "\n".join(stored[:20])
    assert errors == [], "\n".join(errors[:20])

"""Deadline night in the suite: 25 participants upload and submit together in the last minute of their window,
against the real web server (gunicorn with workers and threads, as deployed) and PostgreSQL. Every submission is
kept with its file and its receipt; none is lost; the server answers no request with an error. The bench does the
same with 200 (tests/perf/test_deadline_surge.py); how it works is in tests/perf/surge.py."""

from tests.perf import surge

PARTICIPANTS = 25
# Two workers (the bench runs three, as deployed): several processes, each with its threads, and quicker to start.
WORKERS = 2


def test_everyone_submitting_in_the_last_minute_has_their_file_kept_and_a_receipt(transactional_db, tmp_path):
    world = surge.build(participants=PARTICIPANTS)
    log = tmp_path / "gunicorn.log"
    with surge.files_removed(world), surge.gunicorn(log, workers=WORKERS) as base_url:
        outcome = surge.run(base_url, world, closes_in=60)
        stored = surge.stored_problems(world, outcome)
        print("\n" + surge.report(world, outcome, workers=WORKERS))

    assert outcome.failures() == []
    # Each participant: the task page, the upload, the page again, the submit, the receipt; nothing else.
    assert outcome.statuses() == {200: 3 * PARTICIPANTS, 302: 2 * PARTICIPANTS}
    assert stored == []
    assert surge.server_errors(log) == []

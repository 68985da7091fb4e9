"""Backing up and restoring (docs/operations-backup.md): scripts/backup.sh and scripts/restore.sh with the real
pg_dump and pg_restore, then manage.py verify_submission_files on the restored copy.

The submissions are committed (a transactional test) so that pg_dump, a separate process, sees them. Every
database made here is named restore_h_… and dropped at the end."""

import datetime
import hashlib
import os
import subprocess
import sys
import uuid
import zoneinfo
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection

from assessment import services
from assessment.models import Receipt, SubmissionFile
from tests.assessment.factories import case_study_place, upload

ROOT = Path(django_settings.BASE_DIR)
UK = zoneinfo.ZoneInfo("Europe/London")
DURING = datetime.datetime(2026, 3, 25, 20, 0, tzinfo=UK)  # inside case_study_place's window


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _server(sql: str) -> None:
    """Run one statement outside any transaction (CREATE/DROP DATABASE) on the server's postgres database."""
    admin = psycopg2.connect(_url("postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql)
    finally:
        admin.close()


def _query(name: str, sql: str) -> list[tuple]:
    with psycopg2.connect(_url(name)) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    conn.close()
    return rows


def _execute(name: str, sql: str, params: tuple = ()) -> None:
    with psycopg2.connect(_url(name)) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
    conn.close()


def _tables(name: str) -> list[str]:
    return [
        row[0]
        for row in _query(
            name,
            "select schemaname || '.' || tablename from pg_tables where schemaname = 'public' order by 1",
        )
    ]


def _run(command: list[str], **env: str | Path) -> subprocess.CompletedProcess:
    """A script or manage.py as an operator runs it: the app's own settings, reading DATABASE_URL and MEDIA_ROOT."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "MEDIA_ROOT", "REDIS_URL", "FILE_STORAGE_BACKEND")
    }
    environment["DJANGO_SETTINGS_MODULE"] = "npqel.settings.local"
    environment["PYTHON"] = sys.executable  # the Python restore.sh runs manage.py with
    environment.update({key: str(value) for key, value in env.items()})
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)  # noqa: S603


def _script(name: str, *args: str | Path, **env: str | Path) -> subprocess.CompletedProcess:
    return _run([str(ROOT / "scripts" / name), *map(str, args)], **env)


def _verify(**env: str | Path) -> subprocess.CompletedProcess:
    return _run([sys.executable, "manage.py", "verify_submission_files"], **env)


@pytest.fixture
def empty_database():
    """A new, empty database on the same server; dropped afterwards whatever happened."""
    name = f"restore_h_{uuid.uuid4().hex[:10]}"
    _server(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        _server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def _submissions() -> None:
    """Three participants' case studies: two submitted (one after replacing its first upload), one a draft."""
    with time_machine.travel(DURING, tick=False):
        for n_words, versions, submit in [(900, 1, True), (1100, 2, True), (700, 1, False)]:
            enrolment, task, _ = case_study_place()
            for extra in range(versions):
                version = upload(enrolment, task, n_words + extra)
            if submit:
                services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)


def _backup(media: Path, backups: Path) -> Path:
    made = _script(
        "backup.sh", backups, DATABASE_URL=_url(connection.settings_dict["NAME"]), MEDIA_ROOT=media
    )
    assert made.returncode == 0, made.stdout + made.stderr
    [folder] = backups.iterdir()
    return folder


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_has_every_submission_file_and_checksum(
    media, tmp_path, empty_database
):
    _submissions()
    source = {
        (f.pk, f.file.name, f.sha256, f.size, f.version.submission.candidate_number)
        for f in SubmissionFile.objects.select_related("version__submission")
    }
    receipts = {(r.reference, r.content["files"][0]["sha256"]) for r in Receipt.objects.all()}
    assert len(source) == 4 and len(receipts) == 2

    folder = _backup(media, tmp_path / "backups")
    assert folder.name.startswith("npqel-20")
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.txt",
        "SHA256SUMS",
        "database.dump",
        "media.tar.gz",
    ]

    restored_media = tmp_path / "restored-media"
    restored = _script("restore.sh", folder, DATABASE_URL=_url(empty_database), MEDIA_ROOT=restored_media)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Checked 4 submission files" in restored.stdout

    # The records as the restored database has them, read with a plain connection to it.
    rows = _query(
        empty_database,
        """select f.id, f.file, f.sha256, f.size, s.candidate_number
           from assessment_submissionfile f
           join assessment_submissionversion v on v.id = f.version_id
           join assessment_submission s on s.id = v.submission_id""",
    )
    assert set(rows) == source
    restored_receipts = _query(empty_database, "select reference, content from assessment_receipt")
    assert {(ref, content["files"][0]["sha256"]) for ref, content in restored_receipts} == receipts
    # Each restored file has exactly the bytes whose SHA-256 was recorded at upload.
    for _, name, sha256, size, _ in source:
        content = (restored_media / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == sha256 and len(content) == size

    # A file damaged and another lost after the restore: the check names both and fails. A third record left
    # without its file by erasing the participant is expected, not a problem.
    changed, lost, erased = sorted(name for _, name, *_ in source)[:3]
    with (restored_media / changed).open("ab") as file:
        file.write(b"\0")
    (restored_media / lost).unlink()
    _execute(empty_database, "update assessment_submissionfile set file = '' where file = %s", (erased,))
    (restored_media / erased).unlink()
    checked = _verify(DATABASE_URL=_url(empty_database), MEDIA_ROOT=restored_media)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    problems = checked.stderr.splitlines()
    assert "2 problems in 3 submission files checked" in problems[0]
    assert any(line.startswith(f"  {changed} (file record") and "has changed" in line for line in problems)
    assert any(
        line.startswith(f"  {lost} (file record") and "missing from storage" in line for line in problems
    )
    assert "1 submission file of erased participants was deleted on purpose" in checked.stderr
    assert erased not in checked.stderr


# The backup needs no rows of its own here: pg_dump sees the migrated, committed database.
@pytest.mark.django_db
def test_restore_refuses_a_database_or_media_folder_that_is_not_empty(media, tmp_path, empty_database):
    folder = _backup(media, tmp_path / "backups")
    target = _url(empty_database)
    _execute(empty_database, "create table notes (id int)")

    refused = _script("restore.sh", folder, DATABASE_URL=target, MEDIA_ROOT=tmp_path / "restored-media")
    assert refused.returncode == 2
    assert (
        "Nothing restored" in refused.stderr and "already has tables in it (public.notes)" in refused.stderr
    )
    assert _tables(empty_database) == ["public.notes"]
    assert not (tmp_path / "restored-media").exists()

    _execute(empty_database, "drop table notes")
    busy = tmp_path / "busy-media"
    busy.mkdir()
    (busy / "keep.txt").write_text("someone's file")
    refused = _script("restore.sh", folder, DATABASE_URL=target, MEDIA_ROOT=busy)
    assert refused.returncode == 2 and "already has files in it" in refused.stderr
    assert _tables(empty_database) == []
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]


def test_backup_refuses_without_database_url(tmp_path):
    refused = _script("backup.sh", tmp_path / "backups")
    assert refused.returncode == 2
    assert "Backup not made: DATABASE_URL is not set" in refused.stderr
    assert not (tmp_path / "backups").exists()

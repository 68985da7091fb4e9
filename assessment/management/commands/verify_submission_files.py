"""manage.py verify_submission_files: every submitted file is in storage and unchanged (after a restore, say)."""

import hashlib

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from assessment.models import SubmissionFile
from npqel.words import plural

CHUNK = 1024 * 1024


def _sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as file:
        while block := file.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _problem(record: SubmissionFile) -> str:
    """What is wrong with one record's file ("" when it is there and its SHA-256 is the one recorded)."""
    try:
        actual = _sha256(record.file.name)
    except FileNotFoundError:
        return "missing from storage"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if actual != record.sha256:
        return f"has changed: its SHA-256 is {actual}, the record says {record.sha256}"
    return ""


def _files(n: int) -> str:
    return f"{n:,} submission {'file' if n == 1 else 'files'}"


class Command(BaseCommand):
    help = (
        "Check every submission file: it is in storage and its SHA-256 equals the one recorded when it was "
        "uploaded (and printed on the receipt). Lists each problem; exits with code 1 if there is any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print only the problems and the summary")

    def handle(self, *args: object, quiet: bool = False, **options: object) -> None:
        if SubmissionFile._meta.db_table not in connection.introspection.table_names():
            raise CommandError(
                f"The database {connection.settings_dict['NAME']} has no submission files table: is DATABASE_URL "
                "the right database, and has it been restored (or migrated)?",
                returncode=1,
            )
        records = (
            SubmissionFile.objects.select_related("version__submission__task")
            .only(
                "file",
                "sha256",
                "role",
                "version__number",
                "version__submission__candidate_number",
                "version__submission__task__number",
            )
            .order_by("pk")
        )
        checked, erased, problems = 0, 0, []
        for record in records.iterator(chunk_size=2000):
            if not record.file.name:
                # Erasing a participant deletes their files and blanks the name; the record stays for the metrics.
                erased += 1
                continue
            checked += 1
            problem = _problem(record)
            if problem:
                submission = record.version.submission
                problems.append(
                    f"  {record.file.name} (file record {record.pk}: candidate {submission.candidate_number}, "
                    f"task {submission.task.number}, version {record.version.number}, "
                    f"{record.get_role_display().lower()}): {problem}"
                )
            elif not quiet and checked % 5000 == 0:
                self.stdout.write(f"Checked {checked:,} files so far…")
        where = getattr(default_storage, "location", default_storage.__class__.__name__)
        also = (
            f" {_files(erased)} of erased participants {'was' if erased == 1 else 'were'} deleted on purpose, "
            "so not checked."
            if erased
            else ""
        )
        if problems:
            listing = "\n".join(problems)
            raise CommandError(
                f"{plural(len(problems), 'problem')} in {_files(checked)} checked (storage: {where}):\n"
                f"{listing}\nThe receipt of each submission holds the SHA-256 its file should have: restore "
                f"the files from an earlier backup, or check that MEDIA_ROOT points at the right folder.{also}",
                returncode=1,
            )
        if checked:
            self.stdout.write(
                f"Checked {_files(checked)} (storage: {where}): every one is there and matches its recorded "
                f"SHA-256.{also}"
            )
        else:
            self.stdout.write(f"There are no submission files to check (storage: {where}).{also}")

"""Deadline night: many participants uploading and submitting their case study in the last minute of the window,
against the real web server (gunicorn, as in the Dockerfile) and PostgreSQL, on loopback.

Shared by the bench (tests/perf/test_deadline_surge.py, 200 participants) and the suite's smaller version
(tests/ops/test_deadline_surge.py). A test that uses it:

    world = surge.build(participants=25)  # committed rows: the test uses `transactional_db`
    with surge.files_removed(world), surge.gunicorn(log) as base_url:
        outcome = surge.run(base_url, world, closes_in=60)  # everyone at once, in the window's last minute
        problems = surge.stored_problems(world, outcome)  # what the database and the file store kept
        print(surge.report(world, outcome))  # latencies, throughput, statuses
    surge.server_errors(log)  # what the server logged going wrong

Why the data is committed with pytest-django's `transactional_db` rather than a database of our own: gunicorn is
another process, so it sees only committed rows, and `transactional_db` commits them in the already migrated test
database and empties it (flush) after the test, pass or fail. A separate database would have to be migrated (far
too slow for the suite) or copied from the test database as a template (which PostgreSQL refuses while anyone,
including this test process, is connected to it).

Why participants are signed in by sessions written to the database, not through the sign-in form: on deadline night
they signed in before the last minute, so the surge is about submitting; and allauth allows 30 sign-ins a minute
from one address (all of ours come from 127.0.0.1), a limit that is right to keep. Each session is made by Django's
own `Client.force_login` (the same session rows `django.contrib.auth.login` writes) and sent as the session cookie;
the server reads it from the database like any other.

Each participant then does what a browser does, over HTTP with `requests` (installed with schemathesis, a dev
dependency), each in a thread of their own: opens the task page and takes the CSRF token from the upload form (all
of them before the last minute begins); then, once the deadline has been moved to a minute away, at the same moment
as everyone else (a barrier) posts the file with the token; follows the redirect to the task page, takes the
submit form and its token; submits with the declaration ticked; and opens the receipt it is sent to. Every other
participant uploads a PDF, the others a Word document: every document is different (its own words or PDF title),
so each stored file can be matched to the person who sent it.
"""

import datetime
import hashlib
import io
import math
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urljoin

import lxml.html
import requests
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from accounts.models import User
from assessment import deadlines, services
from assessment.models import AssessmentTask, AssessmentWindow, Receipt, Submission, SubmissionFile
from programmes.models import Programme
from tests.assessment.factories import docx_bytes, make_eligible
from tests.participants.factories import EnrolmentFactory
from tests.programmes.factories import CohortFactory, ProgrammeFactory

ROOT = Path(settings.BASE_DIR)
# As the Dockerfile and docker-compose.yml run it: threads, so that a slow upload does not hold up the others.
WORKERS = 3
THREADS = 8
COHORT_SIZE = 50
# Main documents between these word counts (the case study's limit is 1,500).
FEWEST_WORDS = 1000
WORD_SPREAD = 500
# The PDFs are rendered by WeasyPrint (a third of a second each), so a few are made and each copy is given a title
# of its own, which makes its bytes (and its SHA-256) its own.
PDF_WORDS = (1180, 1260, 1340, 1420)
HTTP_TIMEOUT = (10, 300)  # connect, read: the server may queue a request behind many others
STARTUP_SECONDS = 90
# What a journey expects at each step: the status, and for a redirect where to (a refused submit also redirects,
# back to the task page with a message).
EXPECTED = {
    "task page": (200, ""),
    "upload": (302, "/enrolments/"),
    "task page after upload": (200, ""),
    "submit": (302, "/receipts/"),
    "receipt": (200, ""),
}


@dataclass(frozen=True)
class Candidate:
    """One participant on deadline night, with the document they will send and their signed-in session."""

    enrolment_id: int
    email: str
    session_key: str
    filename: str
    document: bytes
    kind: str
    words: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.document).hexdigest()

    @property
    def content_type(self) -> str:
        if self.kind == "pdf":
            return "application/pdf"
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class World:
    task_id: int
    candidates: list[Candidate]
    deadline: datetime.datetime | None = None


def build(*, participants: int, pdf_every: int = 2) -> World:
    """A reformed programme's case study with cohorts of up to COHORT_SIZE whose windows are open (closing today or
    tomorrow until `close_in` moves the deadline); `participants` active, eligible places, each signed in and with
    a document of its own (every `pdf_every`-th a PDF)."""
    today = timezone.localdate()
    programme = ProgrammeFactory(framework=Programme.Framework.REFORMED)
    task = services.scheme_create_default(by=None, programme=programme).tasks.get(number=1)
    documents = _documents(participants, pdf_every=pdf_every)
    candidates = []
    for first in range(0, participants, COHORT_SIZE):
        cohort = CohortFactory(
            programme=programme,
            start_date=today - datetime.timedelta(days=500),
            end_date=today + datetime.timedelta(days=60),
        )
        AssessmentWindow.objects.create(
            cohort=cohort,
            task=task,
            opens_on=today - datetime.timedelta(days=task.window_days - 2),
            closes_on=today + datetime.timedelta(days=1),
            case_study_title="Northfield Trust",
            case_study="The trust's three schools face falling rolls and a deficit budget.",
        )
        for index in range(first, min(first + COHORT_SIZE, participants)):
            enrolment = EnrolmentFactory(cohort=cohort)
            make_eligible(enrolment)
            filename, document, kind, words = documents[index]
            candidates.append(
                Candidate(
                    enrolment_id=enrolment.pk,
                    email=enrolment.participant.user.email,
                    session_key=session_key(enrolment.participant.user),
                    filename=filename,
                    document=document,
                    kind=kind,
                    words=words,
                )
            )
    return World(task_id=task.pk, candidates=candidates)


def session_key(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _documents(count: int, *, pdf_every: int) -> list[tuple[str, bytes, str, int]]:
    """(filename, bytes, kind, words) for each participant, every one different."""
    pdfs: dict[int, bytes] = {}
    made = []
    for index in range(count):
        if pdf_every and index % pdf_every == pdf_every - 1:
            words = PDF_WORDS[index % len(PDF_WORDS)]
            if words not in pdfs:
                from tests.assessment.docfiles import pdf_with_words  # imports WeasyPrint: only when needed

                pdfs[words] = pdf_with_words(words, seed=words)
            made.append((f"case study response {index}.pdf", _titled(pdfs[words], index), "pdf", words))
        else:
            words = FEWEST_WORDS + index % WORD_SPREAD
            made.append((f"case study response {index}.docx", docx_bytes(words), "docx", words))
    return made


def _titled(pdf: bytes, index: int) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": f"Case-study response {index}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def close_in(world: World, *, seconds: float) -> datetime.datetime:
    """Move the deadline to `seconds` from now (to the whole second): the task's deadline time and each window's
    last day, on the UK clock, as a provider would have set them. The deadline runs to the end of its minute, so
    the time stored is a minute before the moment submissions stop."""
    moment = timezone.now() + datetime.timedelta(seconds=seconds)
    moment = moment.replace(microsecond=0) + datetime.timedelta(seconds=1)
    last = timezone.localtime(moment - deadlines.ONE_MINUTE)
    task = AssessmentTask.objects.get(pk=world.task_id)
    AssessmentTask.objects.filter(pk=task.pk).update(deadline_time=last.time())
    AssessmentWindow.objects.filter(task=task).update(
        opens_on=last.date() - datetime.timedelta(days=task.window_days - 1), closes_on=last.date()
    )
    # In the hour the clocks go back, a local time names two moments: refuse rather than test the wrong one.
    assert deadlines.ends_at(last.date(), last.time()) == moment, (
        "the UK clock is changing: run it again later"
    )
    world.deadline = moment
    return moment


# The web server -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    user = f"{quote(db['USER'], safe='')}:{quote(db['PASSWORD'] or '', safe='')}"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def gunicorn(
    log: Path, *, workers: int = WORKERS, threads: int = THREADS, settings_module: str = "npqel.settings.test"
) -> Iterator[str]:
    """Start gunicorn on a free loopback port against the test database (the suite's settings: DEBUG off, emails
    kept in memory, background tasks run at once) and yield its base URL; stop it afterwards, whatever happened.
    Its output goes to `log` (read it with `server_errors`)."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": _database_url(),  # the database this test commits to
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "npqel.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "300",
        "--graceful-timeout",
        "20",
        # Not the per-user control socket (~/.gunicorn/gunicorn.ctl): other servers may be running, e.g. in the
        # suite's other process.
        "--no-control-socket",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, base_url, log, workers=workers, threads=threads)
        yield base_url
    finally:
        process.terminate()  # SIGTERM: gunicorn finishes the requests under way, then stops
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_serving(
    process: subprocess.Popen, base_url: str, log: Path, *, workers: int, threads: int
) -> None:
    """Until the sign-in page answers and every worker has booted; then one request per thread, at once, so the
    surge does not pay for the workers' first requests."""
    login = base_url + reverse("account_login")
    give_up = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn stopped while starting:\n{log.read_text(errors='replace')}")
        if time.monotonic() > give_up:
            raise AssertionError(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{_tail(log)}")
        with suppress(requests.RequestException):
            if requests.get(login, timeout=5).status_code == 200 and _booted(log) >= workers:
                break
        time.sleep(0.2)
    with ThreadPoolExecutor(max_workers=workers * threads) as pool:
        answers = list(
            pool.map(lambda _: requests.get(login, timeout=60).status_code, range(workers * threads))
        )
    assert set(answers) == {200}, f"warming up: {Counter(answers)}\n{_tail(log)}"


def _booted(log: Path) -> int:
    return log.read_text(errors="replace").count("Booting worker with pid")


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# What gunicorn and Django log for a request that failed on the server, or a worker that died.
SERVER_TROUBLE = re.compile(
    r"Traceback|Internal Server Error|\[ERROR\]|\[CRITICAL\]|WORKER TIMEOUT|was sent SIG|exited with code"
)


def server_errors(log: Path) -> list[str]:
    """The server's log lines that say something went wrong (tracebacks follow them in the log)."""
    return [line for line in log.read_text(errors="replace").splitlines() if SERVER_TROUBLE.search(line)]


@contextmanager
def files_removed(world: World) -> Iterator[None]:
    """Afterwards, delete the files the server stored for this task (the test database is emptied by pytest-django,
    the file store is not)."""
    try:
        yield
    finally:
        names = SubmissionFile.objects.filter(version__submission__task_id=world.task_id).values_list(
            "file", flat=True
        )
        for name in names:
            default_storage.delete(name)


# The surge ----------------------------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    status: int | None  # None: no answer at all (connection refused or reset, timed out)
    seconds: float
    sent_at: datetime.datetime
    problem: str = ""


class _Stop(Exception):
    """The journey cannot go on (the step that stopped it says why)."""


@dataclass
class Journey:
    candidate: Candidate
    steps: list[Step] = field(default_factory=list)
    receipt_reference: str = ""

    @property
    def problem(self) -> str:
        return next((f"{step.name}: {step.problem}" for step in self.steps if step.problem), "")

    def step(
        self, name: str, send: Callable[..., requests.Response], url: str, **kwargs: object
    ) -> requests.Response:
        sent_at = timezone.now()
        started = time.perf_counter()
        try:
            response = send(url, timeout=HTTP_TIMEOUT, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            self.steps.append(
                Step(name, None, time.perf_counter() - started, sent_at, f"no answer: {error!r}")
            )
            raise _Stop from error
        step = Step(name, response.status_code, time.perf_counter() - started, sent_at)
        self.steps.append(step)
        status, to = EXPECTED[name]
        if response.status_code != status or not response.headers.get("Location", "").startswith(to):
            step.problem = f"{response.status_code} {_what_went_wrong(response)}"
            raise _Stop
        return response

    def sent_at(self, name: str) -> datetime.datetime | None:
        return next((step.sent_at for step in self.steps if step.name == name), None)


def _what_went_wrong(response: requests.Response) -> str:
    if response.is_redirect:
        return f"sent to {response.headers.get('Location')}"
    with suppress(Exception):
        page = lxml.html.fromstring(response.content)
        shown = " ".join(page.xpath("//*[contains(@class, 'govuk-error-summary__list')]//text()")).split()
        if shown:
            return " ".join(shown)
    return response.text[:300]


def _form(response: requests.Response, action_contains: str) -> tuple[str, dict[str, str]]:
    """The form on the page whose action contains `action_contains`: its absolute URL and the hidden fields (the
    CSRF token), as a browser would send them."""
    page = lxml.html.fromstring(response.content)
    forms = [form for form in page.forms if action_contains in (form.get("action") or "")]
    if not forms:
        raise LookupError(f"no form posting to …{action_contains}… on {response.url}")
    form = forms[0]
    hidden = {field.name: field.value or "" for field in form.inputs if field.get("type") == "hidden"}
    return urljoin(response.url, form.get("action")), hidden


@dataclass
class Outcome:
    journeys: list[Journey]
    started: float
    finished: float
    uploads_pressed: float
    deadline: datetime.datetime

    def failures(self) -> list[str]:
        return [
            f"{j.candidate.email}: {j.problem}" for j in self.journeys if j.problem or not j.receipt_reference
        ]

    def statuses(self) -> Counter:
        return Counter(step.status for journey in self.journeys for step in journey.steps)

    def figures(self, *, workers: int = WORKERS, threads: int = THREADS) -> str:
        """The figures the bench prints: latencies per step, throughput, the status of every answer."""
        journeys = self.journeys
        kinds = Counter(j.candidate.kind for j in journeys)
        size = sum(len(j.candidate.document) for j in journeys)
        surge = self.finished - self.uploads_pressed
        opening = self.uploads_pressed - self.started
        receipts = sum(1 for j in journeys if j.receipt_reference)
        lines = [
            f"Deadline surge: {len(journeys)} participants against gunicorn ({workers} workers × {threads} threads) "
            "and PostgreSQL on loopback",
            f"documents: {kinds['docx']} Word, {kinds['pdf']} PDF, {size / 1024 / 1024:.1f} MB in all",
            f"{'step':<24} {'answers':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}",
        ]
        for name in EXPECTED:
            times = [s.seconds * 1000 for j in journeys for s in j.steps if s.name == name]
            if times:
                lines.append(
                    f"{name:<24} {len(times):8d} {_percentile(times, 50):8.0f} {_percentile(times, 95):8.0f} "
                    f"{max(times):8.0f}"
                )
        whole = [
            sum(s.seconds for s in j.steps if s.name != "task page") * 1000
            for j in journeys
            if j.receipt_reference
        ]
        if whole:
            lines.append(
                f"{'Upload to receipt':<24} {len(whole):8d} {_percentile(whole, 50):8.0f} "
                f"{_percentile(whole, 95):8.0f} {max(whole):8.0f}"
            )
        by_status = ", ".join(
            f"{'no answer' if status is None else status} × {count}"
            for status, count in sorted(
                self.statuses().items(), key=lambda item: (item[0] is None, item[0] or 0)
            )
        )
        after = sum(1 for j in journeys for s in j.steps if s.name != "task page")
        lines += [
            f"answers: {by_status}",
            f"task pages opened by everyone in {opening:.1f} s; then, from everyone pressing Upload to the last "
            f"receipt, {surge:.1f} s: {receipts} receipts ({receipts / surge:.1f} submissions a second), "
            f"{after} requests ({after / surge:.1f} a second)",
        ]
        return "\n".join(lines)


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * percent / 100) - 1)]


def run(base_url: str, world: World, *, closes_in: float = 60) -> Outcome:
    """Deadline night. Everyone has their task page open (loaded at once, before the last minute); the deadline is
    then moved to `closes_in` seconds away, and everyone presses Upload at the same moment; each then submits with
    the declaration and opens their receipt."""
    journeys = [Journey(candidate) for candidate in world.candidates]
    with ThreadPoolExecutor(max_workers=len(journeys)) as pool:
        started = time.perf_counter()
        opened = list(pool.map(lambda journey: _open_page(base_url, journey), journeys))
        deadline = close_in(world, seconds=closes_in)
        ready = [(journey, page) for journey, page in zip(journeys, opened, strict=True) if page is not None]
        pressed: list[float] = []
        if ready:
            barrier = threading.Barrier(
                len(ready), action=lambda: pressed.append(time.perf_counter()), timeout=120
            )
            list(pool.map(lambda both: _upload_and_submit(base_url, *both, barrier), ready))
        finished = time.perf_counter()
    return Outcome(
        journeys=journeys,
        started=started,
        finished=finished,
        uploads_pressed=pressed[0] if pressed else finished,
        deadline=deadline,
    )


@dataclass
class _OpenPage:
    session: requests.Session
    url: str
    upload: tuple[str, dict[str, str]]


def _open_page(base_url: str, journey: Journey) -> _OpenPage | None:
    """The participant, signed in, opens their task page; the upload form's address and CSRF token (None: the page
    did not come, or had no upload form, which the journey records)."""
    candidate = journey.candidate
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, candidate.session_key, domain="127.0.0.1", path="/")
    # A new connection for each request, as nginx makes to its upstream by default. Reusing one left idle longer
    # than gunicorn's keep-alive (2 s) races the server closing it: the request is reset unanswered, which a
    # browser answers by sending it again on a new connection and `requests` does not.
    session.headers["Connection"] = "close"
    url = base_url + reverse("my_task", args=[candidate.enrolment_id, 1])
    try:
        page = journey.step("task page", session.get, url)
        return _OpenPage(session, url, _form(page, reverse("task_upload", args=[candidate.enrolment_id, 1])))
    except _Stop:
        return None
    except LookupError as error:
        journey.steps[-1].problem = str(error)
        return None


def _upload_and_submit(base_url: str, journey: Journey, page: _OpenPage, barrier: threading.Barrier) -> None:
    candidate, session = journey.candidate, page.session
    action, fields = page.upload
    browser = {"Origin": base_url, "Referer": page.url}
    try:
        barrier.wait()  # everyone presses Upload at the same moment
    except threading.BrokenBarrierError:
        journey.steps.append(
            Step("upload", None, 0.0, timezone.now(), "the others never got to press Upload")
        )
        return
    try:
        uploaded = journey.step(
            "upload",
            session.post,
            action,
            data=fields,
            files={"main": (candidate.filename, candidate.document, candidate.content_type)},
            headers=browser,
        )
        shown = journey.step(
            "task page after upload", session.get, urljoin(action, uploaded.headers["Location"])
        )
        try:
            action, fields = _form(shown, "/submit/")
        except LookupError as error:
            journey.steps[-1].problem = str(error)
            return
        submitted = journey.step(
            "submit", session.post, action, data={**fields, "declaration": "on"}, headers=browser
        )
        location = submitted.headers["Location"]
        receipt = journey.step("receipt", session.get, urljoin(action, location))
        journey.receipt_reference = location.rstrip("/").rsplit("/", 1)[-1]
        if candidate.sha256 not in receipt.text:
            journey.steps[-1].problem = "the receipt page does not show the file's SHA-256"
    except _Stop:
        pass


# What was kept ------------------------------------------------------------------------------------------------


def stored_problems(world: World, outcome: Outcome) -> list[str]:
    """Everything that is not as it should be after the surge, read from the database and the file store: each
    participant has one submission, submitted, of the one version they uploaded (begun before the deadline), with
    their file (its bytes, SHA-256, words and name) stored; and one receipt, the one they were shown, that records
    the same SHA-256 and has been emailed. Candidate numbers and receipt references are all different."""
    problems = []
    submissions = {
        s.enrolment_id: s
        for s in Submission.objects.filter(task_id=world.task_id)
        .select_related("submitted_version")
        .prefetch_related("versions__files", "receipts")
    }
    journeys = {j.candidate.enrolment_id: j for j in outcome.journeys}
    for candidate in world.candidates:
        who = candidate.email
        submission = submissions.get(candidate.enrolment_id)
        if submission is None:
            problems.append(f"{who}: no submission stored")
            continue
        versions = list(submission.versions.all())
        receipts = list(submission.receipts.all())
        if submission.status != Submission.Status.SUBMITTED or len(versions) != 1:
            problems.append(f"{who}: {submission.get_status_display()} with {len(versions)} versions")
            continue
        version = versions[0]
        if submission.submitted_version_id != version.pk:
            problems.append(f"{who}: the version submitted is not the one uploaded")
        if not version.upload_started_at < world.deadline:
            problems.append(f"{who}: upload began at {version.upload_started_at}, after the deadline")
        problems += _file_problems(who, candidate, list(version.files.all()))
        shown = journeys[candidate.enrolment_id].receipt_reference
        if [r.reference for r in receipts] != [shown]:
            problems.append(f"{who}: receipts {[r.reference for r in receipts]}, shown {shown!r}")
        for receipt in receipts:
            if [f["sha256"] for f in receipt.content["files"]] != [candidate.sha256]:
                problems.append(f"{who}: receipt {receipt.reference} records another file")
            if receipt.emailed_at is None:
                problems.append(f"{who}: receipt {receipt.reference} was not emailed")
    numbers = [s.candidate_number for s in submissions.values()]
    if len(set(numbers)) != len(numbers):
        problems.append("two submissions share a candidate number")
    references = list(
        Receipt.objects.filter(submission__task_id=world.task_id).values_list("reference", flat=True)
    )
    if len(references) != len(world.candidates) or len(set(references)) != len(references):
        problems.append(
            f"{len(references)} receipts ({len(set(references))} different) for {len(world.candidates)}"
        )
    return problems


def _file_problems(who: str, candidate: Candidate, files: list[SubmissionFile]) -> list[str]:
    if len(files) != 1:
        return [f"{who}: {len(files)} files stored"]
    stored = files[0]
    problems = []
    expected = (
        candidate.sha256,
        len(candidate.document),
        candidate.words,
        candidate.kind,
        candidate.filename,
    )
    got = (stored.sha256, stored.size, stored.words, stored.kind, stored.original_name)
    if got != expected:
        problems.append(f"{who}: stored {got}, sent {expected}")
    with default_storage.open(stored.file.name, "rb") as kept:
        if hashlib.sha256(kept.read()).hexdigest() != candidate.sha256:
            problems.append(f"{who}: the bytes in the file store are not the ones sent")
    return problems


def report(world: World, outcome: Outcome, *, workers: int = WORKERS) -> str:
    """The figures, and how long the server kept participants waiting before it began their uploads."""
    wait, margin = longest_wait(world, outcome)
    return (
        f"{outcome.figures(workers=workers)}\nlongest wait between pressing Upload and the server beginning the "
        f"upload (the moment the deadline rule reads): {wait:.1f} s; the last upload began {margin:.1f} s before "
        "the deadline"
    )


def longest_wait(world: World, outcome: Outcome) -> tuple[float, float]:
    """(The longest time between a participant pressing Upload and the server beginning their upload, which is the
    moment the deadline rule reads; how long before the deadline the last upload began), in seconds."""
    began = dict(
        Submission.objects.filter(task_id=world.task_id).values_list(
            "enrolment_id", "versions__upload_started_at"
        )
    )
    waits = []
    for journey in outcome.journeys:
        pressed = journey.sent_at("upload")
        if pressed is not None and began.get(journey.candidate.enrolment_id) is not None:
            waits.append((began[journey.candidate.enrolment_id] - pressed).total_seconds())
    last = max((b for b in began.values() if b is not None), default=world.deadline)
    return max(waits, default=0.0), (world.deadline - last).total_seconds()

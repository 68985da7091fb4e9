"""Equality data (ethnicity, sex, disability, age) is special-category data: it never reaches the logs, never
travels in a URL, and never appears in an error report.

- Logs: every log record (every logger, every level) written during a participant's whole journey — imported
  from a spreadsheet with equality columns, a register, an extension with evidence, a submission, marking,
  results, a certificate, the pages admins read their record on, the API, a data export, erasure and the nightly
  retention job — is searched for the person's equality values, their labels and the fields' names.
- URLs: no URL pattern, no GET form, no link in a template, no API filter or ordering, and no view reading the
  query string uses an equality field's name: the metrics pages show groups only as aggregates.
- Error reports: with participants.privacy_logging's reporter filter (one setting), the report emailed to ADMINS
  for a failed request hides equality POST parameters and local variables, while Django's own filter would not.
"""

import datetime
import logging
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.test import RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.log import AdminEmailHandler
from django.views.debug import get_default_exception_reporter_filter

from npqel.access import Role
from participants import imports, privacy, privacy_export
from participants.models import Enrolment, Participant
from participants.privacy_logging import EqualityExceptionReporterFilter, is_equality_name
from tests.people import person
from tests.privacy.world import rich_place
from tests.programmes.factories import CohortFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

# The equality values used below, as codes and as words, and the fields' own names.
FORBIDDEN = re.compile(
    r"ABAN|Bangladeshi|AIND|Indian|ethnic|disab|age_band|45 to 54|45_54|\bfemale\b|\bsex\b", re.IGNORECASE
)
EQUALITY_WORDS = re.compile(r"ethnic|(?<![a-z])sex(?![a-z])|gender|disab|age_band", re.IGNORECASE)
ROOT = Path(settings.BASE_DIR)
APPS = ("accounts", "npqel", "participants", "programmes", "assessment", "metrics", "audit")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self, record: logging.LogRecord) -> str:
        formatted = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
        return f"{formatted} {record.args!r} {getattr(record, 'request', '')!s}"


@pytest.fixture
def captured():
    """Every record of every logger (those that do not propagate to the root too), at every level."""
    capture = Capture()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.addHandler(capture)
    logging.getLogger().setLevel(logging.DEBUG)
    yield capture
    for logger, level in levels:
        logger.removeHandler(capture)
        logger.setLevel(level)


def test_a_whole_journey_writes_no_equality_data_to_any_log(client, provider, captured):
    admin = person(Role.PROVIDER_ADMIN, provider)
    staff = person(Role.PLATFORM_STAFF)
    CohortFactory(
        programme=ProgrammeFactory(provider=provider, code="imported"),
        code="ee-2025",
        start_date=datetime.date(2025, 9, 1),
        end_date=datetime.date(2027, 2, 28),
    )
    header = "external_id,email,first_name,last_name,school_urn,school_name,cohort_code,ethnicity_code,sex,disability"
    rows = [
        "A-001,amira.khan@example.org,Amira,Khan,137042,Northfield Primary,ee-2025,ABAN,female,yes",
        "A-002,ben.jones@example.org,Ben,Jones,137042,Northfield Primary,ee-2025,AIND,male,no",
    ]
    content = "\n".join([header, *rows]).encode()
    # A preview with a mistake in an equality cell, then the import itself.
    bad = imports.import_check(
        by=admin,
        provider=provider,
        file_name="cohort.csv",
        content=content.replace(b"AIND", b"Indian"),
    )
    assert bad.status == "rejected"
    batch = imports.import_enrolments(by=admin, provider=provider, file_name="cohort.csv", content=content)
    assert batch.status == "imported"
    amira = Participant.objects.get(user__email="amira.khan@example.org")
    assert (amira.ethnicity_code, amira.sex, amira.disability) == ("ABAN", "female", "yes")

    rich = rich_place(provider, admin=admin)  # register, extension, submission, marking, results, certificate
    Participant.objects.filter(pk=rich.participant.pk).update(
        ethnicity_code="ABAN", sex="female", age_band="45_54"
    )
    client.force_login(admin)
    assert (
        "Asian – Bangladeshi"
        in client.get(reverse("enrolment_detail", args=[rich.enrolment.pk])).content.decode()
    )
    assert "ABAN" in client.get(reverse("api:participant-detail", args=[amira.pk])).content.decode()
    assert client.get(f"/enrolments/{Enrolment.objects.order_by('-pk')[0].pk + 1000}/").status_code == 404
    privacy_export.participant_data_export(by=admin, participant=rich.participant)
    client.get(reverse("participant_data_export", args=[amira.pk]))
    privacy.participant_erase(by=staff, participant=amira, reason="Her request")
    privacy.participant_erase(by=staff, participant=rich.participant, reason="Her request")
    privacy.erase_expired()

    assert captured.records, "the journey logged nothing: the capture is not working"
    assert any(r.name == "django.request" for r in captured.records)  # the 404 above
    leaks = [captured.text(r) for r in captured.records if FORBIDDEN.search(captured.text(r))]
    assert not leaks, "\n".join(leaks)


def _callbacks() -> list[tuple[str, str, object]]:
    found: list[tuple[str, str, object]] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append((entry.name or "", prefix + str(entry.pattern), entry.callback))

    walk(get_resolver(), "")
    return found


def test_no_url_pattern_api_filter_or_ordering_names_an_equality_field():
    problems = []
    for name, pattern, callback in _callbacks():
        if EQUALITY_WORDS.search(name) or EQUALITY_WORDS.search(pattern):
            problems.append(f"URL {name} → {pattern}")
        view = getattr(callback, "cls", None)
        filterset = getattr(view, "filterset_class", None)
        names = list(getattr(filterset, "base_filters", {}) or {})
        names += list(getattr(view, "filterset_fields", None) or [])
        names += list(getattr(view, "ordering_fields", None) or [])
        names += list(getattr(view, "search_fields", None) or [])
        problems += [f"API {name}: query parameter {n}" for n in names if EQUALITY_WORDS.search(n)]
    assert not problems, "\n".join(problems)


def test_no_get_form_or_link_in_a_template_carries_equality_data():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for form in re.finditer(r"<form\b[^>]*>.*?</form>", text, re.DOTALL | re.IGNORECASE):
            opening = form.group(0)[: form.group(0).index(">") + 1]
            if re.search(r"method\s*=\s*[\"']post", opening, re.IGNORECASE):
                continue  # a POST body is not a URL
            for field_name in re.findall(r"name\s*=\s*[\"']([^\"']+)", form.group(0)):
                if EQUALITY_WORDS.search(field_name):
                    problems.append(f"{path.relative_to(ROOT)}: GET form field {field_name}")
        for query in re.findall(r"[?&]([a-z_]+)=", text):
            if EQUALITY_WORDS.search(query):
                problems.append(f"{path.relative_to(ROOT)}: link with ?{query}=")
    assert not problems, "\n".join(problems)


def test_no_view_reads_an_equality_field_from_the_query_string():
    problems = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if re.search(r"\bGET\b|query_params", line) and EQUALITY_WORDS.search(line):
                    problems.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not problems, "\n".join(problems)


# Error reports ------------------------------------------------------------------------------------------


def _report(filter_path: str | None) -> str:
    """The error report Django emails to ADMINS for a failed POST carrying equality data, with its HTML part."""
    request = RequestFactory().post(
        "/imports/1/confirm/",
        {
            "ethnicity_code": "ABAN",
            "sex": "female",
            "disability": "yes",
            "age_band": "45_54",
            "cohort": "ee-2025",
        },
    )
    request.user = person(Role.PLATFORM_STAFF)

    def import_row() -> None:
        parsed = {"email": "amira.khan@example.org", "ethnicity_code": "ABAN", "sex": "female"}  # noqa: F841
        disability = "yes"  # noqa: F841
        raise ValueError("The import failed")

    try:
        import_row()
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error", None, exc_info
    )
    record.request = request
    record.status_code = 500
    overrides = {
        "ADMINS": [("Operations", "ops@example.org")],
        "DEBUG": False,
        "DEFAULT_EXCEPTION_REPORTER_FILTER": filter_path or "django.views.debug.SafeExceptionReporterFilter",
    }
    mail.outbox.clear()
    with override_settings(**overrides):
        get_default_exception_reporter_filter.cache_clear()  # Django reads the setting once, then caches it
        try:
            AdminEmailHandler(include_html=True).emit(record)
        finally:
            get_default_exception_reporter_filter.cache_clear()
    [message] = mail.outbox
    return message.body + "".join(str(content) for content, _ in message.alternatives)


def test_error_reports_hide_equality_data_with_the_filter_and_would_show_it_without():
    shown = _report(None)
    assert "ABAN" in shown and "'female'" in shown  # what Django's own filter lets through
    hidden = _report("participants.privacy_logging.EqualityExceptionReporterFilter")
    assert "ABAN" not in hidden and "female" not in hidden and "45_54" not in hidden
    assert (
        "ee-2025" in hidden and "amira.khan@example.org" in hidden
    )  # everything else is still there to debug
    assert EqualityExceptionReporterFilter.cleansed_substitute in hidden


@pytest.mark.parametrize(
    ("name", "equality"),
    [
        ("ethnicity_code", True),
        ("sex", True),
        ("disability", True),
        ("age_band", True),
        ("age", True),
        ("participant__sex", True),
        ("gender", True),
        ("sessions", False),
        ("essex_school", False),
        ("message", False),
        ("page", False),
        ("usage", False),
    ],
)
def test_what_the_filter_counts_as_an_equality_field(name, equality):
    assert is_equality_name(name) is equality


def test_the_settings_use_the_filter_that_hides_equality_data():
    from django.conf import settings

    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == (
        "participants.privacy_logging.EqualityExceptionReporterFilter"
    )

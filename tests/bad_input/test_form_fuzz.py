"""Every HTML form, fed junk: no 5xx, and every refusal says what to fix.

The pages are the isolation matrix's (tests/isolation/test_matrix.py): its world, its SCOPED cases (with their
URL arguments), its pages without arguments, allauth's pages, and a few pages that need a moment in a flow
(SPECIAL). Each page is opened as someone who may use it and its <form>s are read with lxml. Every form then gets:
- the SWEEP: each of the values most likely to get past a form (100,000 characters, a NUL byte, "²", full-width
  digits, numbers past 64 bits, 0000-00-00, 2026-02-30, 9999-12-31, right-to-left text and emoji) typed into
  every box at once, every choice left as offered;
- EXAMPLES requests drawn by hypothesis: each field left out, given a value the page offers, or junk (the
  values above and more, any Unicode text, several values where one is expected, junk files).
Lone surrogates cannot be sent in a request, so they are left out. Each request runs in a savepoint that is rolled
back, so every request meets the same world.

For every answer: never a 5xx; a 400 shows a GOV.UK error summary (or, for a request Django could not read at
all, templates/400.html); and no message in an error summary (on a 400 or 200 re-render, or on the page a
redirect leads to) is a bare "invalid" or one of Django's defaults that name neither the field nor what to write.
Run alone with `pytest -m form_fuzz` (about a minute and a half).
"""

import dataclasses
import re
import traceback
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accounts.services import invitation_link
from assessment.results import results_release
from npqel.access import Role, access_for
from tests.accounts.factories import PASSWORD, UserFactory, give_totp
from tests.assessment.marking_setup import allocate, live, mark, marking_cohort
from tests.assessment.moderation_factories import drawn_sample, marked_world
from tests.isolation.test_matrix import ALLAUTH_MODULE_PREFIX, LISTS, SCOPED, UNSCOPED, build_world
from tests.isolation.urls import all_routes
from tests.people import person
from tests.programmes.factories import ProviderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.form_fuzz]

EXAMPLES = 4  # drawn per form, after the SWEEP: about 120 forms, so the file runs in under two minutes
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same junk every run: a failure here is a failure next time too
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the report shows the request as sent
    suppress_health_check=list(HealthCheck),
)

# Values a person (or a script) might send. Lone surrogates are absent: they cannot be encoded in a request.
NASTY = [
    "",
    " ",
    "x" * 100_000,
    "é" * 100_000,
    "\u202egnp.exe",  # a right-to-left override
    "مدرسة القيادة",  # right-to-left text
    "👩\u200d🏫🏫🇬🇧",  # emoji, a joiner and a flag
    "\x00",
    "Zoë\x00Siân",
    "<script>alert(1)</script>",
    "'; DROP TABLE participants; --",
    '=HYPERLINK("http://evil.example")',
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "Infinity",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999999999999999",
    "3.14159265358979323846264338327950288",
    "0000-00-00",
    "2026-02-30",
    "2026-13-01",
    "9999-12-31",
    "0001-01-01",
    "31/12/2026",
    "25:61",
    "１２３",  # full-width digits
    "²",  # a digit Python's str.isdigit() accepts and int() refuses
    "../../etc/passwd",
    "%s%n{0}{{7*7}}",
]
# Each sent in every field of every form at once: the values most likely to reach a bug past the form.
SWEEP = [
    "",
    "x" * 100_000,
    "\x00",
    "Zoë\x00Siân",
    "²",
    "１２３",
    "-1",
    "2147483648",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "0000-00-00",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "\u202egnp.exe 👩\u200d🏫",
]
COULD_NOT_READ = "We could not read what you sent"
SCALAR = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
JUNK = st.one_of(SCALAR, st.lists(SCALAR, min_size=2, max_size=3))
FILE_NAMES = st.sampled_from(
    ["essay.pdf", "a" * 300 + ".docx", "../../etc/passwd", "\u202excod.exe", "....", "Zoë\x00.csv"]
)
FILE_BYTES = st.sampled_from(
    [b"", b"%PDF-1.7\n", b"PK\x03\x04" + bytes(64), b"\xff\xfe\x00\x00", bytes(range(256))]
)
OMIT = object()  # the field is left out of the request, as a browser leaves out an unticked box

# Messages that give no hint of what to change: a bare "invalid", and Django's defaults that name neither the field
# nor what to write in it ("This field is required." beside two date boxes: which one?).
GENERIC = re.compile(
    r"^(error|invalid( input| value| data)?|this field is invalid|something went wrong|there is a problem|"
    r"bad request|an error occurred|this field is required|enter a valid value|enter a valid date|"
    r"enter a valid time|enter a valid date/time|enter a number|enter a whole number|"
    r"select a valid choice\..*is not one of the available choices)\W*$",
    re.IGNORECASE | re.DOTALL,
)


@dataclasses.dataclass
class Field:
    name: str
    kind: str  # text, select, radio, checkbox, file, hidden, textarea, submit…
    values: list[str]  # the values the page offers (options, the value of a box, a default)


@dataclasses.dataclass
class Target:
    method: str
    url: str
    fields: dict[str, Field]
    page: str  # where the form was found


def read_forms(page_url: str, html: str) -> list[Target]:
    """Every form on the page with the fields a browser would send."""
    targets = []
    for form in lxml.html.fromstring(html).forms:
        fields: dict[str, Field] = {}
        for element in form.xpath(".//input|.//select|.//textarea|.//button"):
            name = element.get("name")
            if not name:
                continue
            tag = element.tag
            kind = (element.get("type") or "text").lower() if tag in ("input", "button") else tag
            if tag == "select":
                offered = [
                    option.get("value", option.text_content()) for option in element.xpath(".//option")
                ]
            elif tag == "textarea":
                offered = [element.text or ""]
            else:
                offered = [element.get("value", "on" if kind in ("checkbox", "radio") else "")]
            field = fields.setdefault(name, Field(name, kind, []))
            field.values += [v for v in offered if v not in field.values]
        action = urljoin(page_url, form.get("action") or page_url)
        targets.append(Target((form.get("method") or "get").lower(), action, fields, page_url))
    return targets


# Inputs a person types into (the rest offer choices, or are hidden or files).
TYPED = {
    "text",
    "textarea",
    "date",
    "time",
    "datetime-local",
    "number",
    "email",
    "url",
    "search",
    "password",
    "tel",
}


def real_value(field: Field) -> str:
    """What the page offers: the first option that is not empty, a box's value, a default."""
    return next((v for v in field.values if v), field.values[0] if field.values else "")


def field_value(field: Field):
    if field.name == "csrfmiddlewaretoken":
        return st.just(field.values[0] if field.values else "")
    if field.kind == "file":
        return st.one_of(
            st.just(OMIT),
            st.builds(lambda name, content: SimpleUploadedFile(name, content), FILE_NAMES, FILE_BYTES),
        )
    offered = [v for v in field.values if v is not None]
    real = st.sampled_from(offered) if offered else st.just("")
    return st.one_of(st.just(OMIT), real, JUNK)


def error_messages(html: str) -> list[str]:
    """The messages in the page's GOV.UK error summaries."""
    document = lxml.html.fromstring(html)
    found = []
    for summary in document.find_class("govuk-error-summary"):
        for body in summary.find_class("govuk-error-summary__body"):
            items = body.xpath(".//li") or body.xpath(".//p") or [body]
            found += [" ".join(item.text_content().split()) for item in items]
    return [m for m in found if m]


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def check_answer(response, what: str, *, is_allauths: bool = False) -> list[str]:
    """Problems with one answer to junk: a 5xx, or a refusal that does not say what to fix. Every message of our
    own forms names the field or what to write. allauth's forms (sign-in, passwords) keep Django's wording, which
    only settings.ACCOUNT_FORMS could change: for them, only no 5xx and an error summary on a 400."""
    if response.status_code >= 500:
        return [f"{what}: {response.status_code}"]
    if not is_html(response) or response.status_code not in (200, 400, 413):
        return []
    html = response.content.decode(errors="replace")
    messages = error_messages(html)
    if response.status_code == 400 and COULD_NOT_READ in html:
        return []  # Django refused a request too large to read (templates/400.html): it says what to do
    if response.status_code in (400, 413) and not messages:
        return [f"{what}: {response.status_code} with no error summary saying what to fix"]
    vague = [m for m in messages if GENERIC.match(m)]
    if vague and not is_allauths:
        return [f"{what}: {response.status_code} with messages that do not say what to fix: {vague}"]
    return []


def shown(data: dict) -> str:
    def short(value):
        if isinstance(value, list):
            return [short(v) for v in value]
        if isinstance(value, SimpleUploadedFile):
            return f"<file {value.name[:40]!r}, {value.size} bytes>"
        return value[:40] + f"…({len(value)})" if len(value) > 40 else value

    return repr({k: short(v) for k, v in data.items()})


def send(client, target: Target, data: dict):
    if target.method == "get":
        return client.get(
            target.url, {k: v for k, v in data.items() if not isinstance(v, SimpleUploadedFile)}
        )
    return client.post(target.url, data)


def where(error: BaseException) -> str:
    """The deepest line of our own code the error passed through."""
    ours = [f for f in traceback.extract_tb(error.__traceback__) if "/.venv/" not in f.filename]
    frame = (ours or traceback.extract_tb(error.__traceback__))[-1]
    return f"{frame.filename}:{frame.lineno}"


def fuzz(client, opened: "Opened", target: Target) -> list[str]:
    """Send junk to one form: each of SWEEP in every field at once, then EXAMPLES mixes drawn by hypothesis. The
    problems found (none when it copes)."""
    problems: list[str] = []
    is_allauths = resolve(urlsplit(target.url).path).func.__module__.startswith(ALLAUTH_MODULE_PREFIX)

    def attempt(data: dict) -> None:
        what = f"{target.method.upper()} {target.url} as {opened.who} (form on {target.page}) {shown(data)}"
        opened.prepare()
        savepoint = transaction.savepoint()
        try:
            response = send(client, target, data)
            problems.extend(check_answer(response, what, is_allauths=is_allauths))
            location = response.get("Location", "") if response.status_code in (301, 302, 303) else ""
            if location and not urlsplit(location).netloc and not problems:
                followed = client.get(location)
                problems.extend(check_answer(followed, f"{what} → GET {location}", is_allauths=is_allauths))
        except Exception as error:  # the test client re-raises what the view raised: a 500 for a person
            problems.append(f"{what}: {type(error).__name__}: {str(error)[:200]} at {where(error)}")
        finally:
            transaction.savepoint_rollback(savepoint)

    # The sweep types into the boxes a person types in and leaves every choice as offered, so that a junk choice
    # cannot hide what the typed value does.
    typed = [n for n, f in target.fields.items() if f.kind in TYPED and n != "csrfmiddlewaretoken"]
    offered = {n: real_value(f) for n, f in target.fields.items() if n not in typed and f.kind != "file"}
    for value in SWEEP if typed else []:
        attempt(offered | {name: value for name in typed})

    @FUZZ
    @given(values=st.fixed_dictionaries({name: field_value(f) for name, f in target.fields.items()}))
    def drawn(values):
        attempt({k: v for k, v in values.items() if v is not OMIT})

    drawn()
    return problems


# Which pages to open ---------------------------------------------------------------------------------------

ROUTES = {route.name: route for route in all_routes() if route.name}
NOT_FORMS = {
    "account_logout",  # signing out ends the session the rest of the run needs
}
# Pages this installation switches off, so no one can open them.
SWITCHED_OFF = {
    "account_request_reauthentication_code": "ACCOUNT_LOGIN_BY_CODE_ENABLED is off",
    "account_confirm_reauthentication_code": "ACCOUNT_LOGIN_BY_CODE_ENABLED is off",
    "account_confirm_login_code": "ACCOUNT_LOGIN_BY_CODE_ENABLED is off",
}
# Fields of forms the world never shows (the upload form appears only while a window is open); sent anyway.
HIDDEN_FIELDS = {
    "task_upload": {"main": Field("main", "file", []), "appendices": Field("appendices", "file", [])}
}


def app_of(name: str) -> str:
    module = ROUTES[name].module
    return "allauth" if module.startswith(ALLAUTH_MODULE_PREFIX) else module.split(".")[0]


def takes_arguments(name: str) -> bool:
    return "<" in ROUTES[name].pattern or "(?P" in ROUTES[name].pattern


def page_names() -> list[str]:
    names = [n for n in SCOPED if not n.startswith("api")]
    for name, route in ROUTES.items():
        if name.startswith("api") or name in SCOPED or name in NOT_FORMS or name in SWITCHED_OFF:
            continue
        if name in SPECIAL or (
            not takes_arguments(name)
            and (name in UNSCOPED or name in LISTS or route.module.startswith(ALLAUTH_MODULE_PREFIX))
        ):
            names.append(name)
    return names


PREFERENCE = [
    Role.PROVIDER_ADMIN,
    Role.PLATFORM_STAFF,
    Role.ASSESSOR,
    Role.FACILITATOR,
    Role.COACH,
    Role.MODERATOR,
    Role.PARTICIPANT,
]


@dataclasses.dataclass
class Opened:
    prepare: Callable[[], None]  # signs the right person in (or out) before each request
    who: str
    url: str
    html: str | None  # None: the endpoint of a button, with no page of its own; "": a download


def signed_in_as(client, user, *, recently: bool = False) -> Callable[[], None]:
    def prepare() -> None:
        if user is None:
            client.logout()
            return
        client.force_login(user)
        if recently and user.has_usable_password():
            # allauth asks for the password again before changing how someone signs in.
            cache.clear()  # its rate limit: every example confirms the password again
            client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    return prepare


def who_may(world, name: str) -> list:
    """Users to try, most likely to be allowed first: the place's own participant for their own pages."""
    owner = world.objects["own"]["enrolment"].participant.user
    case = SCOPED.get(name)
    users = [world.users[role] for role in PREFERENCE]
    if case is not None:
        allowed = [u for u in users if access_for(u).may(case.action, world.own.pk)]
        users = ([owner] if case.ok == (404,) else []) + allowed + [owner]
    return [*users, world.passwordless, None]  # None: signed out (sign-in and password-reset pages)


def open_page(client, world, name: str) -> Opened | None:
    """The page opened by the first user who may use it, or None when no one may."""
    if name in SPECIAL:
        return SPECIAL[name](client, world)
    case = SCOPED.get(name)
    url = reverse(name, kwargs=case.kwargs(world.objects["own"]) if case else None)
    for user in who_may(world, name):
        prepare = signed_in_as(client, user, recently=app_of(name) == "allauth")
        prepare()
        if case is not None and case.method != "get":
            return Opened(prepare, str(user), url, None)
        response = client.get(url)
        if response.status_code == 405:  # a button's endpoint without a case: its form is on another page
            return Opened(prepare, str(user), url, None)
        if response.status_code == 200:
            return Opened(prepare, str(user), url, response.content.decode() if is_html(response) else "")
    return None


def opened_at(client, prepare, who: str, url: str, *, follow: bool = False) -> Opened | None:
    """The page at `url` (or where it leads, if `follow`), opened after `prepare`; None if it is not there."""
    prepare()
    response = client.get(url, follow=follow)
    if response.status_code != 200:
        return None
    return Opened(prepare, who, response.request["PATH_INFO"], response.content.decode())


def _mfa_authenticate(client, world) -> Opened | None:
    """Half signed in: the password was right, the authenticator code is still to come."""
    admin = world.users[Role.PROVIDER_ADMIN]

    def prepare() -> None:
        client.logout()
        cache.clear()  # the sign-in rate limit: every example signs in again
        client.post(reverse("account_login"), {"login": admin.email, "password": PASSWORD})

    return opened_at(client, prepare, "signing in with a password", reverse("mfa_authenticate"))


def _reset_from_key(client, world) -> Opened | None:
    """The link in a password-reset email (allauth keeps the key in the session, then shows the form)."""
    user = world.users[Role.FACILITATOR]
    url = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )

    def prepare() -> None:
        client.logout()
        client.get(url)

    return opened_at(client, prepare, "a password-reset link", url, follow=True)


def _invitation_accept(client, world) -> Opened | None:
    link = invitation_link(world.objects["own"]["invitation"])
    return opened_at(client, signed_in_as(client, None), "an invitation link", urlsplit(link).path)


def _moderation_item(client, world) -> Opened | None:
    o = world.objects["own"]
    sample = drawn_sample(marked_world(o["provider"], cohort=o["cohort"]), by=o["admin"])
    moderator = world.users[Role.MODERATOR]
    url = reverse("moderation_item", args=[sample.items.first().pk])
    return opened_at(client, signed_in_as(client, moderator), str(moderator), url)


def _review_ask(client, world) -> Opened | None:
    """A participant whose failed result is out: they may ask for a review."""
    provider = ProviderFactory()
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    mark(allocate(script, setup.assessors[0]), "fail")
    mark(live(script, "second"), "fail")
    results_release(
        by=person(Role.PROVIDER_ADMIN, provider),
        cohort=setup.cohort,
        task=setup.task,
        without_moderation="Small.",
    )
    owner = script.enrolment.participant.user
    url = reverse("review_ask", args=[script.enrolment_id, setup.task.number])
    return opened_at(client, signed_in_as(client, owner), str(owner), url)


def _recently(role: Role, name: str):
    def opener(client, world) -> Opened | None:
        user = world.users[role]
        return opened_at(client, signed_in_as(client, user, recently=True), str(user), reverse(name))

    return opener


# Pages that need a moment in a flow, or objects the matrix's world does not hold.
SPECIAL: dict[str, Callable] = {
    "mfa_authenticate": _mfa_authenticate,
    "account_reset_password_from_key": _reset_from_key,
    "invitation_accept": _invitation_accept,
    "moderation_item": _moderation_item,
    "review_ask": _review_ask,
    # Staff must keep their authenticator app; others may set one up (a participant) or take it off (the coach).
    "mfa_activate_totp": _recently(Role.PARTICIPANT, "mfa_activate_totp"),
    "mfa_deactivate_totp": _recently(Role.COACH, "mfa_deactivate_totp"),
    "mfa_view_recovery_codes": _recently(Role.COACH, "mfa_view_recovery_codes"),
    "mfa_generate_recovery_codes": _recently(Role.COACH, "mfa_generate_recovery_codes"),
    "mfa_download_recovery_codes": _recently(Role.COACH, "mfa_download_recovery_codes"),
}
PAGES = page_names()
APPS = sorted({app_of(n) for n in PAGES})


def fuzz_world():
    """The isolation matrix's world, plus someone with no password yet (an imported participant) and a coach
    with an authenticator app and recovery codes."""
    world = build_world()
    world.passwordless = UserFactory()
    world.passwordless.set_unusable_password()
    world.passwordless.save()
    coach = world.users[Role.COACH]
    give_totp(coach)
    RecoveryCodes.activate(coach)
    return world


@pytest.mark.parametrize("app", APPS)
def test_every_form_copes_with_junk(client, app):
    world = fuzz_world()
    problems: list[str] = []
    unreachable: list[str] = []
    seen: set[tuple[str, str]] = set()
    for name in [n for n in PAGES if app_of(n) == app]:
        opened = open_page(client, world, name)
        if opened is None:
            unreachable.append(name)
            continue
        if opened.html is None:  # a button's endpoint: the fields its case sends
            case = SCOPED.get(name)
            fields = {k: Field(k, "text", [str(v)]) for k, v in (case.data if case else {}).items()}
            targets = [Target("post", opened.url, fields | HIDDEN_FIELDS.get(name, {}), opened.url)]
        else:
            targets = read_forms(opened.url, opened.html) if opened.html else []  # a download holds no form
        for target in targets:
            try:
                action = resolve(urlsplit(target.url).path).url_name
            except Resolver404:
                problems.append(f"A form on {opened.url} sends to {target.url}, which is no page")
                continue
            key = (target.method, urlsplit(target.url).path)
            if action in NOT_FORMS or key in seen:
                continue
            seen.add(key)
            problems += fuzz(client, opened, target)
    assert not unreachable, f"No one could open these pages, so their forms went unfuzzed: {unreachable}"
    assert not problems, "\n".join(problems)

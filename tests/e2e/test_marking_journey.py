"""A script from first marking to a checked certificate, in the browser, each person in their own browser: the
provider admin allocates it; the first assessor reads the Word document beside the form, sees the draft saved as
they type, and submits a borderline marking with detailed feedback; it goes straight to a second assessor, who
gives a pass; the two disagree, so it goes to the lead assessor, who decides pass. The admin draws a moderation
sample (the borderline script is always in it); the moderator agrees; the admin releases the result with no
reason needed; the participant downloads the certificate and checks its code on the public page. Every page
passes axe-core."""

import datetime
import io
import re
from urllib.parse import parse_qs

import pypdf
import pytest
from django.core import mail
from django.utils import dateformat, timezone
from playwright.sync_api import Page, Response, expect

from assessment.certificates import QUALIFICATION
from assessment.models import Certificate, Result
from tests.accounts.factories import PASSWORD
from tests.assessment.marking_setup import DETAIL, SUMMARY
from tests.e2e.browsing import check, path_of, submit, visit
from tests.e2e.marking_world import SCRIPT_HEADING, SCRIPT_WORDS, Person, marking_world
from tests.e2e.steps import enter_code, sign_in

pytestmark = pytest.mark.e2e

RATIONALE = (
    "The plan is staged and justified well enough against the case: the second assessor's reading of "
    "criteria 1 and 3 is right, which takes it over the pass mark."
)


def signed_in(new_context, person: Person) -> Page:
    """A fresh browser for this person, signed in (with their authenticator's code when they have one)."""
    page = new_context().new_page()
    sign_in(page, person.user.email, PASSWORD)
    if person.secret:
        enter_code(page, person.secret)
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {person.user.full_name}")
    return page


def open_from_queue(page: Page, candidate: str, kind: str) -> None:
    """The menu's "Your marking" → the script, by its candidate number."""
    submit(page, page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your marking"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your marking")
    to_mark = page.get_by_role("table", name="Scripts to mark, due soonest first")
    expect(to_mark.get_by_role("row", name=re.compile(candidate))).to_contain_text(kind)
    submit(page, to_mark.get_by_role("link", name=candidate))
    # By name: the script's own headings are shown too (Word's "Heading 1" comes out as a second h1).
    expect(page.get_by_role("heading", name=f"Candidate {candidate}", level=1)).to_be_visible()


def enter_marks(page: Page, marks: list[int], feedback: str) -> None:
    """Type a mark for each criterion and the feedback; moving out of a field saves the draft (htmx, after half a
    second of quiet). Waits for the save that carries everything typed, so that submitting cannot race it."""

    def carries_everything(response: Response) -> bool:
        if not response.url.endswith("/autosave/"):
            return False
        posted = parse_qs(response.request.post_data or "")
        return posted.get("feedback") == [feedback] and sorted(
            values[0] for key, values in posted.items() if key.startswith("mark-")
        ) == sorted(str(m) for m in marks)

    with page.expect_response(carries_everything) as saved:
        for number, mark in enumerate(marks, start=1):
            criterion = page.get_by_role("group", name=re.compile(rf"^{number}\. "))
            criterion.get_by_label("Mark", exact=True).fill(str(mark))
        box = page.get_by_label("Feedback for the participant")
        box.fill(feedback)
        box.blur()  # no key press: a keyup would put the save back by three seconds
    assert saved.value.ok
    expect(page.locator("#autosave-status")).to_contain_text(re.compile(r"Draft saved at \d\d:\d\d:\d\d\."))


def test_a_borderline_script_is_marked_twice_decided_moderated_released_and_its_certificate_checks_out(
    page: Page, new_context, provider
):
    world = marking_world(provider)
    candidate = world.script.candidate_number
    participant = world.enrolment.participant.user
    cohort = world.enrolment.cohort
    today = timezone.localdate()
    mail.outbox.clear()  # the participant's submission receipt, sent while setting up

    # 1. The provider admin finds the cohort's marking page and allocates the first marking.
    admin = page
    sign_in(admin, world.admin.user.email, PASSWORD)
    enter_code(admin, world.admin.secret)
    submit(admin, admin.get_by_role("link", name=provider.name))
    submit(admin, admin.get_by_role("link", name=cohort.code))
    submit(admin, admin.get_by_role("link", name="Final assessment"))
    submit(admin, admin.get_by_role("link", name=f"Marking and results for {world.task.title}"))
    marking_path = path_of(admin)
    assert marking_path == f"/cohorts/{cohort.pk}/assessment/{world.task.number}/marking/"
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Marking: {world.task.title}")
    scripts = admin.get_by_role("table", name="Scripts and where their marking has got to")
    expect(scripts.get_by_role("row", name=re.compile(candidate))).to_contain_text(participant.full_name)
    expect(admin.get_by_label("Which marking")).to_have_value("first")
    submit(admin, admin.get_by_role("button", name="Allocate"))
    expect(admin.get_by_role("alert")).to_contain_text("1 script allocated for first marking.")
    assessors = admin.get_by_role("table", name="Assessors, their load and role")
    expect(assessors.get_by_role("row", name=re.compile("Ann Adams"))).to_contain_text("1 of 20")

    # 2. Ann Adams, first in name order, has it: the Word document beside the form, the draft saved as she
    # types, and a borderline total (20 of 40, in the 18 to 21 band) with detailed feedback.
    ann = signed_in(new_context, world.first)
    open_from_queue(ann, candidate, "First marking")
    script = ann.get_by_label(f"The script of {candidate}")
    expect(script).to_contain_text(f"Main document ({SCRIPT_WORDS:,} words)")
    expect(script).to_contain_text(SCRIPT_HEADING)
    expect(script).to_contain_text("word0 word1 word2")
    expect(ann.get_by_role("main")).not_to_contain_text(participant.full_name)  # candidate numbers only
    expect(ann.locator("#autosave-status")).to_have_text("")
    enter_marks(ann, [5, 5, 5, 5], DETAIL)
    check(ann)  # the page as it stands after the save, with its status line
    submit(ann, ann.get_by_role("button", name="Submit marking"))
    assert path_of(ann) == "/marking/"
    expect(ann.get_by_role("alert")).to_contain_text(
        f"Marking of {candidate} submitted: borderline, 20 marks."
    )
    expect(ann.get_by_role("main")).to_contain_text("To mark (0)")
    expect(ann.get_by_role("main")).to_contain_text(
        f"{candidate}, {world.task.title} (first marking): borderline, 20 marks"
    )

    # 3. A borderline script goes straight to a second assessor: Ben Brown (Ann may not mark it again). He
    # gives a pass (26 of 40) with a short summary.
    ben = signed_in(new_context, world.second)
    open_from_queue(ben, candidate, "Second marking")
    expect(ben.get_by_label(f"The script of {candidate}")).to_contain_text(SCRIPT_HEADING)
    enter_marks(ben, [7, 7, 6, 6], SUMMARY)
    submit(ben, ben.get_by_role("button", name="Submit marking"))
    expect(ben.get_by_role("alert")).to_contain_text(f"Marking of {candidate} submitted: pass, 26 marks.")
    assert not Result.objects.filter(submission=world.script).exists()

    # Borderline and pass disagree: the lead assessor, Cat Cole, reads both markings and decides, for good.
    cat = signed_in(new_context, world.lead)
    open_from_queue(cat, candidate, "Lead assessor's decision")
    both = cat.get_by_role("table", name="The two markings")
    expect(both.get_by_role("row", name=re.compile("^Total and outcome"))).to_contain_text(
        re.compile(r"20, borderline\s*26, pass")
    )
    expect(cat.get_by_role("main")).to_contain_text(DETAIL)
    expect(cat.get_by_label("Feedback the participant reads")).to_have_value(DETAIL)
    cat.get_by_role("radio", name="Pass").check()
    cat.get_by_label("Why you decided this").fill(RATIONALE)
    submit(cat, cat.get_by_role("button", name="Record the final decision"))
    expect(cat.get_by_role("alert")).to_contain_text(f"Your decision on {candidate} is recorded: pass.")

    # Back on the marking page, the admin cannot release yet without saying why: nothing is moderated.
    visit(admin, marking_path)
    expect(admin.get_by_role("main")).to_contain_text("1 result ready")
    expect(admin.get_by_role("main")).to_contain_text(
        "Not covered by a completed moderation sample: 1 of 1 result."
    )
    expect(admin.get_by_label("Why release without moderation?")).to_be_visible()

    # 4. The admin draws a moderation sample of the results decided up to today; the borderline one is in it.
    visit(admin, "/")
    submit(admin, admin.get_by_role("link", name=provider.name))
    submit(admin, admin.get_by_role("link", name="Moderation samples"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("Moderation samples")
    expect(admin.get_by_role("main")).to_contain_text("No samples drawn yet.")
    admin.get_by_label("Name of the sample").fill("Results to date")
    admin.get_by_label("Results decided from").fill((today - datetime.timedelta(days=1)).isoformat())
    admin.get_by_label("Results decided up to and including").fill(today.isoformat())
    admin.get_by_label("Share of the scripts to moderate, in percent").fill("10")
    submit(admin, admin.get_by_role("button", name="Draw the sample"))
    expect(admin.get_by_role("alert")).to_contain_text(
        "Sample “Results to date” is drawn: 1 script to moderate. Moderators see them now."
    )
    expect(admin.get_by_role("heading", level=1)).to_have_text("Results to date")
    sampled = admin.get_by_role("table", name="Scripts in the sample").get_by_role(
        "row", name=re.compile(candidate)
    )
    expect(sampled).to_contain_text("Borderline")
    expect(sampled).to_contain_text("Waiting")
    expect(sampled).to_contain_text("Pass, not released")

    # 5. The moderator, who works across providers, agrees with the outcome.
    moderator = signed_in(new_context, world.moderator)
    submit(moderator, moderator.get_by_role("link", name="Scripts waiting for your verdict"))
    expect(moderator.get_by_role("main")).to_contain_text("1 script waiting for a verdict, in 1 sample.")
    waiting = moderator.get_by_role("table", name=re.compile(f"^{re.escape(provider.name)}: Results to date"))
    expect(waiting.get_by_role("row", name=re.compile(candidate))).to_contain_text("Pass (borderline)")
    submit(moderator, waiting.get_by_role("link", name=candidate))
    main = moderator.get_by_role("main")
    expect(main).to_contain_text("Pass (borderline at marking)")
    expect(main).to_contain_text(RATIONALE)
    expect(main).not_to_contain_text(participant.full_name)
    moderator.get_by_role("radio", name="I agree with the outcome").check()
    submit(moderator, moderator.get_by_role("button", name="Save the verdict"))
    expect(moderator.get_by_role("alert")).to_contain_text(
        f"Verdict on {candidate} saved. You agree with the outcome."
    )
    expect(moderator.get_by_role("main")).to_contain_text("No scripts are waiting for a verdict.")

    # 6. Moderation is complete, so the admin releases the result with no reason asked.
    visit(admin, marking_path)
    expect(admin.get_by_role("main")).not_to_contain_text("Not covered by a completed moderation sample")
    expect(admin.get_by_label("Why release without moderation?")).to_have_count(0)
    submit(admin, admin.get_by_role("button", name="Release 1 result"))
    expect(admin.get_by_role("alert")).to_contain_text(
        "1 result released. Each participant is emailed to sign in and read it."
    )
    expect(admin.get_by_role("main")).to_contain_text("1 released, 0 waiting to be released")
    told = [message for message in mail.outbox if message.to == [participant.email]]
    assert [message.subject for message in told] == [f"Your result for {world.task.title} is ready"]

    # 7. The participant's place is completed: they download the certificate from their home page...
    person = signed_in(new_context, Person(participant, ""))
    places = person.get_by_role("table", name="Your places")
    expect(places).to_contain_text("Completed")
    with person.expect_download() as downloading:
        places.get_by_role("link", name=re.compile(r"^Download your certificate \(PDF\)")).click()
    certificate = Certificate.objects.get(enrolment=world.enrolment)
    assert downloading.value.suggested_filename == f"NPQEL-certificate-{certificate.code}.pdf"
    pdf = pypdf.PdfReader(io.BytesIO(downloading.value.path().read_bytes()))
    text = " ".join(" ".join(sheet.extract_text().split()) for sheet in pdf.pages)
    assert participant.full_name in text
    assert certificate.code in text
    assert QUALIFICATION in text

    # ...and anyone checks its code on the public page, typed carelessly: lower case, no dashes.
    submit(person, person.get_by_role("link", name="Check a certificate"))
    expect(person.get_by_role("heading", level=1)).to_have_text("Check a certificate")
    person.get_by_label("Certificate code").fill(certificate.code.replace("-", "").lower())
    submit(person, person.get_by_role("button", name="Check the certificate"))
    assert path_of(person) == f"/verify/{certificate.code}/"
    expect(person.get_by_role("heading", level=1)).to_have_text("Certificate checked")
    facts = person.locator("[data-facts]")
    for fact, value in [
        ("Name", participant.full_name),
        ("Qualification", QUALIFICATION),
        ("Provider", provider.name),
        ("Date of award", dateformat.format(today, "j F Y")),
    ]:
        expect(facts).to_contain_text(re.compile(rf"{fact}\s*{re.escape(value)}"))

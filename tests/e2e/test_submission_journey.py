"""A participant submits their final assessment in the browser: from their home page to the case-study task
with its deadline (UK time) and countdown, an over-long DOCX refused with the numbers, a fixed one counted,
the declaration asked for, then the receipt page with the file's SHA-256 and the receipt email. Every page
passes axe-core."""

import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessment.deadlines import long_day
from assessment.models import Receipt, Submission
from tests.accounts.factories import PASSWORD
from tests.assessment.factories import case_study_place, docx_bytes
from tests.e2e.browsing import path_of, submit
from tests.e2e.steps import sign_in

pytestmark = pytest.mark.e2e

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def choose_file(page: Page, name: str, content: bytes) -> None:
    """Put a file in the plain file input. Once GOV.UK Frontend has enhanced it, its label names the drop zone's
    button instead (the input is hidden and renamed), so the input is found by its field name; the drop zone
    shows the file's name, which shows it wraps this input."""
    page.locator('input[type="file"][name="main"]').set_input_files(
        {"name": name, "mimeType": DOCX, "buffer": content}
    )
    expect(page.get_by_role("button", name=re.compile(r"^Your main document"))).to_contain_text(name)


def test_a_participant_is_told_the_count_uploads_a_fixed_file_submits_and_gets_a_receipt(
    page: Page, provider
):
    # The 8-day case-study window opened three days ago, so its last day is four days ahead, whatever today is.
    today = timezone.localdate()
    enrolment, task, window = case_study_place(opens_on=today - datetime.timedelta(days=3), provider=provider)
    assert window.closes_on == today + datetime.timedelta(days=4)
    user = enrolment.participant.user

    sign_in(page, user.email, PASSWORD)
    assert path_of(page) == "/"
    submit(page, page.get_by_role("link", name="Your final assessment: tasks, windows and submitting"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your final assessment")
    submit(page, page.get_by_role("link", name=task.title))
    expect(page.get_by_role("heading", level=1)).to_have_text(task.title)

    # The deadline in UK time, the countdown, and the case study now the window is open.
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Deadline: 23:59 on {long_day(window.closes_on)} (UK time)")
    expect(main).to_contain_text(re.compile(r"4 days \d+ hours? left"))
    expect(page.get_by_role("heading", name="Northfield Trust")).to_be_visible()
    expect(main).to_contain_text("The trust's three schools face falling rolls.")

    # With JavaScript, GOV.UK Frontend turns the file input into a drop zone, a button named by the field's label.
    drop_zone = page.get_by_role("button", name=re.compile(r"^Your main document"))
    expect(drop_zone).to_contain_text("No file chosen")
    expect(drop_zone).to_contain_text("Choose file")
    expect(drop_zone).to_contain_text("or drop file")

    # Too long: refused with the numbers, nothing kept.
    choose_file(page, "response.docx", docx_bytes(1612))
    submit(page, page.get_by_role("button", name="Upload and check"))
    expect(page.get_by_role("alert")).to_contain_text("1,612 words; the limit is 1,500")
    assert not Submission.objects.exists()

    # The fixed one: counted and ready to submit.
    fixed = docx_bytes(1480)
    choose_file(page, "response-cut.docx", fixed)
    submit(page, page.get_by_role("button", name="Upload and check"))
    expect(page.get_by_role("alert")).to_contain_text("main document 1,480 words")
    uploaded = page.get_by_role("table", name=re.compile(r"^Version 1, uploaded"))
    expect(uploaded).to_contain_text("1,480")

    # Submit without the declaration: asked to tick it.
    submit(page, page.get_by_role("button", name="Submit version 1"))
    expect(page.get_by_role("alert")).to_contain_text("Tick the box to declare that this is your own work")
    assert not Receipt.objects.exists()

    page.get_by_label("I declare that this is my own work").check()
    submit(page, page.get_by_role("button", name="Submit version 1"))
    receipt = Receipt.objects.get()
    assert path_of(page) == f"/receipts/{receipt.reference}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Submitted")
    expect(main).to_contain_text(receipt.reference)
    sha256 = hashlib.sha256(fixed).hexdigest()
    expect(main).to_contain_text(sha256)
    expect(main).to_contain_text("1,480 of 1,500")

    # The receipt email, sent by the (eager) background job after the submission was committed.
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert receipt.reference in mail.outbox[0].subject
    assert sha256 in mail.outbox[0].body

    # Back on the task, it shows as submitted, with the receipt to hand.
    submit(page, page.get_by_role("link", name="Back to the task"))
    expect(main).to_contain_text("Submitted")
    expect(page.get_by_role("link", name=receipt.reference).first).to_be_visible()

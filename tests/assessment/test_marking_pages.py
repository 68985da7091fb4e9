"""The marking pages: an assessor's queue, the script beside the mark form (drafts, autosave, a stale save
refused, submitting), the lead's decision, a declared conflict, the script files as an anonymous copy; and the
provider admin's page to allocate, move and release. Nobody but the admin sees a participant's name."""

import html
import io
import re
import zipfile

import docx
import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from assessment import marking_selectors, services
from assessment.models import Allocation, ConflictDeclaration, Marking, Result
from npqel.access import Role
from tests.assessment.factories import make_eligible, words
from tests.assessment.marking_setup import (
    DETAIL,
    DURING,
    MARKS,
    SUMMARY,
    allocate,
    live,
    mark,
    marking_cohort,
    submitted,
)
from tests.participants.factories import EnrolmentFactory
from tests.people import person

pytestmark = pytest.mark.django_db


def _form(allocation, outcome="pass", *, revision=0, feedback=SUMMARY, **extra):
    criteria = list(allocation.submission.task.mark_scheme.criteria.all())
    data = {f"mark-{c.pk}": str(m) for c, m in zip(criteria, MARKS[outcome], strict=True)}
    data.update(revision=str(revision), feedback=feedback, **extra)
    return data


def test_the_queue_lists_my_scripts_by_candidate_number_in_a_fixed_number_of_queries(
    provider, signed_in, django_assert_max_num_queries
):
    setup = marking_cohort(provider, 3, second_share=0)
    ann = setup.assessors[0]
    for script in setup.scripts[:2]:
        allocate(script, ann)
    client = signed_in(ann)
    with django_assert_max_num_queries(9) as small:
        page = client.get(reverse("marking_queue")).content.decode()
    assert all(s.candidate_number in page for s in setup.scripts[:2])
    assert setup.scripts[2].candidate_number not in page
    allocate(setup.scripts[2], ann)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(reverse("marking_queue")).content.decode()
    assert "To mark (3)" in page
    assert not any(html.escape(s.enrolment.participant.user.full_name) in page for s in setup.scripts)


def test_the_queue_lists_every_script_to_mark_and_only_the_most_recent_marked(
    provider, signed_in, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(marking_selectors, "MARKED_SHOWN", 2)
    setup = marking_cohort(provider, 4, second_share=0)
    ann = setup.assessors[0]
    marked = [allocate(script, ann) for script in setup.scripts[:3]]
    for allocation in marked:
        mark(allocation, "pass")
    allocate(setup.scripts[3], ann)
    client = signed_in(ann)
    with django_assert_max_num_queries(9):
        page = client.get(reverse("marking_queue")).content.decode()
    assert "To mark (1)" in page and setup.scripts[3].candidate_number in page
    assert "Marked (3)" in page and "The 2 given to you most recently." in page
    shown = [a.submission.candidate_number in page for a in marked]
    assert shown == [False, True, True]  # the first given is left out


def test_the_marking_page_shows_the_script_beside_the_form_and_submits(provider, signed_in):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    allocation = allocate(script, setup.assessors[0])
    client = signed_in(allocation.assessor)
    page = client.get(reverse("marking_page", args=[allocation.pk])).content.decode()
    assert "word0 word1" in page  # the DOCX shown as HTML
    assert "Identifies the problems" in page and "Leaves out: The stages of implementation" in page
    response = client.post(reverse("marking_page", args=[allocation.pk]), _form(allocation, submit="1"))
    assert response.status_code == 302 and response["Location"] == reverse("marking_queue")
    assert Result.objects.get(submission=script).outcome == "pass"
    closed = client.get(reverse("marking_page", args=[allocation.pk])).content.decode()
    assert "It can no longer change" in closed


def test_a_fail_without_detailed_feedback_is_refused_and_what_was_typed_is_kept(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    client = signed_in(allocation.assessor)
    response = client.post(
        reverse("marking_page", args=[allocation.pk]), _form(allocation, "fail", feedback="Weak.", submit="1")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "needs detailed feedback" in page and ">Weak.</textarea>" in page
    assert not Marking.objects.filter(status="submitted").exists()


def test_a_save_from_an_older_copy_is_refused_and_nothing_is_overwritten(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    client = signed_in(allocation.assessor)
    url = reverse("marking_page", args=[allocation.pk])
    client.post(url, _form(allocation, "pass", revision=0, feedback="From the first tab"))
    response = client.post(url, _form(allocation, "fail", revision=0, feedback="From the second tab"))
    assert response.status_code == 400
    assert "saved again at" in response.content.decode()
    assert Marking.objects.get(allocation=allocation).feedback == "From the first tab"


def test_autosave_saves_the_draft_and_hands_back_the_new_revision(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    client = signed_in(allocation.assessor)
    url = reverse("marking_autosave", args=[allocation.pk])
    first = client.post(url, _form(allocation, revision=0), HTTP_HX_REQUEST="true").content.decode()
    assert "Draft saved at" in first and 'value="1" hx-swap-oob="true"' in first
    second = client.post(url, _form(allocation, revision=1), HTTP_HX_REQUEST="true").content.decode()
    assert 'value="2"' in second
    stale = client.post(url, _form(allocation, revision=1), HTTP_HX_REQUEST="true").content.decode()
    assert "Not saved." in stale and "saved again at" in stale
    assert Marking.objects.get(allocation=allocation).revision == 2


def test_another_assessors_script_is_not_found_and_other_roles_may_not_mark(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    other = signed_in(setup.assessors[1])
    for name in ("marking_page", "lead_decision", "marking_conflict"):
        assert other.get(reverse(name, args=[allocation.pk])).status_code == 404
    assert other.post(reverse("marking_autosave", args=[allocation.pk]), {}).status_code == 404
    admin = signed_in(person(Role.PROVIDER_ADMIN, provider))
    assert admin.get(reverse("marking_queue")).status_code == 403
    assert admin.get(reverse("marking_page", args=[allocation.pk])).status_code == 403


def _named_upload(enrolment, task):
    """A script whose Word metadata names its author (as Word does by default)."""
    user = enrolment.participant.user
    document = docx.Document()
    document.core_properties.author = user.full_name
    document.core_properties.last_modified_by = user.email
    document.add_paragraph(words(1200))
    buffer = io.BytesIO()
    document.save(buffer)
    return services.version_upload(
        by=user, enrolment=enrolment, task=task, main=io.BytesIO(buffer.getvalue()), main_name="jane.docx"
    )


def test_nothing_an_assessor_can_open_names_the_participant(provider, signed_in):
    """Every page and file an assessor reaches, first, second and lead, searched for the name and email."""
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    enrolment = script.enrolment
    with time_machine.travel(DURING, tick=False):
        version = _named_upload(enrolment, setup.task)
        services.submission_submit(by=enrolment.participant.user, version=version, declaration=True)
    ann, ben, cat = setup.assessors
    first = allocate(script, ann)
    secret = [enrolment.participant.user.full_name, enrolment.participant.user.email]
    if enrolment.participant.school:
        secret.append(enrolment.participant.school.name)

    def reachable(client, allocation):
        pages = [reverse("marking_queue"), reverse("marking_page", args=[allocation.pk])]
        pages.append(reverse("marking_conflict", args=[allocation.pk]))
        if allocation.kind == "lead":
            pages.append(reverse("lead_decision", args=[allocation.pk]))
        for url in pages:
            body = client.get(url, follow=True).content.decode()
            yield url, body
            for file_url in re.findall(r'href="(/marking/files/\d+/)"', body):
                response = client.get(file_url)
                assert response.status_code == 200
                assert setup.scripts[0].candidate_number in response["Content-Disposition"]
                # A DOCX is a ZIP of deflated parts: search every part, unpacked.
                with zipfile.ZipFile(io.BytesIO(response.content)) as package:
                    for name in package.namelist():
                        yield f"{file_url} {name}", package.read(name).decode("utf-8", "replace")

    def check(client, allocation):
        seen = list(reachable(client, allocation))
        assert any(url.startswith("/marking/files/") for url, _ in seen)
        for url, body in seen:
            for text in secret:
                assert text not in body and escape(text) not in body, f"{text!r} found in {url}"

    check(signed_in(ann), first)
    mark(first, "fail")
    second = live(script, "second")
    check(signed_in(second.assessor), second)
    mark(second, "pass")
    lead = live(script, "lead")
    check(signed_in(lead.assessor), lead)


def test_the_lead_decides_on_the_page(provider, signed_in):
    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    ann, ben, cat = setup.assessors
    mark(allocate(script, ann), "fail")
    mark(live(script, "second"), "borderline")
    lead = live(script, "lead")
    client = signed_in(cat)
    assert client.get(reverse("marking_page", args=[lead.pk])).status_code == 302  # to the decision page
    page = client.get(reverse("lead_decision", args=[lead.pk])).content.decode()
    assert "The two markings" in page and DETAIL[:40] in page
    refused = client.post(reverse("lead_decision", args=[lead.pk]), {"outcome": "fail", "feedback": "x"})
    assert refused.status_code == 400 and "needs detailed feedback" in refused.content.decode()
    done = client.post(
        reverse("lead_decision", args=[lead.pk]),
        {
            "outcome": "fail",
            "feedback": DETAIL,
            "rationale": "The stages of implementation are asserted, not planned.",
        },
    )
    assert done.status_code == 302
    assert Result.objects.get(submission=script).route == "lead"


def test_an_assessor_who_knows_the_participant_hands_the_script_back(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    client = signed_in(allocation.assessor)
    url = reverse("marking_conflict", args=[allocation.pk])
    assert "Say what the conflict is" in client.post(url, {"reason": " "}).content.decode()
    assert client.post(url, {"reason": "I line-manage them"}).status_code == 302
    allocation.refresh_from_db()
    assert allocation.ended_at is not None
    assert ConflictDeclaration.objects.get().participant == setup.scripts[0].enrolment.participant
    moved = client.get(reverse("marking_page", args=[allocation.pk])).content.decode()
    assert "was moved away from you" in moved


def test_script_files_only_for_a_live_allocation_and_named_by_candidate_number(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    stored = setup.scripts[0].submitted_version.files.get()
    url = reverse("script_file", args=[stored.pk])
    response = signed_in(allocation.assessor).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{setup.scripts[0].candidate_number}-task1-main.docx"'
    )
    assert signed_in(setup.assessors[1]).get(url).status_code == 404
    allocation.ended_at = allocation.allocated_at
    allocation.save()
    assert signed_in(allocation.assessor).get(url).status_code == 404


# The provider admin's page ---------------------------------------------------------------------------------


def test_the_admin_allocates_moves_and_releases_from_the_cohort_page(provider, signed_in):
    setup = marking_cohort(provider, 2, second_share=0)
    admin = person(Role.PROVIDER_ADMIN, provider)
    client = signed_in(admin)
    url = reverse("cohort_marking", args=[setup.cohort.pk, setup.task.number])
    page = client.get(url).content.decode()
    assert "Waiting to be allocated" in page
    assert (
        html.escape(setup.scripts[0].enrolment.participant.user.display_name) in page
    )  # the admin knows who is who

    response = client.post(
        reverse("allocation_run", args=[setup.cohort.pk, setup.task.number]),
        {"kind": "first", "due_on": "2099-01-31"},
        follow=True,
    )
    assert "2 scripts allocated for first marking." in response.content.decode()
    ann, ben, cat = setup.assessors
    first = live(setup.scripts[0], "first")
    move = client.post(
        reverse("allocation_move", args=[first.pk]), {"to": str(cat.pk), "reason": "Ann is away"}
    )
    assert move.status_code == 302
    moved = live(setup.scripts[0], "first")
    assert moved.assessor == cat and moved.due_on.isoformat() == "2099-01-31"

    for script in setup.scripts:
        mark(live(script, "first"), "pass")
    page = client.get(url).content.decode()
    assert "0 released, 2 waiting to be released" in page and "Why release without moderation?" in page
    refused = client.post(reverse("results_release", args=[setup.cohort.pk, setup.task.number]), follow=True)
    assert "not yet covered by a completed moderation sample" in refused.content.decode()
    released = client.post(
        reverse("results_release", args=[setup.cohort.pk, setup.task.number]),
        {"without_moderation": "A small cohort; the QA agent agreed."},
        follow=True,
    )
    assert "2 results released." in released.content.decode()
    assert Result.objects.filter(released_at__isnull=False).count() == 2


def test_the_admin_sets_capacity_and_the_lead_role(provider, signed_in):
    setup = marking_cohort(provider, 1)
    ann = setup.assessors[0]
    client = signed_in(person(Role.PROVIDER_ADMIN, provider))
    url = reverse("assessor_set", args=[setup.cohort.pk, setup.task.number, ann.pk])
    assert "from 1 to 200" in client.post(url, {"capacity": "lots"}, follow=True).content.decode()
    client.post(url, {"capacity": "7", "is_lead": "1"})
    ann.assessor_profile.refresh_from_db()
    assert (ann.assessor_profile.capacity, ann.assessor_profile.is_lead) == (7, True)


def test_the_cohort_page_reads_in_a_fixed_number_of_queries(
    provider, signed_in, django_assert_max_num_queries
):
    setup = marking_cohort(provider, 2)
    client = signed_in(person(Role.PROVIDER_ADMIN, provider))
    url = reverse("cohort_marking", args=[setup.cohort.pk, setup.task.number])
    for script in setup.scripts:
        allocate(script, setup.assessors[0])
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for _ in range(3):
        enrolment = EnrolmentFactory(cohort=setup.cohort, status="active")
        make_eligible(enrolment)
        allocate(submitted(enrolment, setup.task), setup.assessors[1])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("First marking:") == 5


def test_platform_staff_see_the_page_but_change_nothing_and_other_providers_get_404(
    provider, other_provider, signed_in
):
    setup = marking_cohort(provider, 1)
    url = reverse("cohort_marking", args=[setup.cohort.pk, setup.task.number])
    staff = signed_in(person(Role.PLATFORM_STAFF))
    page = staff.get(url).content.decode()
    assert "Allocate scripts" not in page
    release = reverse("results_release", args=[setup.cohort.pk, setup.task.number])
    assert staff.post(release, {"without_moderation": "x"}).status_code == 403
    assert signed_in(person(Role.PROVIDER_ADMIN, other_provider)).get(url).status_code == 404
    assert signed_in(setup.assessors[0]).get(url).status_code == 403
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    assert (
        signed_in(person(Role.PROVIDER_ADMIN, other_provider))
        .get(reverse("allocation_move", args=[allocation.pk]))
        .status_code
        == 404
    )
    assert Allocation.objects.filter(ended_at__isnull=False).count() == 0


def test_a_participant_whose_name_is_in_their_script_is_warned(provider, signed_in):
    setup = marking_cohort(provider, 1)
    enrolment = setup.scripts[0].enrolment
    user = enrolment.participant.user
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = f"Prepared by {user.full_name}"
    document.add_paragraph(words(1200))
    buffer = io.BytesIO()
    document.save(buffer)
    with time_machine.travel(DURING, tick=False):
        version = services.version_upload(
            by=user,
            enrolment=enrolment,
            task=setup.task,
            main=io.BytesIO(buffer.getvalue()),
            main_name="a.docx",
        )
        page = (
            signed_in(user).get(reverse("my_task", args=[enrolment.pk, setup.task.number])).content.decode()
        )
    (found,) = version.files.get().names_found  # the name without a title ("Miss")
    assert found in user.full_name and " " in found
    assert f"Your name ({found}) appears in your document. Marking is anonymous" in page


def test_the_menu_takes_assessors_to_their_marking_and_moderators_to_moderation(provider, signed_in):
    setup = marking_cohort(provider, 1)
    page = signed_in(setup.assessors[0]).get(reverse("home")).content.decode()
    assert f'href="{reverse("marking_queue")}"' in page and "Your marking" in page
    page = signed_in(person(Role.MODERATOR)).get(reverse("home")).content.decode()
    assert f'href="{reverse("moderation_queue")}"' in page
    page = signed_in(person(Role.PROVIDER_ADMIN, provider)).get(reverse("home")).content.decode()
    assert reverse("marking_queue") not in page and reverse("moderation_queue") not in page


def test_pressing_save_again_after_a_stale_refusal_is_still_refused(provider, signed_in):
    setup = marking_cohort(provider, 1)
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    client = signed_in(allocation.assessor)
    url = reverse("marking_page", args=[allocation.pk])
    client.post(url, _form(allocation, "pass", revision=0, feedback="From the first tab"))
    refused = client.post(url, _form(allocation, "fail", revision=0, feedback="From the second tab"))
    assert 'name="revision" id="revision" value="0"' in refused.content.decode()  # what their page had
    again = client.post(url, _form(allocation, "fail", revision=0, feedback="From the second tab"))
    assert again.status_code == 400
    assert Marking.objects.get(allocation=allocation).feedback == "From the first tab"


def test_a_lead_decision_moves_only_to_another_lead_and_not_once_decided(provider, signed_in):
    from assessment.allocation import allocation_move
    from assessment.results import lead_decide
    from npqel.errors import DomainError
    from tests.assessment.marking_setup import assessor as make_assessor

    setup = marking_cohort(provider, 1, second_share=0)
    script = setup.scripts[0]
    ann, ben, cat = setup.assessors
    mark(allocate(script, ann), "fail")
    mark(live(script, "second"), "pass")
    lead = live(script, "lead")
    admin = person(Role.PROVIDER_ADMIN, provider)
    page = signed_in(admin).get(reverse("allocation_move", args=[lead.pk])).content.decode()
    assert ann.display_name not in page  # only lead assessors are offered
    with pytest.raises(DomainError, match="is not a lead assessor"):
        allocation_move(by=admin, allocation=lead, to=ann, reason="Cat is away")
    dan = make_assessor(provider, "Dan Dale", lead=True)
    moved = allocation_move(by=admin, allocation=lead, to=dan, reason="Cat is away")
    lead_decide(
        by=dan,
        allocation=moved,
        outcome="pass",
        feedback=SUMMARY,
        rationale="On balance the staged plan meets the implementation descriptors of the scheme.",
    )
    with pytest.raises(DomainError, match="has already decided this script"):
        allocation_move(by=admin, allocation=moved, to=cat, reason="Again")

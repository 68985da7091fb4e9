"""The marking API: an assessor's scripts, drafts and submitted markings (a save from an older copy refused with
409), the lead assessor's decision; a cohort's marking for its provider's admins (allocate, move, release);
results (a participant sees their own only once released); moderators' verdicts; and the public check of a
certificate by its code, rate-limited. Assessors and moderators never receive a participant's name, email or
school; list query counts are pinned."""

import datetime
import itertools
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from accounts.services import api_token_create
from assessment import certificates
from assessment.models import Allocation, Certificate, Marking, ModerationItem, Result
from npqel.access import Role
from participants.models import Enrolment
from tests.assessment.factories import make_eligible
from tests.assessment.marking_setup import (
    DETAIL,
    MARKS,
    SUMMARY,
    allocate,
    live,
    mark,
    marking_cohort,
    submitted,
)
from tests.assessment.moderation_factories import assessor as named_assessor
from tests.assessment.moderation_factories import drawn_sample, marked_result, marked_world
from tests.participants.factories import EnrolmentFactory
from tests.people import ALL_ROLES, person

pytestmark = pytest.mark.django_db

NOT_FOUND = "Not found. It may not exist, or you may not have access to it."
WHY_RELEASE = "Moderation is booked for next term; the board meets on Friday."
RATIONALE = "Both markers missed that the plan is staged and monitored: it meets the pass descriptors."


@pytest.fixture
def api(client):
    """api(user) → get/post/put of API paths with a fresh key of that user (JSON bodies); any number of keys
    per user, like one person's laptop and tablet."""
    made = itertools.count()

    def for_user(user):
        _, key = api_token_create(user=user, name=f"Tests {next(made)}")
        auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
        return SimpleNamespace(
            get=lambda path, **params: client.get(path, params, **auth),
            post=lambda path, data=None: client.post(
                path, data or {}, content_type="application/json", **auth
            ),
            put=lambda path, data: client.put(path, data, content_type="application/json", **auth),
        )

    return for_user


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def identities(*enrolments) -> list[str]:
    """What would name each participant: their name, email and school."""
    found = []
    for enrolment in enrolments:
        user = enrolment.participant.user
        found += [user.full_name, user.email]
        if enrolment.participant.school_id:
            found.append(enrolment.participant.school.name)
    return [text for text in found if text]


def warm_up(caller) -> None:
    """One request first: a key records when it was first used (an UPDATE), which later requests skip."""
    assert caller.get("/api/v1/me/").status_code == 200


def marks_for(allocation, outcome: str) -> dict[str, int]:
    criteria = allocation.submission.task.mark_scheme.criteria.order_by("number")
    return {str(c.pk): m for c, m in zip(criteria, MARKS[outcome], strict=True)}


def mine(allocation) -> str:
    return f"/api/v1/marking/allocations/{allocation.pk}/"


@pytest.fixture
def setup(provider):
    """Two submitted scripts of a case-study cohort; assessors Ann, Ben and Cat (lead). No second marking of
    passes."""
    return marking_cohort(provider, 2, second_share=0)


# An assessor's scripts -------------------------------------------------------------------------------------


def test_an_assessor_lists_their_live_scripts_by_candidate_number_only(api, setup):
    ann, ben, _ = setup.assessors
    first, second = setup.scripts
    mine_now = allocate(first, ann)
    moved = allocate(second, ann)
    Allocation.objects.filter(pk=moved.pk).update(ended_at=timezone.now(), end_reason="Moved")
    allocate(second, ben)

    response = api(ann).get("/api/v1/marking/allocations/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": mine_now.pk,
            "kind": "first",
            "candidate_number": first.candidate_number,
            "attempt": 1,
            "task": 1,
            "task_title": "Case-study response",
            "provider": setup.provider.name,
            "allocated_at": response.json()["results"][0]["allocated_at"],
            "due_on": "2026-12-31",
            "ended_at": None,
            "finished": False,
            "marking_status": None,
            "revision": 0,
        }
    ]
    body = response.content.decode()
    assert not any(text in body for text in identities(first.enrolment, second.enrolment))


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.ASSESSOR], ids=lambda r: r.value)
def test_only_assessors_have_scripts_to_mark(api, setup, role):
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    caller = api(person(role, setup.provider))

    listed = caller.get("/api/v1/marking/allocations/")
    assert listed.status_code == 403
    assert error(listed)["message"] == "Only assessors have scripts to mark."
    assert caller.get(mine(allocation)).status_code == 403
    assert caller.get(mine(allocation) + "marking/").status_code == 403


def test_the_script_comes_with_its_mark_scheme_and_files_but_no_names(api, setup):
    ann, ben, _ = setup.assessors
    script = setup.scripts[0]
    allocation = allocate(script, ann)

    response = api(ann).get(mine(allocation))

    assert response.status_code == 200
    shown = response.json()
    scheme = shown["mark_scheme"]
    assert (scheme["pass_mark"], scheme["borderline_from"], scheme["pass_from"]) == (20, 18, 22)
    assert [c["title"] for c in scheme["criteria"]][0] == "Identifies the problems"
    assert [c["max_mark"] for c in scheme["criteria"]] == [10, 10, 10, 10]
    assert [o["text"] for o in scheme["omissions"]] == [
        "The stages of implementation",
        "Any justification of the chosen solutions",
    ]
    stored = script.submitted_version.files.get()
    assert shown["files"] == [
        {
            "id": stored.pk,
            "role": "main",
            "kind": "docx",
            "size": stored.size,
            "words": 1200,
            "pages": None,
            "url": f"/marking/files/{stored.pk}/",
        }
    ]
    assert shown["markings"] == [] and shown["result"] is None
    body = response.content.decode()
    assert stored.original_name not in body
    assert not any(text in body for text in identities(script.enrolment))
    # Another assessor's script is not found, like a missing one.
    other = api(ben).get(mine(allocation))
    assert other.status_code == 404 and error(other)["message"] == NOT_FOUND


# Marking ----------------------------------------------------------------------------------------------------


def test_a_draft_is_saved_then_submitted_and_the_script_gets_its_result(api, setup):
    ann = setup.assessors[0]
    script = setup.scripts[0]
    allocation = allocate(script, ann)
    me = api(ann)
    url = mine(allocation) + "marking/"
    assert me.get(url).json() == {
        "allocation": allocation.pk,
        "status": "not_started",
        "revision": 0,
        "marks": {},
        "comments": {},
        "omissions": [],
        "feedback": "",
        "total": None,
        "outcome": None,
        "saved_at": None,
        "submitted_at": None,
    }
    marks = marks_for(allocation, "pass")
    first_two = dict(list(marks.items())[:2])

    draft = me.put(url, {"revision": 0, "marks": first_two, "comments": {next(iter(marks)): " Clear. "}})

    assert draft.status_code == 200, draft.content
    saved = draft.json()
    assert saved["status"] == "draft" and saved["revision"] == 1
    assert saved["marks"] == first_two and saved["comments"] == {next(iter(marks)): "Clear."}
    assert saved["outcome"] is None
    assert me.get("/api/v1/marking/allocations/").json()["results"][0]["marking_status"] == "draft"

    submitted = me.put(url, {"revision": 1, "marks": marks, "feedback": SUMMARY, "submit": True})

    assert submitted.status_code == 200, submitted.content
    done = submitted.json()
    assert (done["status"], done["revision"], done["total"], done["outcome"]) == ("submitted", 2, 26, "pass")
    assert Result.objects.get(submission=script).outcome == "pass"
    listed = me.get("/api/v1/marking/allocations/").json()["results"][0]
    assert listed["finished"] is True and listed["marking_status"] == "submitted"
    again = me.put(url, {"revision": 2, "marks": marks, "feedback": SUMMARY})
    assert again.status_code == 400
    assert error(again)["message"] == "You have submitted this marking, so it can no longer change."


def test_a_save_from_an_older_copy_is_refused_with_409_and_nothing_is_overwritten(api, setup):
    ann = setup.assessors[0]
    allocation = allocate(setup.scripts[0], ann)
    url = mine(allocation) + "marking/"
    marks = marks_for(allocation, "pass")
    laptop, tablet = api(ann), api(ann)
    assert laptop.put(url, {"revision": 0, "marks": marks, "feedback": "First copy"}).status_code == 200

    stale = tablet.put(url, {"revision": 0, "marks": {}, "feedback": "Second copy"})

    assert stale.status_code == 409
    problem = error(stale)
    assert problem["code"] == "conflict" and problem["fields"] == {}
    assert "was saved again at" in problem["message"] and "not saved" in problem["message"]
    kept = Marking.objects.get(allocation=allocation)
    assert kept.feedback == "First copy" and kept.revision == 1 and len(kept.marks) == 4
    # A revision ahead of the stored one is just as out of date.
    assert tablet.put(url, {"revision": 7, "feedback": "x"}).status_code == 409
    # With the revision it shows now, the other copy saves.
    assert tablet.put(url, {"revision": 1, "feedback": "Second copy"}).json()["revision"] == 2


def test_refused_saves_name_the_field_to_fix(api, setup):
    ann = setup.assessors[0]
    allocation = allocate(setup.scripts[0], ann)
    url = mine(allocation) + "marking/"
    me = api(ann)
    marks = marks_for(allocation, "fail")
    first = next(iter(marks))

    unknown = me.put(url, {"revision": 0, "marks": {"999999": 3}})
    assert unknown.status_code == 400
    assert error(unknown)["fields"]["marks"] == [
        "This task's mark scheme has no criterion with id 999999. GET the allocation for its criteria and their "
        "ids."
    ]
    not_a_number = me.put(url, {"revision": 0, "marks": {first: "seven"}})
    assert error(not_a_number)["fields"] == {"marks": [f"{first}: A valid integer is required."]}
    too_high = me.put(url, {"revision": 0, "marks": {first: 11}})
    assert too_high.status_code == 400
    assert error(too_high)["fields"]["marks"] == [
        "The mark for “Identifies the problems” must be from 0 to 10."
    ]
    no_revision = me.put(url, {"marks": marks})
    assert list(error(no_revision)["fields"]) == ["revision"]
    thin = me.put(url, {"revision": 0, "marks": marks, "feedback": "Weak.", "submit": True})
    assert thin.status_code == 400
    assert "needs detailed feedback" in error(thin)["fields"]["feedback"][0]
    missing = me.put(url, {"revision": 0, "marks": {first: 3}, "submit": True, "feedback": DETAIL})
    assert "Give a mark for" in error(missing)["fields"]["marks"][0]
    assert not Marking.objects.filter(allocation=allocation).exists()  # nothing refused was kept


def test_a_script_moved_away_can_no_longer_be_marked(api, setup):
    ann, ben, _ = setup.assessors
    allocation = allocate(setup.scripts[0], ann)
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))
    moved = admin.post(f"/api/v1/allocations/{allocation.pk}/move/", {"to": ben.pk, "reason": "Ann is away"})
    assert moved.status_code == 201

    shown = api(ann).get(mine(allocation)).json()
    refused = api(ann).put(mine(allocation) + "marking/", {"revision": 0, "feedback": "x"})

    assert shown["ended_at"] is not None
    assert refused.status_code == 400 and "moved to another assessor" in error(refused)["message"]
    assert api(ann).get("/api/v1/marking/allocations/").json()["count"] == 0
    assert [a["id"] for a in api(ben).get("/api/v1/marking/allocations/").json()["results"]] == [
        moved.json()["id"]
    ]


def test_the_lead_reads_both_markings_and_decides_for_good(api, provider):
    setup = marking_cohort(provider, 1, second_share=0)
    ann, ben, cat = setup.assessors
    script = setup.scripts[0]
    mark(allocate(script, ann), "fail")
    mark(live(script, "second"), "pass")  # Ben: the least loaded who did not mark it
    lead = live(script, "lead")
    assert (live(script, "second").assessor, lead.assessor) == (ben, cat)
    me = api(cat)

    shown = me.get(mine(lead)).json()

    assert shown["kind"] == "lead" and shown["result"] is None
    assert [(m["kind"], m["outcome"], m["total"]) for m in shown["markings"]] == [
        ("first", "fail", 12),
        ("second", "pass", 26),
    ]
    assert shown["markings"][0]["feedback"] == DETAIL
    assert not any(text in me.get(mine(lead)).content.decode() for text in identities(script.enrolment))
    assert me.get(mine(lead) + "marking/").status_code == 404
    assert "decision" in error(me.put(mine(lead) + "marking/", {"revision": 0}))["message"]
    # Ben marked it; it is not his to decide.
    assert api(ben).post(mine(lead) + "decision/", {"outcome": "pass"}).status_code == 404
    short = me.post(mine(lead) + "decision/", {"outcome": "pass", "feedback": SUMMARY, "rationale": "Fine."})
    assert short.status_code == 400 and list(error(short)["fields"]) == ["rationale"]
    borderline = me.post(mine(lead) + "decision/", {"outcome": "borderline", "feedback": "", "rationale": ""})
    assert list(error(borderline)["fields"]) == ["outcome"]

    decided = me.post(
        mine(lead) + "decision/", {"outcome": "pass", "feedback": SUMMARY, "rationale": RATIONALE}
    )

    assert decided.status_code == 201, decided.content
    assert decided.json() | {"id": 0, "decided_at": ""} == {
        "id": 0,
        "candidate_number": script.candidate_number,
        "outcome": "pass",
        "route": "lead",
        "feedback": SUMMARY,
        "rationale": RATIONALE,
        "decided_at": "",
    }
    assert Result.objects.get(submission=script).lead == cat
    assert me.get(mine(lead)).json()["result"] == "pass"
    again = me.post(mine(lead) + "decision/", {"outcome": "fail", "feedback": DETAIL, "rationale": RATIONALE})
    assert again.status_code == 400 and error(again)["message"] == "This script already has its final result."


def test_first_and_second_assessors_cannot_record_a_decision(api, setup):
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    refused = api(setup.assessors[0]).post(
        mine(allocation) + "decision/", {"outcome": "pass", "feedback": SUMMARY, "rationale": RATIONALE}
    )
    assert refused.status_code == 403
    assert error(refused)["message"] == "Only the lead assessor this script is allocated to can decide it."


def test_no_response_to_the_first_second_or_lead_assessor_names_the_participant(api, provider):
    setup = marking_cohort(provider, 1, second_share=0)
    ann, ben, cat = setup.assessors
    script = setup.scripts[0]
    first = allocate(script, ann)
    bodies = []

    def through(caller, allocation, outcome):
        bodies.append(caller.get("/api/v1/marking/allocations/"))
        bodies.append(caller.get(mine(allocation)))
        if allocation.kind == "lead":
            bodies.append(
                caller.post(
                    mine(allocation) + "decision/",
                    {"outcome": outcome, "feedback": SUMMARY, "rationale": RATIONALE},
                )
            )
        else:
            bodies.append(caller.get(mine(allocation) + "marking/"))
            feedback = SUMMARY if outcome == "pass" else DETAIL
            data = {
                "revision": 0,
                "marks": marks_for(allocation, outcome),
                "feedback": feedback,
                "submit": True,
            }
            bodies.append(caller.put(mine(allocation) + "marking/", data))
        bodies.append(caller.get(mine(allocation)))

    through(api(ann), first, "fail")
    through(api(ben), live(script, "second"), "pass")
    through(api(cat), live(script, "lead"), "pass")

    assert [b.status_code for b in bodies] == [200, 200, 200, 200, 200] * 2 + [200, 200, 201, 200]
    assert Result.objects.get(submission=script).route == "lead"
    names = identities(script.enrolment)
    assert len(names) == 3  # name, email and school
    for response in bodies:
        assert not any(text in response.content.decode() for text in names), response.content


def test_assessor_list_query_count_is_pinned(api, provider, django_assert_num_queries):
    setup = marking_cohort(provider, 4, second_share=0)
    ann = setup.assessors[0]
    me = api(ann)
    allocate(setup.scripts[0], ann)
    warm_up(me)
    with django_assert_num_queries(4):
        assert me.get("/api/v1/marking/allocations/").json()["count"] == 1
    for script in setup.scripts[1:]:
        allocate(script, ann)
    mark(live(setup.scripts[1], "first"), "pass")
    with django_assert_num_queries(4):
        assert me.get("/api/v1/marking/allocations/").json()["count"] == 4


# A cohort's marking (provider admins) ----------------------------------------------------------------------


def marking_url(setup, end: str = "") -> str:
    return f"/api/v1/cohorts/{setup.cohort.pk}/assessment/{setup.task.number}/marking/{end}"


def test_the_admin_reads_each_scripts_stage_and_the_assessors(api, setup):
    ann, ben, cat = setup.assessors
    first, second = setup.scripts
    allocation = allocate(first, ann)
    mark(allocate(second, ben), "pass")
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))

    response = admin.get(marking_url(setup))

    assert response.status_code == 200
    shown = response.json()
    assert (shown["cohort"], shown["task"], shown["has_mark_scheme"]) == (setup.cohort.pk, 1, True)
    lines = {line["candidate_number"]: line for line in shown["scripts"]}
    waiting = lines[first.candidate_number]
    assert waiting["participant"] == first.enrolment.participant.user.display_name  # admins know
    assert waiting["enrolment"] == first.enrolment_id
    assert waiting["stage"] == "First marking: Ann Adams, due 31 Dec 2026"
    assert waiting["allocations"] == [
        {
            "id": allocation.pk,
            "kind": "first",
            "assessor": {"id": ann.pk, "name": "Ann Adams", "email": ann.email},
            "allocated_at": waiting["allocations"][0]["allocated_at"],
            "due_on": "2026-12-31",
        }
    ]
    assert waiting["result"] is None and waiting["markings"] == []
    decided = lines[second.candidate_number]
    assert decided["stage"] == "Pass (first marking (not picked for second marking)), not released yet"
    assert [(m["kind"], m["outcome"], m["total"]) for m in decided["markings"]] == [("first", "pass", 26)]
    assert decided["result"]["outcome"] == "pass" and decided["result"]["released_at"] is None
    assert [(a["name"], a["load"], a["capacity"], a["is_lead"]) for a in shown["assessors"]] == [
        ("Ann Adams", 1, 20, False),
        ("Ben Brown", 0, 20, False),
        ("Cat Cole", 0, 20, True),
    ]
    assert shown["release"] == {
        "scripts": 2,
        "waiting": 1,
        "released": 0,
        "still_marking": [first.candidate_number],
        "unmoderated": 1,
        "problem": f"1 script still being marked ({first.candidate_number}). Release once every script has its "
        "result.",
    }


def test_the_cohort_marking_is_for_the_providers_admins_and_platform_staff(api, setup, other_provider):
    url = marking_url(setup)
    assert api(person(Role.PLATFORM_STAFF)).get(url).status_code == 200
    assert api(person(Role.PROVIDER_ADMIN, other_provider)).get(url).status_code == 404
    for role in (Role.ASSESSOR, Role.FACILITATOR, Role.COACH, Role.MODERATOR, Role.PARTICIPANT):
        assert api(person(role, setup.provider)).get(url).status_code == 403, role
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))
    assert admin.get(f"/api/v1/cohorts/{setup.cohort.pk}/assessment/9/marking/").status_code == 404
    assert admin.get(f"/api/v1/cohorts/{setup.cohort.pk}/assessment/99999/marking/").status_code == 404


def test_cohort_marking_query_count_does_not_grow_with_scripts(api, provider, django_assert_num_queries):
    small = marking_cohort(provider, 2, second_share=0)
    admin = api(person(Role.PROVIDER_ADMIN, provider))
    allocate(small.scripts[0], small.assessors[0])
    warm_up(admin)
    with django_assert_num_queries(21) as few:
        admin.get(marking_url(small))
    for script in small.scripts[1:]:
        mark(allocate(script, small.assessors[1]), "pass")
    for _ in range(3):
        place = EnrolmentFactory(cohort=small.cohort, status=Enrolment.Status.ACTIVE)
        make_eligible(place)
        allocate(submitted(place, small.task), small.assessors[2])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(admin.get(marking_url(small)).json()["scripts"]) == 5


def test_the_admin_allocates_a_cohorts_scripts(api, setup):
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))
    due = str(timezone.localdate() + datetime.timedelta(days=14))

    response = admin.post(marking_url(setup, "allocate/"), {"kind": "first", "due_on": due})

    assert response.status_code == 200, response.content
    plan = response.json()
    assert plan["kind"] == "first" and plan["unallocated"] == []
    assert sorted(line["candidate_number"] for line in plan["allocated"]) == sorted(
        s.candidate_number for s in setup.scripts
    )
    assert {line["assessor"]["name"] for line in plan["allocated"]} == {"Ann Adams", "Ben Brown"}
    assert Allocation.objects.filter(kind="first", due_on=due).count() == 2
    # Running it again allocates nothing more.
    assert admin.post(marking_url(setup, "allocate/"), {"due_on": due}).json()["allocated"] == []
    past = admin.post(marking_url(setup, "allocate/"), {"due_on": "2020-01-01"})
    assert past.status_code == 400 and list(error(past)["fields"]) == ["due_on"]
    odd = admin.post(marking_url(setup, "allocate/"), {"kind": "third", "due_on": due})
    assert error(odd)["fields"] == {"kind": ['Choose "first", "second" or "lead".']}


def test_only_provider_admins_allocate_move_and_release(api, setup, other_provider):
    allocation = allocate(setup.scripts[0], setup.assessors[0])
    due = {"due_on": str(timezone.localdate() + datetime.timedelta(days=14))}
    move = f"/api/v1/allocations/{allocation.pk}/move/"
    staff = api(person(Role.PLATFORM_STAFF))
    for url, data in (
        (marking_url(setup, "allocate/"), due),
        (marking_url(setup, "release/"), {}),
        (move, {}),
    ):
        refused = staff.post(url, data)
        assert refused.status_code == 403, url
        assert api(person(Role.PROVIDER_ADMIN, other_provider)).post(url, data).status_code == 404, url
        assert api(setup.assessors[0]).post(url, data).status_code == 403, url
    for url in (marking_url(setup, "allocate/"), marking_url(setup, "release/"), move):
        assert error(staff.post(url, {}))["message"] == (
            "Only a provider admin can allocate, move and release scripts. Your role lets you read them."
        )
    assert not Allocation.objects.exclude(pk=allocation.pk).exists()


def test_moving_a_script_is_refused_with_the_reason(api, setup):
    ann, ben, cat = setup.assessors
    allocation = allocate(setup.scripts[0], ann)
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))
    url = f"/api/v1/allocations/{allocation.pk}/move/"

    unknown = admin.post(url, {"to": 999999, "reason": "Ann is away"})
    assert error(unknown)["fields"] == {
        "to": ["There is no assessor with id 999999 at this provider. Check the id."]
    }
    same = admin.post(url, {"to": ann.pk, "reason": "Ann is away"})
    assert error(same)["fields"] == {"to": ["Ann Adams already has this script."]}
    no_reason = admin.post(url, {"to": ben.pk, "reason": " "})
    assert error(no_reason)["fields"] == {"reason": ["Say why you are moving this script."]}

    moved = admin.post(url, {"to": cat.pk, "reason": "Ann is away"})

    assert moved.status_code == 201
    assert moved.json()["assessor"] == {"id": cat.pk, "name": "Cat Cole", "email": cat.email}
    allocation.refresh_from_db()
    assert allocation.ended_at is not None and allocation.end_reason == "Ann is away"
    ended = admin.post(url, {"to": ben.pk, "reason": "Again"})
    assert ended.status_code == 404  # only live allocations move


def test_release_needs_a_reason_without_moderation_and_then_participants_see_their_results(api, setup):
    ann, ben, _ = setup.assessors
    first, second = setup.scripts
    mark(allocate(first, ann), "pass")
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))
    participant = api(first.enrolment.participant.user)
    early = admin.post(marking_url(setup, "release/"))
    assert early.status_code == 400 and "still being marked" in error(early)["message"]
    mark(allocate(second, ben), "pass")
    result = Result.objects.get(submission=first)
    # Decided but not released: the participant sees nothing of it.
    assert participant.get("/api/v1/results/").json()["count"] == 0
    assert participant.get(f"/api/v1/results/{result.pk}/").status_code == 404

    refused = admin.post(marking_url(setup, "release/"))
    assert refused.status_code == 400 and list(error(refused)["fields"]) == ["without_moderation"]

    released = admin.post(marking_url(setup, "release/"), {"without_moderation": WHY_RELEASE})

    assert released.status_code == 200, released.content
    assert sorted(r["candidate_number"] for r in released.json()) == sorted(
        s.candidate_number for s in setup.scripts
    )
    assert Result.objects.get(pk=result.pk).release_note == WHY_RELEASE
    mine_now = participant.get("/api/v1/results/").json()["results"]
    assert mine_now == [
        {
            "id": result.pk,
            "enrolment": first.enrolment_id,
            "cohort": setup.cohort.pk,
            "candidate_number": first.candidate_number,
            "task": 1,
            "task_title": "Case-study response",
            "attempt": 1,
            "outcome": "pass",
            "route": "first",
            "feedback": SUMMARY,
            "decided_at": mine_now[0]["decided_at"],
            "released_at": mine_now[0]["released_at"],
            "resubmit_by": None,
        }
    ]
    assert mine_now[0]["released_at"] is not None
    # Their place is completed, with a certificate.
    assert Certificate.objects.filter(enrolment=first.enrolment).exists()


def test_a_participant_never_sees_anyone_elses_result(api, setup):
    ann = setup.assessors[0]
    for script in setup.scripts:
        mark(allocate(script, ann), "pass")
    Result.objects.update(released_at=timezone.now())
    first, second = setup.scripts
    me = api(first.enrolment.participant.user)
    assert [r["candidate_number"] for r in me.get("/api/v1/results/").json()["results"]] == [
        first.candidate_number
    ]
    assert me.get(f"/api/v1/results/{second.result.pk}/").status_code == 404


def test_results_filter_by_cohort_task_and_release(api, setup, other_provider):
    ann = setup.assessors[0]
    for script in setup.scripts:
        mark(allocate(script, ann), "pass")
    first, _ = setup.scripts
    Result.objects.filter(submission=first).update(released_at=timezone.now())
    admin = api(person(Role.PROVIDER_ADMIN, setup.provider))

    def numbers(**params):
        return sorted(
            r["candidate_number"] for r in admin.get("/api/v1/results/", **params).json()["results"]
        )

    everyone = sorted(s.candidate_number for s in setup.scripts)
    assert numbers() == numbers(cohort=setup.cohort.pk, task=1) == everyone
    assert numbers(released="true") == [first.candidate_number]
    assert len(numbers(released="false")) == 1
    assert numbers(task=2) == [] and numbers(cohort=setup.cohort.pk + 1000) == []
    assert numbers(outcome="fail") == []
    assert api(person(Role.PROVIDER_ADMIN, other_provider)).get("/api/v1/results/").json()["count"] == 0
    assert len(api(person(Role.PLATFORM_STAFF)).get("/api/v1/results/").json()["results"]) == 2


def test_results_list_query_count_is_pinned(api, provider, django_assert_num_queries):
    setup = marking_cohort(provider, 4, second_share=0)
    admin = api(person(Role.PROVIDER_ADMIN, provider))
    mark(allocate(setup.scripts[0], setup.assessors[0]), "pass")
    warm_up(admin)
    with django_assert_num_queries(4):
        assert admin.get("/api/v1/results/").json()["count"] == 1
    for script in setup.scripts[1:]:
        mark(allocate(script, setup.assessors[0]), "pass")
    with django_assert_num_queries(4):
        assert admin.get("/api/v1/results/").json()["count"] == 4


# Moderation -------------------------------------------------------------------------------------------------


@pytest.fixture
def sample(provider):
    world = marked_world(provider)
    return drawn_sample(world, by=person(Role.PROVIDER_ADMIN, provider), results=3)


def test_moderators_see_the_scripts_waiting_for_them_by_candidate_number_only(api, sample):
    moderator = api(person(Role.MODERATOR))
    items = list(ModerationItem.objects.filter(sample=sample).select_related("result__submission__enrolment"))

    listed = moderator.get("/api/v1/moderation/items/")
    detail = moderator.get(f"/api/v1/moderation/items/{items[0].pk}/")

    assert listed.status_code == 200 and detail.status_code == 200
    rows = listed.json()["results"]
    assert [r["id"] for r in rows] == [i.pk for i in items]
    assert rows[0] | {"id": 0, "sample": 0, "candidate_number": ""} == {
        "id": 0,
        "sample": 0,
        "sample_label": sample.label,
        "provider": sample.provider.name,
        "candidate_number": "",
        "task": 1,
        "task_title": items[0].result.submission.task.title,
        "reason": "assessor",
        "outcome_moderated": "pass",
        "released": False,
        "verdict": "",
        "moderator_outcome": "",
        "recorded_at": None,
    }
    shown = detail.json()
    assert shown["yours"] is True
    assert [(m["kind"], m["total"], m["outcome"]) for m in shown["markings"]] == [("first", 26, "Pass")]
    assert [f["kind"] for f in shown["files"]] == ["pdf"]
    names = identities(*(i.result.submission.enrolment for i in items))
    stored = items[0].result.submission.submitted_version.files.get()
    for body in (listed.content.decode(), detail.content.decode()):
        assert not any(text in body for text in names)
        assert stored.original_name not in body


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != Role.MODERATOR], ids=lambda r: r.value)
def test_only_moderators_moderate(api, sample, provider, role):
    item = ModerationItem.objects.filter(sample=sample).first()
    caller = api(person(role, provider))
    for response in (
        caller.get("/api/v1/moderation/items/"),
        caller.get(f"/api/v1/moderation/items/{item.pk}/"),
        caller.post(f"/api/v1/moderation/items/{item.pk}/verdict/", {"verdict": "agree"}),
    ):
        assert response.status_code == 403
    assert ModerationItem.objects.get(pk=item.pk).verdict == ""


def test_a_moderator_records_verdicts_and_the_result_follows_before_release(api, sample):
    moderator = api(person(Role.MODERATOR))
    first, second, _ = ModerationItem.objects.filter(sample=sample).order_by("pk")
    url = f"/api/v1/moderation/items/{first.pk}/verdict/"

    vague = moderator.post(url, {"verdict": "disagree", "moderator_outcome": "fail", "rationale": "No."})
    assert vague.status_code == 400 and list(error(vague)["fields"]) == ["rationale"]
    same = moderator.post(url, {"verdict": "disagree", "moderator_outcome": "pass", "rationale": RATIONALE})
    assert list(error(same)["fields"]) == ["moderator_outcome"]
    assert list(error(moderator.post(url, {"verdict": "maybe"}))["fields"]) == ["verdict"]

    no_feedback = moderator.post(
        url, {"verdict": "disagree", "moderator_outcome": "fail", "rationale": RATIONALE}
    )
    assert list(error(no_feedback)["fields"]) == ["feedback"]  # a fail's participant needs detailed feedback
    disagreed = moderator.post(
        url,
        {"verdict": "disagree", "moderator_outcome": "fail", "rationale": RATIONALE, "feedback": DETAIL},
    )

    assert disagreed.status_code == 200, disagreed.content
    shown = disagreed.json()
    assert (shown["verdict"], shown["moderator_outcome"], shown["rationale"]) == (
        "disagree",
        "fail",
        RATIONALE,
    )
    assert Result.objects.get(pk=first.result_id).outcome == "fail"
    agreed = moderator.post(f"/api/v1/moderation/items/{second.pk}/verdict/", {"verdict": "agree"})
    assert agreed.json()["verdict"] == "agree"
    waiting = [r["id"] for r in moderator.get("/api/v1/moderation/items/").json()["results"]]
    assert first.pk not in waiting and second.pk not in waiting
    # Another moderator may not change someone else's verdict.
    other = api(person(Role.MODERATOR)).post(url, {"verdict": "agree"})
    assert other.status_code == 400 and "only they can change it" in error(other)["message"]


def test_moderation_list_query_count_is_pinned(api, provider, django_assert_num_queries):
    world = marked_world(provider)
    admin = person(Role.PROVIDER_ADMIN, provider)
    drawn_sample(world, by=admin, results=1)
    moderator = api(person(Role.MODERATOR))
    warm_up(moderator)
    with django_assert_num_queries(4):
        assert moderator.get("/api/v1/moderation/items/").json()["count"] == 1
    drawn_sample(marked_world(provider), by=admin, results=4)
    with django_assert_num_queries(4):
        assert moderator.get("/api/v1/moderation/items/").json()["count"] == 5


# Certificates ----------------------------------------------------------------------------------------------


@pytest.fixture
def certificate(provider):
    world = marked_world(provider)
    result = marked_result(world, first=named_assessor(provider, "Ann Marker"), name="Amelia Hart")
    enrolment = result.submission.enrolment
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.COMPLETED)
    return Certificate.objects.create(
        enrolment=enrolment,
        code="7KQ4-M2XB-9HDW",
        name="Amelia Hart",
        qualification=certificates.QUALIFICATION,
        provider_name=provider.name,
        awarded_on=datetime.date(2026, 6, 11),
        issued_at=timezone.now(),
    )


def test_anyone_checks_a_certificate_by_its_code_and_learns_only_its_four_facts(client, certificate):
    expected = {
        "code": "7KQ4-M2XB-9HDW",
        "status": "valid",
        "name": "Amelia Hart",
        "qualification": "National Professional Qualification for Executive Leadership",
        "provider": certificate.provider_name,
        "awarded_on": "2026-06-11",
        "revoked_on": None,
    }
    for typed in ("7KQ4-M2XB-9HDW", "7kq4 m2xb 9hdw", "7KQ4M2XB9HDW"):
        response = client.get(f"/api/v1/certificates/{typed}/")
        assert response.status_code == 200, typed
        assert response.json() == expected
    unknown = client.get("/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ/")
    assert unknown.status_code == 404 and error(unknown)["code"] == "not_found"
    assert client.get("/api/v1/certificates/not-a-code/").status_code == 404


def test_a_revoked_certificate_says_only_that_it_was_revoked_and_when(client, certificate):
    with time_machine.travel(datetime.datetime(2026, 7, 1, 23, 30, tzinfo=datetime.UTC), tick=False):
        certificates.certificate_revoke(
            by=person(Role.PROVIDER_ADMIN, certificate.enrolment.provider),
            certificate=certificate,
            reason="Issued in error: the result was changed on review.",
        )

    response = client.get(f"/api/v1/certificates/{certificate.code}/")

    assert response.json() == {
        "code": certificate.code,
        "status": "revoked",
        "name": None,
        "qualification": None,
        "provider": None,
        "awarded_on": None,
        "revoked_on": "2026-07-02",  # the UK date: 00:30 BST
    }
    assert "review" not in response.content.decode()


def test_certificate_checks_are_limited_per_address(client, certificate):
    url = f"/api/v1/certificates/{certificate.code}/"
    for n in range(certificates.VERIFY_LOOKUPS_PER_WINDOW):
        checked = client.get(
            url if n % 2 else "/api/v1/certificates/ZZZZ-ZZZZ-ZZZZ/", REMOTE_ADDR="203.0.113.7"
        )
        assert checked.status_code in (200, 404)
    # Something that cannot be a code reads nothing, so it is not counted.
    assert client.get("/api/v1/certificates/nonsense/", REMOTE_ADDR="203.0.113.7").status_code == 404

    limited = client.get(url, REMOTE_ADDR="203.0.113.7")

    assert limited.status_code == 429
    assert limited["Retry-After"] == str(certificates.VERIFY_WINDOW_SECONDS)
    assert error(limited)["code"] == "too_many_requests" and "Amelia" not in limited.content.decode()
    assert "Try again in 15 minutes" in error(limited)["message"]
    assert client.get(url, REMOTE_ADDR="198.51.100.20").status_code == 200  # another address

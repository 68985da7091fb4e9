"""The demo data's DfE declarations: every demo participant has a DfE participant ID derived from their email (the
same on every load), and the demo providers' declarations are recorded when the demo loads, once."""

import uuid

import pytest

from metrics.models import Declaration
from npqel.demo import PROVIDERS, demo_load
from npqel.demo_participants import demo_dfe_participant_id
from participants.models import Participant

pytestmark = pytest.mark.django_db


def test_demo_participants_have_their_own_dfe_ids_and_their_declarations_are_recorded_once():
    demo_load()
    ids = dict(Participant.objects.values_list("user__email", "dfe_participant_id"))
    assert ids and all(value == demo_dfe_participant_id(email) for email, value in ids.items())
    assert demo_dfe_participant_id("Priya.Patel@Example.org") == demo_dfe_participant_id(
        "priya.patel@example.org"
    )
    assert isinstance(demo_dfe_participant_id("a@b.example"), uuid.UUID)
    kinds = set(Declaration.objects.values_list("declaration_type", flat=True))
    assert {"started", "completed"} <= kinds
    assert set(Declaration.objects.values_list("provider__slug", flat=True)) == {
        slug for slug, _, _ in PROVIDERS
    }
    before = list(
        Declaration.objects.order_by("pk").values_list("pk", "declaration_type", "declaration_date")
    )
    demo_load()
    assert dict(Participant.objects.values_list("user__email", "dfe_participant_id")) == ids
    assert (
        list(Declaration.objects.order_by("pk").values_list("pk", "declaration_type", "declaration_date"))
        == before
    )

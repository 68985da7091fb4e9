import pytest
from django.urls import reverse

from accounts.models import ApiToken
from npqel.access import Role

pytestmark = pytest.mark.django_db


def test_create_key_on_own_page_shows_it_once_and_stores_only_its_hash(signed_in, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    client = signed_in(user)
    page = client.post(reverse("account"), {"name": "Reporting spreadsheet"}).content.decode()
    token = ApiToken.objects.get(user=user)
    key = page.split('id="new-api-key">', 1)[1].split("<", 1)[0]
    assert key.startswith("npq_") and key not in token.key_hash and token.prefix == key[:10]
    assert "Copy it now" in page
    assert key not in client.get(reverse("account")).content.decode()  # shown once

    client.logout()
    api = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 200 and api.json()["email"] == user.email


def test_key_needs_a_name_and_names_are_unique(signed_in, make_person, provider):
    client = signed_in(make_person(Role.COACH, provider))
    assert "Give the key a name" in client.post(reverse("account"), {"name": "  "}).content.decode() or (
        "This field is required" in client.post(reverse("account"), {"name": ""}).content.decode()
    )
    client.post(reverse("account"), {"name": "Sheet"})
    assert "already have a key called" in client.post(reverse("account"), {"name": "Sheet"}).content.decode()


def test_revoked_key_is_refused_and_another_users_key_answers_404(signed_in, make_person, provider, client):
    owner = make_person(Role.FACILITATOR, provider)
    other = make_person(Role.FACILITATOR, provider)
    page = signed_in(owner).post(reverse("account"), {"name": "Sheet"}).content.decode()
    key = page.split('id="new-api-key">', 1)[1].split("<", 1)[0]
    token = ApiToken.objects.get(user=owner)

    client.force_login(other)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    client.force_login(owner)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 302
    assert "Revoked" in client.get(reverse("account")).content.decode()
    client.logout()
    refused = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "This API key is not valid or has been revoked."

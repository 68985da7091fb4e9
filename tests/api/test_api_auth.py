"""Signing in to the API: personal keys (`Authorization: Token <key>`), sessions, and the second factor."""

import hashlib

import pytest

from accounts.models import ApiToken
from accounts.services import api_token_create, api_token_revoke
from npqel.access import Role
from tests.programmes.factories import StaffMembershipFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def token(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape: {"error": {"status", "code", "message", "fields"}}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "fields"}
    assert body["error"]["status"] == status and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_a_key_signs_in_and_me_shows_the_users_roles(client, make_person, provider):
    user = make_person(Role.PROVIDER_ADMIN, provider)
    StaffMembershipFactory(user=user, provider=provider, role="coach")
    _, key = api_token_create(user=user, name="Reporting spreadsheet")

    response = client.get(ME, **token(key))

    assert response.status_code == 200
    assert response.json() == {
        "email": user.email,
        "full_name": user.full_name,
        "roles": ["coach", "provider_admin"],
        "memberships": [
            {"provider": provider.slug, "role": "coach"},
            {"provider": provider.slug, "role": "provider_admin"},
        ],
    }
    assert "sessionid" not in response.cookies  # a key signs in one request, it does not start a session


def test_a_participants_key_shows_the_participant_role(client, make_person, provider):
    user = make_person(Role.PARTICIPANT, provider)
    _, key = api_token_create(user=user, name="Phone")

    body = client.get(ME, **token(key)).json()

    assert body["roles"] == ["participant"] and body["memberships"] == []


def test_using_a_key_records_when_it_was_last_used(client, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    api_key, key = api_token_create(user=user, name="Sheet")
    assert api_key.last_used_at is None

    client.get(ME, **token(key))

    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_a_revoked_key_is_refused_with_a_message_saying_so(client, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    api_key, key = api_token_create(user=user, name="Old laptop")
    assert client.get(ME, **token(key)).status_code == 200

    api_token_revoke(user=user, token_id=api_key.pk)
    response = client.get(ME, **token(key))

    error = assert_error(response, 401, "not_signed_in")
    assert "revoked" in error["message"] and "not valid" in error["message"]
    assert error["fields"] == {}
    assert response["WWW-Authenticate"] == "Token"


def test_a_made_up_key_and_a_deactivated_users_key_are_refused(client, make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    _, key = api_token_create(user=user, name="Sheet")
    assert_error(client.get(ME, **token("npq_" + "x" * 43)), 401, "not_signed_in")

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert "not valid" in assert_error(client.get(ME, **token(key)), 401, "not_signed_in")["message"]


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Token", "Authorization: Token <your key>"),
        ("Token two words", "Authorization: Token <your key>"),
        ("Token caf\u00e9", "characters that are not allowed"),
    ],
    ids=["no-key", "spaces-in-key", "not-utf8"],
)
def test_a_malformed_header_gets_401_explaining_the_format(client, header, says):
    response = client.get(ME, HTTP_AUTHORIZATION=header)

    assert says in assert_error(response, 401, "not_signed_in")["message"]


@pytest.mark.parametrize(
    "header", [None, "Bearer abc", "Basic dXNlcjpwYXNz"], ids=["none", "bearer", "basic"]
)
def test_anonymous_requests_get_401_naming_the_header_to_send(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    for url in (ME, "/api/v1/providers/", "/api/v1/cohorts/", "/api/v1/enrolments/", "/api/v1/invitations/"):
        response = client.get(url, **extra)

        error = assert_error(response, 401, "not_signed_in")
        assert "Authorization: Token" in error["message"], error["message"]
        assert response["WWW-Authenticate"] == "Token"


def test_a_session_works_like_a_key(signed_in, make_person, provider):
    user = make_person(Role.COACH, provider)

    response = signed_in(user).get(ME)

    assert response.status_code == 200 and response.json()["roles"] == ["coach"]


@pytest.mark.parametrize("role", ["provider_admin", "assessor"])
def test_staff_session_without_a_second_factor_is_refused_but_their_key_works(client, provider, role):
    # A role that needs a second factor, with none set up yet (people() would give them one).
    user = StaffMembershipFactory(provider=provider, role=role).user
    client.force_login(user)

    response = client.get(ME)

    error = assert_error(response, 403, "forbidden")
    assert "Set up two-factor authentication" in error["message"]

    # A key is a credential of its own: it was made on the account page, behind the second factor, and
    # proves possession on every request, so the session rule does not apply to it.
    _, key = api_token_create(user=user, name="Integration")
    client.logout()
    response = client.get(ME, **token(key))
    assert response.status_code == 200 and response.json()["roles"] == [role]


def test_roles_that_need_no_second_factor_use_a_session_without_one(client, provider):
    user = StaffMembershipFactory(provider=provider, role="facilitator").user
    client.force_login(user)

    assert client.get(ME).status_code == 200


def test_only_a_sha256_of_the_key_is_stored(make_person, provider):
    user = make_person(Role.FACILITATOR, provider)
    api_key, key = api_token_create(user=user, name="Sheet")

    api_key.refresh_from_db()
    assert api_key.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert api_key.prefix == key[:10]  # enough to recognise it on the account page, not to use it
    stored = [str(v) for v in ApiToken.objects.filter(pk=api_key.pk).values().get().values()]
    assert not any(key in value for value in stored)
    assert not ApiToken.objects.filter(key_hash=key).exists()

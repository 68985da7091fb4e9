"""Fixtures the API tests share."""

from types import SimpleNamespace

import pytest

from accounts.services import api_token_create


@pytest.fixture
def api(client):
    """api(user) → get/post/patch/put/delete of API paths with a fresh key of that user (JSON bodies)."""

    def for_user(user):
        _, key = api_token_create(user=user, name="Tests")
        auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
        return SimpleNamespace(
            get=lambda path, **params: client.get(path, params, **auth),
            post=lambda path, data=None: client.post(
                path, data or {}, content_type="application/json", **auth
            ),
            patch=lambda path, data: client.patch(path, data, content_type="application/json", **auth),
            put=lambda path, data: client.put(path, data, content_type="application/json", **auth),
            delete=lambda path: client.delete(path, **auth),
        )

    return for_user

"""`Authorization: Token <key>` for the API, checked against the key's SHA-256."""

from django.http import HttpRequest
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, User
from accounts.services import api_token_touch, hash_api_key


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: HttpRequest) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Token <your key>.")
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(
                "The API key contains characters that are not allowed."
            ) from exc
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_api_key(key), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: HttpRequest) -> str:
        return self.keyword

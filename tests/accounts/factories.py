import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import User

PASSWORD = "a-long-test-password-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@school{n}.example")
    full_name = factory.Faker("name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def give_totp(user: User) -> str:
    """Give the user an authenticator app; returns its secret."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        return secret
    return ""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from npqel.demo import current_code


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (for trying the app locally)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("email")

    def handle(self, *args: object, email: str, **options: object) -> None:
        user = User.objects.filter(email__iexact=email, email__endswith=".example").first()
        if user is None:
            raise CommandError(
                f"No demo account {email}. Demo accounts end in .example; run `make run` to load them."
            )
        try:
            self.stdout.write(current_code(user))
        except user.authenticator_set.model.DoesNotExist as exc:
            raise CommandError(f"{email} has no authenticator: its role does not need a code.") from exc

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.services import platform_staff_create
from npqel.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create the first platform-staff account of a new installation; they invite everyone else. "
        "Asks for the password (or reads one line from standard input with --password-stdin)."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="The person's full name.")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from stdin.")

    def handle(self, *args: object, email: str, name: str, password_stdin: bool, **options: object) -> None:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password again: ") != password:
                raise CommandError("The two passwords differ. Run the command again.")
        try:
            user = platform_staff_create(email=email, password=password, full_name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{user.email} is platform staff. Sign in at /accounts/login/; "
            "you will be asked to set up an authenticator app first."
        )

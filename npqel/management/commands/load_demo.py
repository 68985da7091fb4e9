from django.conf import settings
from django.core.management.base import BaseCommand

from npqel.access import ROLE_LABELS
from npqel.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load (or refresh) the demo providers, cohorts and a sign-in for every role. Safe to run twice."

    def handle(self, *args: object, **options: object) -> None:
        logins = demo_load()
        out = self.stdout
        out.write("")
        out.write(
            self.style.SUCCESS("Demo data loaded. Open http://127.0.0.1:8000 and sign in as any of these:")
        )
        out.write(f"  Password for every demo account: {DEMO_PASSWORD}")
        out.write("")
        for login in logins:
            out.write(f"  {ROLE_LABELS[login.role]:<16} {login.email:<34} ({login.provider})")
        mfa = [login for login in logins if login.needs_mfa]
        if mfa and settings.NPQEL_MFA_REQUIRED_FOR_STAFF:
            out.write("")
            out.write("  Provider admins, assessors, moderators and platform staff also need a 6-digit code.")
            out.write("  Get the current one with:  .venv/bin/python manage.py demo_code EMAIL")
            out.write("  or add the secret to an authenticator app (issuer NPQEL Programme Manager):")
            for login in mfa:
                out.write(f"    {login.email:<34} {login.totp_secret}")
        out.write("")

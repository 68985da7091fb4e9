from django import forms

from accounts.models import Invitation

PROVIDER_ROLE_CHOICES = [
    (Invitation.Role.PROVIDER_ADMIN.value, "Provider admin — runs the programme, cohorts and people"),
    (Invitation.Role.FACILITATOR.value, "Facilitator — takes registers and runs sessions"),
    (Invitation.Role.COACH.value, "Coach — supports their coachees"),
    (Invitation.Role.ASSESSOR.value, "Assessor — marks assessment scripts anonymously"),
]
CROSS_PROVIDER_ROLE_CHOICES = [
    (Invitation.Role.MODERATOR.value, "Moderator — checks a sample of marking, for every provider"),
    (Invitation.Role.PLATFORM_STAFF.value, "Platform staff — supports every provider"),
]


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation link is sent here.",
        error_messages={
            "required": "Enter the email address to send the invitation to.",
            "invalid": "Enter a valid email address, like name@school.org.uk.",
        },
    )
    full_name = forms.CharField(label="Full name", max_length=200, required=False)
    role = forms.ChoiceField(
        label="Role",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the role they will have.",
            "invalid_choice": "Choose one of the roles listed.",
        },
    )

    def __init__(self, *args: object, cross_provider: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = CROSS_PROVIDER_ROLE_CHOICES if cross_provider else PROVIDER_ROLE_CHOICES


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label="Your full name", max_length=200, error_messages={"required": "Enter your full name."}
    )
    password = forms.CharField(
        label="Choose a password",
        help_text="At least 10 characters. Not a common password, and not only numbers.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Choose a password of at least 10 characters."},
    )
    password_again = forms.CharField(
        label="Type the password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again, to be sure it is the one you meant."},
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords are different. Type the same password twice.")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name of the new key",
        max_length=100,
        help_text="For example, “Reporting spreadsheet”.",
        error_messages={"required": "Give the key a name, for example “Reporting spreadsheet”."},
    )

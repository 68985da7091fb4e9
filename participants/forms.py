"""Forms for the cohort roster's filters and for the changes an admin makes to a place. They check shape
only; participants.services checks the rules (and its DomainError lands on the field it names)."""

from django import forms
from django.utils import timezone

from accounts.models import User
from npqel.forms import DateInput
from participants.models import Enrolment, EnrolmentChange
from participants.selectors import NO_GROUP, NOT_KNOWN, ROSTER_SORTS
from participants.services import DEFERRAL_REASONS, WITHDRAWAL_REASONS
from programmes.forms.delivery import ThisCenturyDateField, choice_messages, date_messages
from programmes.models import Cohort, DeliveryGroup, FeeOption, PlacementOption, Programme
from programmes.wording import fee_text

Reason = EnrolmentChange.Reason


class RosterFilterForm(forms.Form):
    """The roster's filters and sort, sent as a GET query so a filtered roster can be bookmarked. A value
    nobody could have chosen (an edited address) is ignored rather than refused."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Enrolment.Status.choices],
        error_messages=choice_messages("a status"),
    )
    group = forms.ChoiceField(
        label="Delivery group", required=False, error_messages=choice_messages("a delivery group")
    )
    funding_route = forms.ChoiceField(
        label="Funding route",
        required=False,
        error_messages=choice_messages("a funding route"),
        choices=[
            ("", "Any funding route"),
            *[(value, label) for value, label in Enrolment.FundingRoute.choices if value],
            (NOT_KNOWN, "Not known yet"),
        ],
    )
    at_risk = forms.BooleanField(label="Only people at risk", required=False)
    # Set by the column headers' links; an unknown value sorts by name, without a message about a field
    # nobody can see.
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, groups: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [
            ("", "Any group"),
            *[(str(group.pk), group.name) for group in groups],
            (NO_GROUP, "Not in a group"),
        ]

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        return sort if sort.lstrip("-") in ROSTER_SORTS else ""

    def filters(self) -> dict[str, object]:
        """The filters to pass to participants.selectors.roster, keeping only the values that were valid."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        sort = data.get("sort") or "name"
        return {
            "status": data.get("status", ""),
            "group": data.get("group", ""),
            "funding_route": data.get("funding_route", ""),
            "at_risk": data.get("at_risk", False),
            "sort": sort.lstrip("-"),
            "descending": sort.startswith("-"),
        }


def _reasons(allowed: frozenset[str]) -> list[tuple[str, str]]:
    """The allowed reasons in the order DfE lists them, "Other" last."""
    listed = [(value, label) for value, label in Reason.choices if value in allowed and value != Reason.OTHER]
    return [*listed, (Reason.OTHER.value, Reason.OTHER.label)]


def _on_field(label: str, what: str) -> ThisCenturyDateField:
    return ThisCenturyDateField(
        label=label,
        widget=DateInput(),
        initial=timezone.localdate,
        help_text="Today, or the earlier day it happened.",
        error_messages=date_messages(what),
    )


def _note_field() -> forms.CharField:
    return forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        help_text="Anything the next person to read this record should know.",
        error_messages={"max_length": "Keep the note to 2,000 characters or fewer."},
    )


class DateForm(forms.Form):
    """Accept an application, or start a place: only the day it happened."""

    on = _on_field("Date", "the date")


class DeferForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason for the deferral",
        choices=_reasons(DEFERRAL_REASONS),
        widget=forms.RadioSelect,
        error_messages=choice_messages("the reason for the deferral"),
    )
    on = _on_field("Deferred from", "the date their deferral began")
    note = _note_field()


class ResumeForm(forms.Form):
    on = _on_field("Resumed on", "the date they resumed")
    note = _note_field()


class WithdrawForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason for the withdrawal",
        choices=[("", "Choose a reason"), *_reasons(WITHDRAWAL_REASONS)],
        error_messages=choice_messages("the reason for the withdrawal"),
    )
    on = _on_field("Withdrawn from", "the date they withdrew")
    note = _note_field()


class TransferForm(forms.Form):
    to_cohort = forms.ModelChoiceField(
        label="Move their place to",
        queryset=Cohort.objects.none(),
        empty_label="Choose a cohort",
        help_text="Their history moves with them. They leave their delivery group: choose one on the new cohort.",
        error_messages=choice_messages("the cohort to move their place to"),
    )
    on = _on_field("Moved on", "the date their place moved")
    note = _note_field()

    def __init__(self, *args: object, cohorts: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_cohort"].queryset = cohorts
        self.fields["to_cohort"].label_from_instance = lambda cohort: (
            f"{cohort.programme.name}: {cohort.code} (starts {cohort.start_date:%-d %B %Y})"
        )


class GroupChoiceForm(forms.Form):
    group = forms.ModelChoiceField(
        label="Delivery group",
        queryset=DeliveryGroup.objects.none(),
        required=False,
        empty_label="No group",
        error_messages=choice_messages("a delivery group"),
    )

    def __init__(self, *args: object, groups: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class CoachChoiceForm(forms.Form):
    coach = forms.ModelChoiceField(
        label="Coach",
        queryset=User.objects.none(),
        required=False,
        empty_label="No coach",
        help_text="People who hold the coach role at this provider.",
        error_messages=choice_messages("a coach"),
    )

    def __init__(self, *args: object, coaches: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = coaches
        self.fields["coach"].label_from_instance = lambda user: user.display_name


class FundingForm(forms.Form):
    funding_route = forms.ChoiceField(
        label="How is the place funded?",
        choices=Enrolment.FundingRoute.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages=choice_messages("how the place is funded"),
    )
    fee_option = forms.ModelChoiceField(
        label="Fee option",
        queryset=FeeOption.objects.none(),
        required=False,
        empty_label="No fee (or not decided yet)",
        help_text="The programme's fee options and their instalments; coaching can change the price.",
        error_messages=choice_messages("a fee option"),
    )
    placement_option = forms.ModelChoiceField(
        label="Placement",
        queryset=PlacementOption.objects.none(),
        required=False,
        empty_label="No placement chosen",
        error_messages=choice_messages("a placement"),
    )

    def __init__(
        self, *args: object, fee_options: object, placement_options: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        fees = self.fields["fee_option"]
        fees.queryset = fee_options
        fees.label_from_instance = lambda fee: f"{fee.name}: {fee_text(fee)}"
        places = self.fields["placement_option"]
        places.queryset = placement_options
        places.label_from_instance = lambda option: option.name


class EnrolmentImportForm(forms.Form):
    """Upload a spreadsheet of participants to check (nothing is imported until the preview is confirmed)."""

    file = forms.FileField(
        label="Spreadsheet (CSV or Excel .xlsx)",
        help_text="One row per participant, with a header row. Up to 5 MB and 5,000 rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
        error_messages={"required": "Choose the spreadsheet to upload.", "empty": "The file is empty."},
    )
    create_cohorts = forms.BooleanField(
        label="Create missing cohorts (for migrating past cohorts; needs a cohort_start_date column)",
        required=False,
    )
    programme = forms.ModelChoiceField(
        label="Programme",
        queryset=Programme.objects.none(),
        required=False,
        empty_label="Any of this provider's programmes",
        help_text="Needed to create missing cohorts, or when two programmes use the same cohort code.",
        error_messages={"invalid_choice": "Choose one of this provider's programmes."},
    )

    def __init__(self, *args: object, programmes: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["programme"].label_from_instance = lambda programme: (
            f"{programme.name} ({programme.code})"
        )

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if data.get("create_cohorts") and not data.get("programme"):
            self.add_error("programme", "Choose the programme that the missing cohorts belong to.")
        return data

"""Forms for cohorts, delivery groups and sessions. They check shape only; the services check the rules.

Every field says in plain English what to fix; Django's default messages are never shown.
"""

import datetime

from django import forms
from django.utils import timezone

from accounts.models import User
from npqel.forms import DateInput, TimeInput
from npqel.words import plural
from programmes.models import Cohort, Component, DeliveryGroup, DeliveryPartner, Session
from programmes.services import MAX_SERIES_OCCURRENCES, MAX_WEEKS_APART
from programmes.timetable import OUT_OF_YEARS, in_timetable_years

MOST_PEOPLE = 100_000


def date_messages(what: str) -> dict[str, str]:
    return {
        "required": f"Enter {what}.",
        "invalid": f"Enter {what} as a real date, for example 6 October 2026.",
    }


def time_messages(what: str) -> dict[str, str]:
    return {"required": f"Enter {what}.", "invalid": f"Enter {what}, as hours and minutes."}


def number_messages(what: str, least: int, most: int) -> dict[str, str]:
    return {
        "required": f"Enter {what}.",
        "invalid": f"Enter {what} as a whole number.",
        "min_value": f"Enter {what} as {least} or more.",
        "max_value": f"Enter {what} as {most:,} or fewer.",
    }


def choice_messages(what: str) -> dict[str, str]:
    return {"required": f"Choose {what}.", "invalid_choice": f"Choose {what} from the list."}


class ThisCenturyDateField(forms.DateField):
    """A date in the years a timetable works in (programmes.timetable)."""

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value is not None and not in_timetable_years(value):
            raise forms.ValidationError(OUT_OF_YEARS, code="out_of_range")


class DeliveryPartnerForm(forms.Form):
    name = forms.CharField(
        label="Delivery partner's name",
        max_length=200,
        error_messages={"required": "Enter the delivery partner's name."},
    )
    region = forms.CharField(label="Region (optional)", max_length=100, required=False)


def _cohort_label(cohort: Cohort) -> str:
    count = getattr(cohort, "session_count", None)
    sessions = "" if count is None else f", {plural(count, 'session')}"
    return f"{cohort.code} (starts {cohort.start_date:%-d %B %Y}{sessions})"


def _percent_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
        error_messages={
            "invalid": "Enter the share as a number, for example 30 or 12.5.",
            "min_value": "Enter the share as a percentage from 0 to 100.",
            "max_value": "Enter the share as a percentage from 0 to 100.",
            "max_decimal_places": "Enter the share with at most 2 decimal places.",
            "max_digits": "Enter the share as a percentage from 0 to 100.",
        },
    )


class CohortForm(forms.Form):
    code = forms.SlugField(
        label="Cohort code",
        max_length=50,
        help_text="Short, with no spaces, for example 2026-autumn.",
        error_messages={
            "required": "Enter a code for the cohort, for example 2026-autumn.",
            "invalid": "Use only letters, numbers and hyphens in the code, for example 2026-autumn.",
            "max_length": "Keep the code to 50 characters or fewer.",
        },
    )
    intake = forms.ChoiceField(
        label="Intake",
        choices=Cohort.Intake.choices,
        widget=forms.RadioSelect,
        error_messages=choice_messages("the intake: autumn or spring"),
    )
    start_date = ThisCenturyDateField(
        label="Start date", widget=DateInput(), error_messages=date_messages("the date the cohort starts")
    )
    end_date = ThisCenturyDateField(
        label="End date",
        widget=DateInput(),
        required=False,
        help_text="Leave blank to run for the programme's length.",
        error_messages=date_messages("the date the cohort ends"),
    )
    delivery_partner = forms.ModelChoiceField(
        label="Delivery partner (optional)",
        queryset=DeliveryPartner.objects.none(),
        required=False,
        empty_label="None",
        error_messages=choice_messages("a delivery partner"),
    )
    recruitment_target = forms.IntegerField(
        label="Recruitment target (people)",
        min_value=0,
        max_value=MOST_PEOPLE,
        required=False,
        error_messages=number_messages("the number of people you aim to recruit", 0, MOST_PEOPLE),
    )
    fsm_target_percent = _percent_field(
        "Target share from schools with 30% or more pupils on free school meals (%)"
    )
    non_white_british_target_percent = _percent_field("Target share from groups other than White British (%)")
    copy_timetable_from = forms.ModelChoiceField(
        label="Timetable",
        queryset=Cohort.objects.none(),
        required=False,
        empty_label="Start with an empty timetable",
        help_text="Copy an earlier cohort's groups and sessions. Each session keeps its weekday and its time.",
        error_messages=choice_messages("the cohort whose timetable to copy"),
    )

    def __init__(self, *args: object, partners: object, cohorts: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["delivery_partner"].queryset = partners
        if cohorts is None:
            del self.fields["copy_timetable_from"]
            self.fields["end_date"].required = True
            self.fields["end_date"].help_text = ""
        else:
            self.fields["copy_timetable_from"].queryset = cohorts
            self.fields["copy_timetable_from"].label_from_instance = _cohort_label


class CopyTimetableForm(forms.Form):
    source = forms.ModelChoiceField(
        label="Copy the timetable of",
        queryset=Cohort.objects.none(),
        empty_label="Choose a cohort",
        error_messages=choice_messages("the cohort whose timetable to copy"),
    )

    def __init__(self, *args: object, cohorts: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = cohorts
        self.fields["source"].label_from_instance = _cohort_label


class GroupForm(forms.Form):
    name = forms.CharField(
        label="Group name",
        max_length=100,
        help_text="For example, North.",
        error_messages={"required": "Enter the group's name, for example North."},
    )
    region = forms.CharField(label="Region (optional)", max_length=100, required=False)
    facilitators = forms.ModelMultipleChoiceField(
        label="Facilitators",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Facilitators see this group's sessions in their list and calendar.",
        error_messages={
            "invalid_choice": "Choose facilitators from the list.",
            "invalid_pk_value": "Choose facilitators from the list.",
        },
    )

    def __init__(self, *args: object, facilitators: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitators"].queryset = facilitators
        self.fields["facilitators"].label_from_instance = lambda user: user.display_name


class SessionForm(forms.Form):
    component = forms.ModelChoiceField(
        label="Component",
        queryset=Component.objects.none(),
        empty_label="Choose a component",
        error_messages=choice_messages("the component this session delivers"),
    )
    title = forms.CharField(
        label="Title (optional)",
        max_length=200,
        required=False,
        help_text="For example, the day's topic. Leave blank to use the component's name.",
    )
    day = ThisCenturyDateField(
        label="Date", widget=DateInput(), error_messages=date_messages("the session's date")
    )
    start_time = forms.TimeField(
        label="Starts at",
        widget=TimeInput(),
        help_text="UK time, for example 09:30.",
        error_messages=time_messages("the time the session starts"),
    )
    end_time = forms.TimeField(
        label="Ends at",
        widget=TimeInput(),
        help_text="UK time, for example 16:00.",
        error_messages=time_messages("the time the session ends"),
    )
    occurrences = forms.IntegerField(
        label="How many sessions",
        min_value=1,
        max_value=MAX_SERIES_OCCURRENCES,
        initial=1,
        help_text="1 for a single session. More to schedule a series at the same time on the same weekday.",
        error_messages=number_messages("how many sessions to schedule", 1, MAX_SERIES_OCCURRENCES),
    )
    every_weeks = forms.IntegerField(
        label="For a series: every how many weeks",
        min_value=1,
        max_value=MAX_WEEKS_APART,
        initial=1,
        error_messages=number_messages("how many weeks apart the sessions are", 1, MAX_WEEKS_APART),
    )
    group = forms.ModelChoiceField(
        label="Delivery group (optional)",
        queryset=DeliveryGroup.objects.none(),
        required=False,
        empty_label="Whole cohort",
        error_messages=choice_messages("a delivery group"),
    )
    venue = forms.CharField(label="Venue (optional)", max_length=300, required=False)
    online_link = forms.URLField(
        label="Online link (optional)",
        max_length=500,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter the full web address, for example https://meet.example.org/room."},
    )
    capacity = forms.IntegerField(
        label="Places (optional)",
        min_value=1,
        max_value=MOST_PEOPLE,
        required=False,
        error_messages=number_messages("the number of places", 1, MOST_PEOPLE),
    )
    facilitator = forms.ModelChoiceField(
        label="Facilitator (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="Not assigned",
        error_messages=choice_messages("a facilitator"),
    )
    repeat_of = forms.ModelChoiceField(
        label="Repeat of (optional)",
        queryset=Session.objects.none(),
        required=False,
        empty_label="Not a repeat",
        help_text="A repeat runs the same content again; attending either counts once.",
        error_messages=choice_messages("the session this one repeats"),
    )

    def __init__(
        self,
        *args: object,
        components: object,
        groups: object,
        facilitators: object,
        sessions: object,
        series: bool,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].queryset = components
        self.fields["group"].queryset = groups
        self.fields["facilitator"].queryset = facilitators
        self.fields["facilitator"].label_from_instance = lambda user: user.display_name
        self.fields["repeat_of"].queryset = sessions
        self.fields["repeat_of"].label_from_instance = lambda s: (
            f"{s.display_title} ({timezone.localtime(s.starts_at):%-d %b %Y, %H:%M})"
        )
        if not series:
            del self.fields["occurrences"]
            del self.fields["every_weeks"]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        if (data.get("occurrences") or 1) > 1 and data.get("repeat_of"):
            self.add_error(
                "repeat_of", "A series cannot be a repeat. Schedule the repeat as a single session."
            )
        return data

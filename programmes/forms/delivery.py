"""Forms for cohorts, delivery groups and sessions. They check shape only; the services check the rules."""

from django import forms
from django.utils import timezone

from accounts.models import User
from npqel.forms import DateInput, TimeInput
from programmes.models import Cohort, Component, DeliveryGroup, DeliveryPartner, Session


class DeliveryPartnerForm(forms.Form):
    name = forms.CharField(label="Delivery partner's name", max_length=200)
    region = forms.CharField(label="Region (optional)", max_length=100, required=False)


def _cohort_label(cohort: Cohort) -> str:
    count = getattr(cohort, "session_count", None)
    sessions = "" if count is None else f", {count} session{'s' if count != 1 else ''}"
    return f"{cohort.code} (starts {cohort.start_date:%-d %B %Y}{sessions})"


class CohortForm(forms.Form):
    code = forms.SlugField(
        label="Cohort code",
        max_length=50,
        help_text="Short, with no spaces, for example 2026-autumn.",
        error_messages={
            "invalid": "Use only letters, numbers and hyphens in the code, for example 2026-autumn."
        },
    )
    intake = forms.ChoiceField(label="Intake", choices=Cohort.Intake.choices, widget=forms.RadioSelect)
    start_date = forms.DateField(label="Start date", widget=DateInput())
    end_date = forms.DateField(
        label="End date",
        widget=DateInput(),
        required=False,
        help_text="Leave blank to run for the programme's length.",
    )
    delivery_partner = forms.ModelChoiceField(
        label="Delivery partner (optional)",
        queryset=DeliveryPartner.objects.none(),
        required=False,
        empty_label="None",
    )
    recruitment_target = forms.IntegerField(label="Recruitment target (people)", min_value=0, required=False)
    fsm_target_percent = forms.DecimalField(
        label="Target share from schools with 30% or more pupils on free school meals (%)",
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    non_white_british_target_percent = forms.DecimalField(
        label="Target share from groups other than White British (%)",
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )
    copy_timetable_from = forms.ModelChoiceField(
        label="Timetable",
        queryset=Cohort.objects.none(),
        required=False,
        empty_label="Start with an empty timetable",
        help_text="Copy an earlier cohort's groups and sessions. Each session keeps its weekday and its time.",
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
        label="Copy the timetable of", queryset=Cohort.objects.none(), empty_label="Choose a cohort"
    )

    def __init__(self, *args: object, cohorts: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = cohorts
        self.fields["source"].label_from_instance = _cohort_label


class GroupForm(forms.Form):
    name = forms.CharField(label="Group name", max_length=100, help_text="For example, North.")
    region = forms.CharField(label="Region (optional)", max_length=100, required=False)
    facilitators = forms.ModelMultipleChoiceField(
        label="Facilitators",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Facilitators see this group's sessions in their list and calendar.",
    )

    def __init__(self, *args: object, facilitators: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitators"].queryset = facilitators
        self.fields["facilitators"].label_from_instance = lambda user: user.display_name


class SessionForm(forms.Form):
    component = forms.ModelChoiceField(
        label="Component", queryset=Component.objects.none(), empty_label="Choose a component"
    )
    title = forms.CharField(
        label="Title (optional)",
        max_length=200,
        required=False,
        help_text="For example, the day's topic. Leave blank to use the component's name.",
    )
    day = forms.DateField(label="Date", widget=DateInput())
    start_time = forms.TimeField(
        label="Starts at", widget=TimeInput(), help_text="UK time, for example 09:30."
    )
    end_time = forms.TimeField(label="Ends at", widget=TimeInput(), help_text="UK time, for example 16:00.")
    occurrences = forms.IntegerField(
        label="How many sessions",
        min_value=1,
        max_value=52,
        initial=1,
        help_text="1 for a single session. More to schedule a series at the same time on the same weekday.",
    )
    every_weeks = forms.IntegerField(
        label="For a series: every how many weeks", min_value=1, max_value=8, initial=1
    )
    group = forms.ModelChoiceField(
        label="Delivery group (optional)",
        queryset=DeliveryGroup.objects.none(),
        required=False,
        empty_label="Whole cohort",
    )
    venue = forms.CharField(label="Venue (optional)", max_length=300, required=False)
    online_link = forms.URLField(
        label="Online link (optional)",
        max_length=500,
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter the full web address, for example https://meet.example.org/room."},
    )
    capacity = forms.IntegerField(label="Places (optional)", min_value=1, required=False)
    facilitator = forms.ModelChoiceField(
        label="Facilitator (optional)",
        queryset=User.objects.none(),
        required=False,
        empty_label="Not assigned",
    )
    repeat_of = forms.ModelChoiceField(
        label="Repeat of (optional)",
        queryset=Session.objects.none(),
        required=False,
        empty_label="Not a repeat",
        help_text="A repeat runs the same content again; attending either counts once.",
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

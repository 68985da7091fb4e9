"""Forms for recording online learning. They check shape only; participants.services.learning checks the rules
(and its DomainError lands on the field it names)."""

from django import forms
from django.utils import timezone

from npqel.forms import DateInput
from participants.services.learning import MAX_FILE_BYTES, MAX_ROWS
from programmes.forms.delivery import ThisCenturyDateField, choice_messages, date_messages
from programmes.models import Component


def _day_field(label: str, what: str, help_text: str) -> ThisCenturyDateField:
    return ThisCenturyDateField(
        label=label,
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=help_text,
        error_messages=date_messages(what),
    )


class CourseGridForm(forms.Form):
    """The day given to the tasks newly ticked on a course's grid (the ticks themselves are read by the view)."""

    completed_on = _day_field(
        "Date for the tasks you tick now",
        "the date the newly ticked tasks were done",
        "Today, or the earlier day they were done. Tasks already ticked keep their date.",
    )


class ComponentDoneForm(forms.Form):
    """Record that a participant has done a whole component."""

    component = forms.ModelChoiceField(
        label="Component",
        queryset=Component.objects.none(),
        empty_label="Choose a component",
        error_messages=choice_messages("the component they have done"),
    )
    completed_on = _day_field(
        "Done on", "the day they finished it", "Today, or the earlier day they finished it."
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=300,
        help_text="For example, where the evidence is kept.",
        error_messages={"max_length": "Keep the note to 300 characters or fewer."},
    )

    def __init__(self, *args: object, components: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["component"].queryset = components
        self.fields["component"].label_from_instance = lambda component: (
            f"{component.title} ({component.get_kind_display()})"
        )


class LmsImportForm(forms.Form):
    file = forms.FileField(
        label="Completion export (CSV)",
        help_text=f"With a header row naming email, task reference and completed on. Up to "
        f"{MAX_FILE_BYTES // (1024 * 1024)} MB and {MAX_ROWS:,} rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose the CSV file to import.", "empty": "The file is empty."},
    )

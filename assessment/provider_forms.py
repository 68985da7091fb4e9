"""Forms for the provider's assessment pages. They check shape only; assessment.services checks the rules and
says what to fix. Every field says in plain English what to enter; Django's default messages are never shown.
"""

from django import forms

from assessment.models import AssessmentTask
from assessment.services import ALLOWED_FILE_TYPES, REASON_LENGTH
from npqel.forms import DateInput, TimeInput
from programmes.forms.delivery import (
    ThisCenturyDateField,
    choice_messages,
    date_messages,
    number_messages,
    time_messages,
)

FILE_TYPE_LABELS = {"pdf": "PDF", "docx": "Word (.docx)"}
MOST_WORDS = 100_000


def _reason_field(label: str, help_text: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": required_message,
            "max_length": f"Keep it to {REASON_LENGTH:,} characters.",
        },
    )


class TaskRulesForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Give the task a title."}
    )
    description = forms.CharField(
        label="What participants do (optional)",
        help_text="Shown to participants with the task.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    main_word_limit = forms.IntegerField(
        label="Word limit for the main document",
        min_value=1,
        max_value=MOST_WORDS,
        error_messages=number_messages("the word limit for the main document", 1, MOST_WORDS),
    )
    appendix_word_limit = forms.IntegerField(
        label="Word limit for appendices",
        help_text="0 if participants may not upload appendices.",
        min_value=0,
        max_value=MOST_WORDS,
        error_messages=number_messages("the word limit for appendices", 0, MOST_WORDS),
    )
    file_types = forms.MultipleChoiceField(
        label="File types allowed",
        choices=[(kind, FILE_TYPE_LABELS[kind]) for kind in ALLOWED_FILE_TYPES],
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose PDF, Word (.docx) or both.",
            "invalid_choice": "Choose PDF, Word (.docx) or both.",
        },
    )
    max_file_mb = forms.IntegerField(
        label="Largest file, in MB",
        min_value=1,
        max_value=100,
        error_messages=number_messages("the largest file size in MB", 1, 100),
    )
    window_kind = forms.ChoiceField(
        label="When participants submit",
        choices=AssessmentTask.WindowKind.choices,
        widget=forms.RadioSelect,
        error_messages=choice_messages("when participants submit"),
    )
    window_days = forms.IntegerField(
        label="Length of a fixed window, in days",
        help_text="Counting the first and last days. Not used for a window participants choose.",
        min_value=1,
        max_value=366,
        error_messages=number_messages("the length of the window in days", 1, 366),
    )
    deadline_time = forms.TimeField(
        label="Deadline time on the last day (UK time)",
        help_text="Submissions are on time up to the end of this minute: 23:59 means up to 23:59:59.",
        widget=TimeInput(),
        error_messages=time_messages("the deadline time"),
    )
    attempts_allowed = forms.IntegerField(
        label="Attempts allowed",
        min_value=1,
        max_value=5,
        error_messages=number_messages("the number of attempts", 1, 5),
    )
    eligibility_required = forms.BooleanField(
        label="Only participants who meet the engagement requirement may submit",
        help_text="A provider admin can record an exception for someone who does not.",
        required=False,
    )

    @classmethod
    def initial_for(cls, task: AssessmentTask) -> dict[str, object]:
        initial = {name: getattr(task, name) for name in cls.base_fields}
        # As the time input shows it (hours and minutes), not "23:59:00".
        initial["deadline_time"] = f"{task.deadline_time:%H:%M}"
        return initial


class WindowForm(forms.Form):
    # Years the timetable works in: a window opening in 9999 would end past the last date Python can hold.
    opens_on = ThisCenturyDateField(
        label="First day of the window",
        help_text="It opens at 00:00 UK time on this day.",
        widget=DateInput(),
        error_messages=date_messages("the first day of the window"),
    )
    case_study_title = forms.CharField(label="Case study title", max_length=200, required=False)
    case_study = forms.CharField(
        label="Case study: the brief and its questions",
        help_text="Usually 2,000 words or more. Participants see it only once the window opens.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 20}),
    )

    def __init__(self, *args: object, fixed: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not fixed:
            # A window the participant chooses has no case study of its own.
            del self.fields["case_study_title"]
            del self.fields["case_study"]


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("grant", "Grant more time"), ("refuse", "Refuse")],
        widget=forms.RadioSelect,
        error_messages=choice_messages("whether to grant or refuse the request"),
    )
    new_deadline = forms.DateField(
        label="New last day (if you grant it)",
        help_text="Prefilled with the day they asked for. Their deadline is the task's deadline time on this day.",
        required=False,
        widget=DateInput(),
        error_messages=date_messages("the new last day"),
    )
    note = _reason_field(
        "Note to the participant",
        "Needed if you refuse: say why. Optional if you grant.",
        "Say why you are refusing.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = False


class ExceptionForm(forms.Form):
    reason = _reason_field(
        "Why they may submit",
        "For example the circumstances that kept them from sessions. Kept on their record.",
        "Say why they may submit without meeting the engagement requirement.",
    )

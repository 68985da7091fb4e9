"""Forms for logging self-directed learning and coaching, and for rating sessions and the programme. They
check shape only; participants.services.logs and .feedback check the rules (and say what to fix)."""

from django import forms

from npqel.forms import DateInput
from participants.services.feedback import COMMENT_LENGTH
from participants.services.logs import ACTIVITY_LENGTH, FOCUS_LENGTH, MOST_MINUTES
from programmes.forms.delivery import choice_messages, date_messages, number_messages
from programmes.models import Component

RATING_LABELS = {0: "0 – not at all good", 5: "5 – neither good nor poor", 10: "10 – excellent"}


class _ComponentChoice(forms.Form):
    """A component to choose, asked only when there are several (with one, it is chosen for the person)."""

    component = forms.ChoiceField(
        label="Which part of the programme", error_messages=choice_messages("which part")
    )

    def __init__(self, *args: object, components: list[Component], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.components = {str(c.pk): c for c in components}
        field = self.fields["component"]
        field.choices = [(pk, c.title) for pk, c in self.components.items()]
        if len(components) <= 1:
            field.required = False
            field.widget = forms.HiddenInput()

    def chosen_component(self) -> Component | None:
        """The component chosen, or the only one there is (None when there is none)."""
        if len(self.components) == 1:
            return next(iter(self.components.values()))
        return self.components.get(self.cleaned_data.get("component") or "")


class LearningLogForm(_ComponentChoice):
    done_on = forms.DateField(
        label="The day you did it", widget=DateInput(), error_messages=date_messages("the day you did it")
    )
    # Text: the service reads the number and says what to fix (0.5 to 24, one decimal place).
    hours = forms.CharField(
        label="Hours",
        help_text="From 0.5 to 24, to one decimal place. For example, 1.5 for an hour and a half.",
        max_length=10,
        error_messages={"required": "Enter how many hours, for example 1.5."},
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    activity = forms.CharField(
        label="What you did",
        help_text="For example, “Read the case study on leading a trust through change”.",
        max_length=ACTIVITY_LENGTH,
        error_messages={
            "required": "Describe what you did.",
            "max_length": f"Describe what you did in {ACTIVITY_LENGTH} characters or fewer.",
        },
    )

    field_order = ["component", "done_on", "hours", "activity"]


class CoachingSessionForm(_ComponentChoice):
    held_on = forms.DateField(
        label="The day of the session",
        widget=DateInput(),
        error_messages=date_messages("the day of the session"),
    )
    minutes = forms.IntegerField(
        label="How long it lasted, in minutes",
        help_text="For example, 60 for an hour.",
        min_value=1,
        max_value=MOST_MINUTES,
        error_messages=number_messages("how long it lasted, in minutes", 1, MOST_MINUTES),
    )
    focus = forms.CharField(
        label="What it focused on",
        max_length=FOCUS_LENGTH,
        error_messages={
            "required": "Enter what the session focused on.",
            "max_length": f"Enter the focus in {FOCUS_LENGTH} characters or fewer.",
        },
    )

    field_order = ["component", "held_on", "minutes", "focus"]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How would you rate it, from 0 to 10?",
        help_text="0 is not at all good and 10 is excellent.",
        choices=[(str(n), RATING_LABELS.get(n, str(n))) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages=choice_messages("a rating from 0 to 10"),
    )
    comment = forms.CharField(
        label="Anything you would like to say (optional)",
        help_text="Your facilitator sees comments together with everyone else's, without your name.",
        required=False,
        max_length=COMMENT_LENGTH,
        widget=forms.Textarea,
        error_messages={"max_length": f"Write your comment in {COMMENT_LENGTH} characters or fewer."},
    )

"""Forms for designing a programme: its details and rules, content framework, components and online courses.

They check the shape of what was typed and say in plain English what to fix; the services check the rules.
Forms that share a page get their own `id_prefix`, so every input on that page has its own id.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from npqel.forms import DateInput
from programmes.models import Component, LearningStatement, Programme
from programmes.wording import plain_number

MAX_MONTHS = 240
MAX_POUNDS = Decimal("999999.99")

INSTALMENT_SHAPE = "Line {n}: write the months after the start, a comma, then the amount, e.g. 5, 2000"


def _pounds_text(value: str) -> str:
    """What someone typed as money, without the pound sign, thousands separators and spaces."""
    return value.replace("£", "").replace(",", "").replace(" ", "").strip()


class DesignForm(forms.Form):
    """A form whose inputs' ids start with `id_prefix`, so several forms can share one page."""

    id_prefix = ""

    def __init__(self, *args: Any, id_prefix: str | None = None, **kwargs: Any) -> None:
        prefix = self.id_prefix if id_prefix is None else id_prefix
        if prefix:
            kwargs.setdefault("auto_id", f"{prefix}-%s")
        super().__init__(*args, **kwargs)


class PoundsField(forms.DecimalField):
    """An amount of money in pounds; accepts “£1,800” as well as “1800”."""

    def __init__(self, *, label: str, what: str, **kwargs: Any) -> None:
        message = f"Enter {what} in pounds, for example 1800 or 1800.50."
        super().__init__(
            label=label,
            max_digits=8,
            decimal_places=2,
            widget=forms.TextInput(),
            error_messages={
                "required": f"Enter {what}.",
                "invalid": message,
                "max_digits": f"Enter {what} of £{MAX_POUNDS:,.2f} or less.",
                "max_whole_digits": f"Enter {what} of £{MAX_POUNDS:,.2f} or less.",
                "max_decimal_places": f"Enter {what} in pounds and pence, with at most 2 digits after the point.",
            },
            **kwargs,
        )

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = _pounds_text(value)
        return super().to_python(value)


class PercentField(forms.DecimalField):
    """A percentage; accepts “90%” as well as “90”."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = value.replace("%", "").strip()
        return super().to_python(value)


def months_field(*, label: str, help_text: str = "", what: str = "months") -> forms.IntegerField:
    message = f"Enter the {what} as a whole number of months, 1 or more, for example 18."
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=1,
        max_value=MAX_MONTHS,
        widget=forms.TextInput(),
        error_messages={
            "required": f"Enter the {what} in months.",
            "invalid": message,
            "min_value": message,
            "max_value": f"Enter {MAX_MONTHS} months or fewer.",
        },
    )


# Programmes and their rules -------------------------------------------------------------------------


class ProgrammeForm(DesignForm):
    name = forms.CharField(
        label="Programme name",
        max_length=200,
        help_text="As you publish it, for example NPQEL (Outstanding Leaders Partnership).",
        error_messages={"required": "Enter the programme's name, as you publish it."},
    )
    code = forms.SlugField(
        label="Short code",
        max_length=50,
        help_text="No spaces, for example npqel or npqel-2021. Each of your programmes needs its own code.",
        error_messages={
            "required": "Enter a short code for the programme, for example npqel.",
            "invalid": "Use only letters, numbers and hyphens in the code, for example npqel-2021.",
        },
    )
    framework = forms.ChoiceField(
        label="Framework",
        choices=Programme.Framework.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the framework the programme follows.",
            "invalid_choice": "Choose the framework the programme follows from the list.",
        },
    )
    duration_months = months_field(
        label="Length of the programme (months)", help_text="For example, 18.", what="programme's length"
    )
    engagement_threshold = PercentField(
        label="Engagement threshold (%)",
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(),
        help_text="The share of the components that count which a participant must engage with, for example 90.",
        error_messages={
            key: "Enter the engagement threshold as a percentage from 0 to 100, for example 90."
            for key in ("required", "invalid", "max_digits", "max_whole_digits", "max_decimal_places")
        },
    )
    engagement_comparison = forms.ChoiceField(
        label="How the threshold applies",
        choices=[
            (Programme.Comparison.AT_LEAST.value, "At least the threshold (for example, at least 90%)"),
            (Programme.Comparison.MORE_THAN.value, "More than the threshold (for example, more than 90%)"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            key: "Choose whether participants need at least, or more than, the threshold."
            for key in ("required", "invalid_choice")
        },
    )
    engagement_kinds = forms.MultipleChoiceField(
        label="Kinds of component that count toward engagement",
        choices=Component.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            key: "Choose the kinds of component from the list." for key in ("invalid_choice", "invalid_list")
        },
        help_text="A new component of one of these kinds counts toward engagement unless you say otherwise "
        "when you add it. Changing this list does not change components you have already added.",
    )
    deadline_months = months_field(
        label="Deadline to present for final assessment (months after starting)",
        help_text="For example, 18. On the rules page you can give a longer deadline to people who start "
        "on or after a date.",
        what="deadline",
    )
    deferral_pauses_clock = forms.BooleanField(
        label="Deferral pauses the clock: time spent deferred does not count toward the deadline",
        required=False,
    )
    at_risk_margin = PercentField(
        label="Early warning: engagement so far lagging the threshold by more than (percentage points)",
        required=False,
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(),
        help_text="For example, 10 (left blank: 10). With a 90% threshold, someone below 80% so far is "
        "flagged as at risk. Anyone who can no longer reach the threshold is always flagged.",
        error_messages={
            key: "Enter the early-warning margin as a number of percentage points from 0 to 100, for example 10."
            for key in ("required", "invalid", "max_digits", "max_whole_digits", "max_decimal_places")
        },
    )
    at_risk_deadline_days = forms.IntegerField(
        label="Early warning: days before the deadline with nothing submitted",
        required=False,
        min_value=1,
        max_value=730,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text="For example, 90 (left blank: 90): a place with nothing submitted 90 days before its "
        "deadline is flagged.",
        error_messages={
            key: "Enter a number of days from 1 to 730, for example 90."
            for key in ("required", "invalid", "min_value", "max_value")
        },
    )
    fee_notes = forms.CharField(
        label="Notes about fees (optional)",
        widget=forms.Textarea,
        required=False,
        help_text="For example, fees are non-refundable once enrolment is confirmed.",
    )

    def __init__(self, *args: Any, programme: Programme | None = None, **kwargs: Any) -> None:
        if programme is not None:
            kwargs.setdefault("initial", {name: getattr(programme, name) for name in self.base_fields})
            kwargs["initial"]["engagement_threshold"] = plain_number(programme.engagement_threshold)
            kwargs["initial"]["at_risk_margin"] = plain_number(programme.at_risk_margin)
        else:
            kwargs.setdefault(
                "initial",
                {
                    "duration_months": 18,
                    "deadline_months": 18,
                    "engagement_threshold": "90",
                    "engagement_comparison": Programme.Comparison.AT_LEAST.value,
                    "at_risk_margin": "10",
                    "at_risk_deadline_days": 90,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_at_risk_margin(self) -> Decimal:
        """Left blank: the usual 10 points."""
        value = self.cleaned_data.get("at_risk_margin")
        return Programme._meta.get_field("at_risk_margin").default if value is None else value

    def clean_at_risk_deadline_days(self) -> int:
        """Left blank: the usual 90 days."""
        value = self.cleaned_data.get("at_risk_deadline_days")
        return Programme._meta.get_field("at_risk_deadline_days").default if value is None else value


class ExtensionForm(DesignForm):
    id_prefix = "extension"

    applies_from = forms.DateField(
        label="For participants who start on or after",
        widget=DateInput(),
        error_messages={
            "required": "Enter the first start date the longer deadline applies to.",
            "invalid": "Enter a real date, for example 2018-07-01 for 1 July 2018.",
        },
    )
    months = months_field(
        label="Their deadline (months after starting)", help_text="For example, 24.", what="deadline"
    )
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=200,
        required=False,
        help_text="For example, the COVID-19 extension.",
    )


class FeeOptionForm(DesignForm):
    id_prefix = "fee"

    name = forms.CharField(
        label="Name of the fee",
        max_length=200,
        help_text="For example, With executive coaching.",
        error_messages={"required": "Enter a name for the fee, for example With executive coaching."},
    )
    amount = PoundsField(label="Fee (£)", what="the fee", help_text="For example, 4800.")
    plus_vat = forms.BooleanField(label="VAT is added to this fee", required=False)
    instalments = forms.CharField(
        label="Instalment plan (optional)",
        widget=forms.Textarea,
        required=False,
        help_text="One instalment a line: the months after the start, a comma, then the amount. For example:"
        "<br>0, 1800<br>5, 2000<br>11, 1000<br>The instalments must add up to the fee. Leave blank if you do "
        "not set a plan.",
    )

    def clean_instalments(self) -> list[tuple[int, Decimal]]:
        return parse_instalments(self.cleaned_data["instalments"])


def parse_instalments(text: str) -> list[tuple[int, Decimal]]:
    """Read an instalment plan typed one instalment a line as "months after start, amount"."""
    plan: list[tuple[int, Decimal]] = []
    problems: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        months_text, comma, amount_text = line.partition(",")
        if not comma or not months_text.strip() or not amount_text.strip():
            problems.append(INSTALMENT_SHAPE.format(n=n))
            continue
        try:
            months = int(months_text.strip())
        except ValueError:
            problems.append(INSTALMENT_SHAPE.format(n=n))
            continue
        if not 0 <= months <= MAX_MONTHS:
            problems.append(
                f"Line {n}: the months after the start must be a whole number from 0 to {MAX_MONTHS}, e.g. 5, 2000"
            )
            continue
        try:
            amount = Decimal(_pounds_text(amount_text))
        except InvalidOperation:
            problems.append(f"Line {n}: write the amount in pounds after the comma, e.g. 5, 2000")
            continue
        if not amount.is_finite() or amount <= 0 or amount > MAX_POUNDS:
            problems.append(f"Line {n}: each instalment must be more than £0 and at most £{MAX_POUNDS:,.2f}")
            continue
        if amount != amount.quantize(Decimal("0.01")):
            problems.append(
                f"Line {n}: write the amount in pounds and pence, with at most 2 digits after the point"
            )
            continue
        plan.append((months, amount))
    if problems:
        raise ValidationError(problems)
    return plan


class PlacementOptionForm(DesignForm):
    id_prefix = "placement"

    name = forms.CharField(
        label="Where the placement is",
        max_length=200,
        help_text="For example, USA, or UK placement.",
        error_messages={"required": "Enter where the placement is, for example USA."},
    )
    cost_from = PoundsField(
        label="Extra cost from (£, optional)", what="the lowest extra cost", required=False
    )
    cost_to = PoundsField(
        label="Extra cost up to (£, optional)",
        what="the highest extra cost",
        required=False,
        help_text="Leave both costs blank if the placement is included in the fee. Give one cost if it is fixed.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("cost_from"), data.get("cost_to")
        if "cost_from" in data and "cost_to" in data:
            data["cost_from"] = low if low is not None else (high if high is not None else Decimal(0))
            data["cost_to"] = high if high is not None else data["cost_from"]
        return data


# Content framework ----------------------------------------------------------------------------------


class ContentAreaForm(DesignForm):
    id_prefix = "area"

    title = forms.CharField(label="Name", max_length=200)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        singular = "area of study" if programme.framework == Programme.Framework.REFORMED else "content area"
        self.fields["title"].label = f"Name of the {singular}"
        self.fields["title"].error_messages["required"] = f"Enter the name of the {singular}."


class StatementForm(DesignForm):
    kind = forms.ChoiceField(
        label="Kind of statement",
        choices=[
            (LearningStatement.Kind.LEARN_THAT.value, "Learn that… (what the evidence says)"),
            (LearningStatement.Kind.LEARN_HOW.value, "Learn how to… (what to practise)"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            key: "Choose whether it is a “learn that” or a “learn how to” statement."
            for key in ("required", "invalid_choice")
        },
    )
    text = forms.CharField(
        label="Statement",
        widget=forms.Textarea,
        error_messages={"required": "Write the statement."},
    )


class BehaviourForm(DesignForm):
    id_prefix = "behaviour"

    title = forms.CharField(
        label="Leadership behaviour",
        max_length=200,
        help_text="For example, Resilience.",
        error_messages={"required": "Enter the name of the behaviour, for example Resilience."},
    )
    description = forms.CharField(label="What it means (optional)", widget=forms.Textarea, required=False)


# Components, online courses, modules and tasks ------------------------------------------------------

COUNTS_CHOICES = {
    "programme": "As the programme's rule says for this kind of component",
    "yes": "Yes, it counts toward engagement",
    "no": "No, it does not count",
}


class ComponentForm(DesignForm):
    kind = forms.ChoiceField(
        label="Kind of component",
        choices=[("", "Choose a kind"), *Component.Kind.choices],
        error_messages={
            "required": "Choose what kind of component this is.",
            "invalid_choice": "Choose what kind of component this is from the list.",
        },
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="As participants see it, for example Residential 1 (days 1 and 2).",
        error_messages={"required": "Enter the component's title."},
    )
    description = forms.CharField(label="Description (optional)", widget=forms.Textarea, required=False)
    guided_learning_hours = forms.DecimalField(
        label="Guided learning hours (optional)",
        max_digits=5,
        decimal_places=1,
        required=False,
        widget=forms.TextInput(),
        help_text="For example, 16 or 7.5. Leave blank if you do not publish hours for this component.",
        error_messages={
            "invalid": "Enter the hours as a number, for example 16 or 7.5, or leave it blank.",
            "max_digits": "Enter fewer than 10,000 hours.",
            "max_whole_digits": "Enter fewer than 10,000 hours.",
            "max_decimal_places": "Enter the hours to at most one decimal place, for example 7.5.",
        },
    )
    mode = forms.ChoiceField(
        label="How it is delivered",
        choices=[
            (Component.Mode.IN_PERSON.value, "In person"),
            (Component.Mode.ONLINE_LIVE.value, "Online, live (for example a webinar or coaching call)"),
            (Component.Mode.SELF_DIRECTED.value, "Self-directed (in the participant's own time)"),
        ],
        widget=forms.RadioSelect,
        error_messages={
            key: "Choose how the component is delivered." for key in ("required", "invalid_choice")
        },
    )
    counts_toward_engagement = forms.ChoiceField(
        label="Does it count toward engagement?",
        widget=forms.RadioSelect,
        error_messages={
            key: "Choose whether the component counts toward engagement."
            for key in ("required", "invalid_choice")
        },
    )
    required = forms.BooleanField(label="Every participant must take part in it", required=False)
    content_areas = forms.ModelMultipleChoiceField(
        label="Content areas it covers (optional)",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            key: "Choose content areas of this programme from the list."
            for key in ("invalid_choice", "invalid_pk_value", "invalid_list")
        },
    )

    def __init__(
        self, *args: Any, programme: Programme, areas: Any, component: Component | None = None, **kwargs: Any
    ) -> None:
        if component is None:
            kwargs.setdefault("initial", {"counts_toward_engagement": "programme", "required": True})
            counts = list(COUNTS_CHOICES.items())
        else:
            kwargs.setdefault(
                "initial",
                {
                    **{
                        name: getattr(component, name)
                        for name in ("kind", "title", "description", "mode", "required")
                    },
                    "guided_learning_hours": None
                    if component.guided_learning_hours is None
                    else plain_number(component.guided_learning_hours),
                    "counts_toward_engagement": "yes" if component.counts_toward_engagement else "no",
                    "content_areas": [area.pk for area in component.content_areas.all()],
                },
            )
            counts = [(key, label) for key, label in COUNTS_CHOICES.items() if key != "programme"]
        super().__init__(*args, **kwargs)
        self.fields["counts_toward_engagement"].choices = counts
        if component is None:
            kinds = [
                Component.Kind(kind).label for kind in programme.engagement_kinds if kind in Component.Kind
            ]
            self.fields["counts_toward_engagement"].help_text = (
                f"The programme counts these kinds: {', '.join(kinds)}."
                if kinds
                else "The programme's rule counts no kind of component, so choose Yes if this one counts."
            )
        areas_field = self.fields["content_areas"]
        areas_field.queryset = areas
        areas_field.label = f"{programme.content_area_label} it covers (optional)"

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as the component services take it (None: follow the programme's rule)."""
        data = dict(self.cleaned_data)
        data["counts_toward_engagement"] = {"programme": None, "yes": True, "no": False}[
            data["counts_toward_engagement"]
        ]
        return data


class ModuleForm(DesignForm):
    id_prefix = "module"

    title = forms.CharField(
        label="Module title",
        max_length=200,
        help_text="For example, Setting direction.",
        error_messages={"required": "Enter the module's title."},
    )


class TaskForm(DesignForm):
    title = forms.CharField(
        label="Task title", max_length=200, error_messages={"required": "Enter the task's title."}
    )
    reference = forms.CharField(
        label="Reference in your learning platform (optional)",
        max_length=100,
        required=False,
        help_text="As your learning platform's completion export writes it, for example SI-1.2. Imported "
        "completions are matched by this reference, or by the task's exact title.",
    )
    core = forms.BooleanField(
        label="Core task: participants must complete it to count as engaged (untick for an optional task)",
        required=False,
        initial=True,
    )

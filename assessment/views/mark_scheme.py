"""A task's mark scheme (issue 7): the page showing its criteria, failure-level omissions, pass mark and band,
second marking, review and resubmission days and guidance; and the provider admin's forms to set up the
standard scheme and change it. Platform staff look; only the provider's admins change anything, and once
scripts are marked only what does not decide outcomes (assessment/mark_schemes.py).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.boundfield import BoundWidget
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from assessment import mark_schemes
from assessment.marking import mark_scheme_create_default
from assessment.models import AssessmentTask, Criterion, MarkScheme
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.forms import add_domain_error
from programmes.forms.delivery import number_messages
from programmes.models import LearningStatement

MOST_PASS_MARK = 1000


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so its fields say what is missing), else None."""
    return request.POST if request.method == "POST" else None


# Forms: shape only; assessment/mark_schemes.py checks the rules and says what to fix -------------------------


class SettingsForm(forms.Form):
    pass_mark = forms.IntegerField(
        label="Pass mark",
        help_text="The total a script needs to pass, before the borderline band is applied.",
        min_value=1,
        max_value=MOST_PASS_MARK,
        error_messages=number_messages("the pass mark", 1, MOST_PASS_MARK),
    )
    borderline_margin = forms.IntegerField(
        label="Borderline margin",
        help_text="How far the borderline band reaches either side of the pass mark: with a pass mark of 20 "
        "and a margin of 2, 18 to 21 is borderline. 0 for no borderline band.",
        min_value=0,
        max_value=MOST_PASS_MARK,
        error_messages=number_messages("the borderline margin", 0, MOST_PASS_MARK),
    )
    second_marking_pass_percent = forms.IntegerField(
        label="Share of passes second-marked, as a percentage",
        help_text="Every fail and borderline script is second-marked; this share of passes is picked at random.",
        min_value=0,
        max_value=100,
        error_messages=number_messages("the share of passes second-marked", 0, 100),
    )
    review_days = forms.IntegerField(
        label="Days to ask for a review",
        help_text="Counted from when a participant's result is released. A change applies to results "
        "already released too.",
        min_value=1,
        max_value=mark_schemes.MOST_REVIEW_DAYS,
        error_messages=number_messages("the days to ask for a review", 1, mark_schemes.MOST_REVIEW_DAYS),
    )
    marking_days = forms.IntegerField(
        label="Days to mark a script",
        help_text="The due date a second or lead marking gets when it goes to an assessor, and the one offered "
        "when you allocate scripts.",
        required=False,  # left empty: unchanged
        min_value=1,
        max_value=mark_schemes.MOST_MARKING_DAYS,
        error_messages=number_messages("the days to mark a script", 1, mark_schemes.MOST_MARKING_DAYS),
    )
    resubmission_days = forms.IntegerField(
        label="Days to resubmit after a fail",
        help_text="Only for a task that allows more than one attempt. Counted from the day the result is "
        "released; a change applies to results released from now on.",
        min_value=1,
        max_value=mark_schemes.MOST_RESUBMISSION_DAYS,
        error_messages=number_messages(
            "the days to resubmit after a fail", 1, mark_schemes.MOST_RESUBMISSION_DAYS
        ),
    )
    guidance = forms.CharField(
        label="Guidance for assessors (optional)",
        help_text="Shown to assessors beside every script of this task.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: object, locked: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if locked:
            # Scripts are marked: the page shows these as they are instead of offering a change.
            del self.fields["pass_mark"]
            del self.fields["borderline_margin"]

    @staticmethod
    def initial_for(scheme: MarkScheme) -> dict[str, object]:
        return {name: getattr(scheme, name) for name in SettingsForm.base_fields}


class CriterionForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=mark_schemes.TITLE_LENGTH,
        error_messages={
            "required": "Give the criterion a title.",
            "max_length": f"Keep the title to {mark_schemes.TITLE_LENGTH} characters.",
        },
    )
    descriptors = forms.CharField(
        label="Descriptors",
        help_text="What each band of marks looks like, for example “0–3: lists issues without priority.”",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Say what each band of marks looks like in the descriptors."},
    )
    min_mark = forms.IntegerField(
        label="Lowest mark",
        min_value=0,
        max_value=mark_schemes.MOST_MARKS_PER_CRITERION,
        error_messages=number_messages("the lowest mark", 0, mark_schemes.MOST_MARKS_PER_CRITERION),
    )
    max_mark = forms.IntegerField(
        label="Highest mark",
        min_value=1,
        max_value=mark_schemes.MOST_MARKS_PER_CRITERION,
        error_messages=number_messages("the highest mark", 1, mark_schemes.MOST_MARKS_PER_CRITERION),
    )
    statements = forms.MultipleChoiceField(
        label="Content statements this criterion assesses (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose content statements of this programme from the list."},
    )

    def __init__(self, *args: object, statements: list[LearningStatement], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.statement_list = statements
        self.fields["statements"].choices = [(str(s.pk), str(s)) for s in statements]  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(criterion: Criterion) -> dict[str, object]:
        return {
            "title": criterion.title,
            "descriptors": criterion.descriptors,
            "min_mark": criterion.min_mark,
            "max_mark": criterion.max_mark,
            "statements": [str(pk) for pk in criterion.statements.values_list("pk", flat=True)],
        }

    def statement_groups(self) -> list[tuple[str, list[BoundWidget]]]:
        """The statement checkboxes under the title of their area, in the areas' order."""
        area_of = {str(s.pk): s.area for s in self.statement_list}
        groups: dict[int, tuple[str, list[BoundWidget]]] = {}
        for box in self["statements"]:
            area = area_of[str(box.data["value"])]
            groups.setdefault(area.pk, (area.title, []))[1].append(box)
        return list(groups.values())

    def service_arguments(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "descriptors": data["descriptors"],
            "min_mark": data["min_mark"],
            "max_mark": data["max_mark"],
            "statement_ids": [int(pk) for pk in data["statements"]],
        }


class OmissionForm(forms.Form):
    text = forms.CharField(
        label="What a script must not leave out",
        help_text="For example “The stages of implementation”. A script that leaves it out fails, whatever its "
        "marks.",
        max_length=mark_schemes.OMISSION_LENGTH,
        error_messages={
            "required": "Say what a script must not leave out, for example “The stages of implementation”.",
            "max_length": f"Keep it to {mark_schemes.OMISSION_LENGTH} characters.",
        },
    )


# The page -------------------------------------------------------------------------------------------------


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The task's mark scheme in full; or, before it has one, the button to set up the standard scheme."""
    task = mark_schemes.task_for_mark_scheme(user=request.user, pk=pk)
    scheme = mark_schemes.scheme_of_task(task)
    return render(
        request,
        "assessment/mark_scheme/detail.html",
        {
            "task": task,
            "programme": task.scheme.programme,
            "view": mark_schemes.scheme_view(scheme=scheme) if scheme else None,
            "can_manage": access_for(request.user).may(
                Action.MANAGE_ASSESSMENT, task.scheme.programme.provider_id
            ),
        },
    )


@login_required
@require_POST
def create(request: HttpRequest, pk: int) -> HttpResponse:
    """Set up the standard mark scheme of the task's kind (nothing changes if it has one)."""
    task = mark_schemes.task_for_mark_scheme(user=request.user, pk=pk, action=Action.MANAGE_ASSESSMENT)
    if mark_schemes.scheme_of_task(task) is not None:
        messages.success(request, f"{task.title} already has a mark scheme: nothing has changed.")
    else:
        scheme = mark_scheme_create_default(by=request.user, task=task)
        messages.success(
            request,
            f"The standard mark scheme of {task.title} is set up with "
            f"{mark_schemes.criteria_words(scheme.criteria.count())}. Check it below and change anything your "
            "provider does differently before marking starts.",
        )
    return redirect("mark_scheme", pk=task.pk)


def _back(task: AssessmentTask) -> HttpResponse:
    return redirect("mark_scheme", pk=task.pk)


# The settings ---------------------------------------------------------------------------------------------


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the pass mark, the borderline margin (until scripts are marked), the share of passes
    second-marked, the days for reviews and resubmissions, and the guidance for assessors."""
    scheme = mark_schemes.scheme_for_change(user=request.user, pk=pk)
    task = scheme.task
    locked = mark_schemes.marking_started(task_id=task.pk)
    form = SettingsForm(_posted(request), initial=SettingsForm.initial_for(scheme), locked=locked)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mark_schemes.mark_scheme_update(
                by=request.user,
                scheme=scheme,
                pass_mark=data.get("pass_mark", scheme.pass_mark),
                borderline_margin=data.get("borderline_margin", scheme.borderline_margin),
                second_marking_pass_percent=data["second_marking_pass_percent"],
                review_days=data["review_days"],
                resubmission_days=data["resubmission_days"],
                marking_days=data.get("marking_days"),
                guidance=data["guidance"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"The mark scheme of {task.title} is saved.")
            return _back(task)
    return render(
        request,
        "assessment/mark_scheme/settings_form.html",
        {
            "form": form,
            "task": task,
            "programme": task.scheme.programme,
            "scheme": scheme,
            "locked": locked,
            "band": mark_schemes.band_words(scheme.pass_mark, scheme.borderline_margin),
        },
    )


# Criteria -------------------------------------------------------------------------------------------------


def _criterion_page(request: HttpRequest, *, scheme: MarkScheme, criterion: Criterion | None) -> HttpResponse:
    task = scheme.task
    if mark_schemes.marking_started(task_id=task.pk):
        messages.error(request, mark_schemes.LOCKED.format(what="its criteria"))
        return _back(task)
    statements = mark_schemes.statement_choices(programme_id=task.scheme.programme_id)
    initial = CriterionForm.initial_for(criterion) if criterion else {"min_mark": 0}
    form = CriterionForm(_posted(request), initial=initial, statements=statements)
    if request.method == "POST" and form.is_valid():
        try:
            saved = mark_schemes.criterion_save(
                by=request.user, scheme=scheme, criterion=criterion, **form.service_arguments()
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            done = "saved" if criterion else "added"
            messages.success(request, f"Criterion {saved.number}, “{saved.title}”, is {done}.")
            return _back(task)
    return render(
        request,
        "assessment/mark_scheme/criterion_form.html",
        {
            "form": form,
            "task": task,
            "programme": task.scheme.programme,
            "criterion": criterion,
        },
    )


@login_required
def criterion_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a criterion: its title, descriptors, mark range and the content statements it assesses."""
    scheme = mark_schemes.scheme_for_change(user=request.user, pk=pk)
    return _criterion_page(request, scheme=scheme, criterion=None)


@login_required
def criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a criterion (until scripts are marked); the page also offers to remove it."""
    criterion = mark_schemes.criterion_for_change(user=request.user, pk=pk)
    return _criterion_page(request, scheme=criterion.scheme, criterion=criterion)


@login_required
@require_POST
def criterion_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a criterion (until scripts are marked); the others are numbered on from 1."""
    criterion = mark_schemes.criterion_for_change(user=request.user, pk=pk)
    task = criterion.scheme.task
    try:
        mark_schemes.criterion_remove(by=request.user, criterion=criterion)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{criterion.title}” is removed from the mark scheme.")
    return _back(task)


# Failure-level omissions ----------------------------------------------------------------------------------


@login_required
def omission_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a failure-level omission (until scripts are marked)."""
    scheme = mark_schemes.scheme_for_change(user=request.user, pk=pk)
    task = scheme.task
    if mark_schemes.marking_started(task_id=task.pk):
        messages.error(request, mark_schemes.LOCKED.format(what="its failure-level omissions"))
        return _back(task)
    form = OmissionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            omission = mark_schemes.omission_add(
                by=request.user, scheme=scheme, text=form.cleaned_data["text"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"“{omission.text}” is a failure-level omission: a script that leaves it out fails."
            )
            return _back(task)
    return render(
        request,
        "assessment/mark_scheme/omission_form.html",
        {"form": form, "task": task, "programme": task.scheme.programme},
    )


@login_required
@require_POST
def omission_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a failure-level omission (until scripts are marked)."""
    omission = mark_schemes.omission_for_change(user=request.user, pk=pk)
    task = omission.scheme.task
    try:
        mark_schemes.omission_remove(by=request.user, omission=omission)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{omission.text}” is no longer a failure-level omission.")
    return _back(task)

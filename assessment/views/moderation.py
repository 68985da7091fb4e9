"""Moderation pages (issue 7).

- The provider's samples, with a form to draw one, and each sample's scripts and verdicts (by candidate number);
  the marking-quality page. Provider admins draw (Action.MANAGE_ASSESSMENT); platform staff look
  (Action.VIEW_SUBMISSIONS).
- For moderators (cross-provider, anonymous marking): every sample with scripts waiting for a verdict, and one
  script's markings with the verdict form. Never a participant's name, school or email, nor the name they gave
  their file.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from assessment import moderation
from assessment.models import ModerationItem, Result
from assessment.provider_selectors import provider_for_assessment
from npqel.access import Action, access_for
from npqel.errors import DomainError
from npqel.forms import DateInput, add_domain_error
from npqel.words import plural
from programmes.forms.delivery import ThisCenturyDateField, choice_messages, date_messages, number_messages

# Forms --------------------------------------------------------------------------------------------------


class DrawForm(forms.Form):
    label = forms.CharField(
        label="Name of the sample",
        help_text="For example, “Spring 2026 results”.",
        max_length=moderation.LABEL_LONGEST,
        error_messages={
            "required": "Give the sample a name, for example “Spring 2026 results”.",
            "max_length": f"Keep the name to {moderation.LABEL_LONGEST} characters.",
        },
    )
    # Years the timetable works in: the day after 31 December 9999 cannot be worked out.
    period_start = ThisCenturyDateField(
        label="Results decided from", widget=DateInput, error_messages=date_messages("the first day")
    )
    period_end = ThisCenturyDateField(
        label="Results decided up to and including",
        widget=DateInput,
        error_messages=date_messages("the last day"),
    )
    rate_percent = forms.IntegerField(
        label="Share of the scripts to moderate, in percent",
        help_text="Every borderline script and at least one script of every first assessor are moderated "
        "whatever the share; the rest are picked at random.",
        min_value=1,
        max_value=100,
        initial=10,
        error_messages=number_messages("the share to moderate", 1, 100),
    )


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Do you agree with the outcome?",
        choices=[
            (ModerationItem.Verdict.AGREE, "I agree with the outcome"),
            (ModerationItem.Verdict.DISAGREE, "I disagree"),
        ],
        widget=forms.RadioSelect,
        error_messages=choice_messages("whether you agree with the outcome"),
    )
    moderator_outcome = forms.ChoiceField(
        label="If you disagree: the outcome you would give",
        choices=Result.Outcome.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages=choice_messages("the outcome you would give"),
    )
    rationale = forms.CharField(
        label="Why",
        help_text=f"Needed if you disagree: at least a sentence ({moderation.RATIONALE_LEAST} characters or "
        "more). The provider and the assessors read it.",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": "Keep it to 5,000 characters."},
    )
    feedback = forms.CharField(
        label="If you change a pass to a fail: feedback for the participant",
        help_text="They read it in place of the pass summary: what the script does well and what it must do "
        "better (at least 300 characters). Not needed otherwise.",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"max_length": "Keep it to 10,000 characters."},
    )


class PeriodForm(forms.Form):
    """An optional period for the marking-quality page (?from=&to=)."""

    start = ThisCenturyDateField(
        label="From", required=False, widget=DateInput, error_messages=date_messages("a day")
    )
    end = ThisCenturyDateField(
        label="To", required=False, widget=DateInput, error_messages=date_messages("a day")
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last day must be on or after the first day.")
        return data


def _period(request: HttpRequest) -> tuple[PeriodForm, datetime.date | None, datetime.date | None]:
    if not (request.GET.get("start") or request.GET.get("end")):
        return PeriodForm(), None, None
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, None, None


# The provider's pages --------------------------------------------------------------------------------------


@login_required
def sample_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The provider's moderation samples; admins draw a new one here."""
    provider = provider_for_assessment(user=request.user, slug=slug)
    can_draw = access_for(request.user).may(Action.MANAGE_ASSESSMENT, provider.pk)
    form = DrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_draw:
            raise PermissionDenied("Only the provider's admins can draw a moderation sample.")
        if form.is_valid():
            try:
                sample = moderation.sample_draw(by=request.user, provider=provider, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                count = sample.items.count()
                messages.success(
                    request,
                    f"Sample “{sample.label}” is drawn: {plural(count, 'script')} to moderate. Moderators see "
                    "them now.",
                )
                return redirect("moderation_sample", pk=sample.pk)
    return render(
        request,
        "assessment/moderation/samples.html",
        {
            "provider": provider,
            "samples": moderation.sample_list(provider=provider),
            "form": form,
            "can_draw": can_draw,
        },
    )


@login_required
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One sample: its scripts by candidate number, why each is in, and the moderators' verdicts."""
    sample = moderation.sample_for_view(user=request.user, pk=pk)
    items = moderation.sample_items(sample=sample)
    for item in items:
        item.needs_attention = moderation.needs_attention(item)  # type: ignore[attr-defined]
    recorded = sum(1 for item in items if item.verdict)
    agreed = sum(1 for item in items if item.verdict == ModerationItem.Verdict.AGREE)
    return render(
        request,
        "assessment/moderation/sample.html",
        {
            "sample": sample,
            "provider": sample.provider,
            "items": items,
            "recorded": recorded,
            "agreed": agreed,
            "accuracy": moderation.percent_of(agreed, recorded),
            "attention": [item for item in items if item.needs_attention],  # type: ignore[attr-defined]
            "reproducible": moderation.sample_redraw_check(sample),
            "reasons": ModerationItem.Reason,
        },
    )


@login_required
def marking_quality(request: HttpRequest, slug: str) -> HttpResponse:
    """Each assessor's marks and outcomes, first against second marking, moderation by outcome band, and
    accuracy (DfE metric 5), for all time or a period."""
    provider = provider_for_assessment(user=request.user, slug=slug)
    form, start, end = _period(request)
    return render(
        request,
        "assessment/moderation/quality.html",
        {
            "provider": provider,
            "form": form,
            "start": start,
            "end": end,
            "quality": moderation.marking_quality(provider=provider, period_start=start, period_end=end),
        },
    )


# The moderator's pages --------------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Every provider's samples with scripts waiting for a verdict, oldest first."""
    samples = moderation.moderation_queue(user=request.user)
    return render(
        request,
        "assessment/moderation/queue.html",
        {"samples": samples, "waiting": sum(s.item_count - s.recorded_count for s in samples)},
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One sampled script for a moderator: the markings and the outcome, the script's files, the verdict form."""
    item = moderation.item_for_moderator(user=request.user, pk=pk)
    result = item.result
    mine = not item.verdict or item.moderator_id == request.user.pk
    can_record = mine and not (item.verdict and result.released_at is not None)
    initial = {
        "verdict": item.verdict,
        "moderator_outcome": item.moderator_outcome,
        "rationale": item.rationale,
    }
    form = VerdictForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            item = moderation.verdict_record(by=request.user, item=item, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if item.verdict == ModerationItem.Verdict.AGREE:
                told = "You agree with the outcome."
            elif item.result.released_at is None:
                told = (
                    f"You disagree: the outcome is now {item.result.get_outcome_display().lower()}, and the "
                    "provider sees why."
                )
            else:
                told = (
                    "You disagree. The result was already released, so it stands for now: the provider sees your "
                    "verdict flagged on the sample's page and can review it."
                )
            messages.success(request, f"Verdict on {result.submission.candidate_number} saved. {told}")
            return redirect("moderation_queue")
    files = moderation.item_files(item=item)
    return render(
        request,
        "assessment/moderation/item.html",
        {
            "item": item,
            "result": result,
            "submission": result.submission,
            "markings": moderation.item_markings(item=item),
            "files": files,
            "changes": moderation.result_changes(item=item),
            "form": form,
            "can_record": can_record,
            "mine": mine,
            "now": timezone.now(),
        },
    )

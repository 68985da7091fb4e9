"""Engagement and eligibility in words: what a place has, what is missing before the final assessment, why
it is at risk and what to do next. Pure functions over what participants/services/engagement.py measured
(a stored Engagement row, or a fresh Measure with its Parts)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from npqel.words import plural
from participants.models import Engagement
from participants.services.engagement import EVIDENCE_LABELS, Evidence, Measure, Part
from programmes.models import Component, Programme
from programmes.wording import engagement_text, percent, plain_number

Figures = Engagement | Measure


def percent_or_dash(value: Decimal | None) -> str:
    """ "92.5%", or "–" where nothing can be measured yet."""
    return "–" if value is None else percent(value)


def hours(value: Decimal) -> str:
    """ "12", "7.5", "0.33" hours: at most two decimals, no trailing zeros."""
    return plain_number(value.quantize(Decimal("0.01")))


def engagement_risks(figures: Figures, programme: Programme) -> list[str]:
    """Why engagement puts a place at risk, in words an admin or coach can act on (empty when it does not).
    Reads the figures only: whether the place has started is the caller's concern (the stored `at_risk`
    already says it)."""
    needed = engagement_text(programme)
    reasons = []
    if figures.max_percent is not None and not _meets(figures.max_percent, programme):
        reasons.append(
            f"Can reach only {percent(figures.max_percent)} engagement even taking part in everything left "
            f"({needed} needed)"
        )
    margin = programme.at_risk_margin
    lagging_below = programme.engagement_threshold - margin
    if figures.to_date_percent is not None and figures.to_date_percent < lagging_below:
        reasons.append(
            f"Engagement so far is {percent(figures.to_date_percent)}, more than {hours(margin)} percentage points "
            f"below the {percent(programme.engagement_threshold)} needed"
        )
    return reasons


def _meets(value: Decimal, programme: Programme) -> bool:
    if programme.engagement_comparison == Programme.Comparison.MORE_THAN:
        return value > programme.engagement_threshold
    return value >= programme.engagement_threshold


@dataclass(frozen=True)
class PartRow:
    """One component's line in the explanation: its part in figures, and in words."""

    part: Part
    title: str
    progress: str  # "3 of 4 sessions attended (1 still to come)"

    @property
    def how(self) -> str:
        """How it is evidenced."""
        return EVIDENCE_LABELS[self.part.evidence]

    @property
    def counts(self) -> bool:
        return self.part.counted

    @property
    def required(self) -> bool:
        return self.part.required

    @property
    def done(self) -> bool:
        return self.part.done

    @property
    def planned(self) -> str:
        return hours(self.part.planned_hours)

    @property
    def credited(self) -> str:
        return hours(self.part.credited_hours)


@dataclass(frozen=True)
class Explanation:
    """A place's engagement and eligibility, explained."""

    figures: Figures
    needed: str  # "at least 90%"
    eligible: bool
    summary: str
    missing: list[str]
    risks: list[str]
    next_steps: list[str]
    rows: list[PartRow]


def _progress(part: Part) -> str:
    if part.evidence == Evidence.ATTENDANCE:
        if not part.sessions_timetabled:
            return "No sessions timetabled yet"
        to_come = part.sessions_timetabled - part.sessions_over
        text = f"{part.sessions_attended} of {plural(part.sessions_timetabled, 'session')} attended"
        return text + (f" ({to_come} still to come)" if to_come else "")
    if part.evidence == Evidence.TASKS:
        if not part.core_total:
            return "No core tasks set up yet"
        return f"{part.core_done} of {plural(part.core_total, 'core task')} complete"
    if part.evidence in (Evidence.LEARNING_LOG, Evidence.COACHING_LOG):
        return f"{hours(part.logged_hours)} hours logged"
    return "Done" if part.done else "Not recorded as done yet"


def explain(
    figures: Figures, parts: Sequence[Part], components: Iterable[Component], programme: Programme
) -> Explanation:
    """Everything the participant's page and their record say about engagement and eligibility.
    `components` are the programme's (for their titles); `parts` come with a fresh Measure."""
    titles = {component.pk: component for component in components}
    needed = engagement_text(programme)
    missing: list[str] = []
    steps: list[str] = []
    if figures.percent is None:
        missing.append("No engagement can be measured yet: none of the components that count has hours set")
    elif not figures.meets_threshold:
        missing.append(f"Engagement is {percent(figures.percent)}; {needed} is needed")
    for part in parts:
        component = titles.get(part.component_id)
        if component is None:
            continue
        if part.evidence == Evidence.TASKS and part.core_total and part.core_done < part.core_total:
            left = part.core_total - part.core_done
            missing.append(f"{plural(left, 'core task')} of “{component.title}” still to complete")
            steps.append(
                f"Complete the {plural(left, 'core task')} left in the online course “{component.title}”."
            )
        if part.required and not part.counted and not part.done:
            missing.append(f"“{component.title}” is required and not recorded as done yet")
            steps.append(f"Complete “{component.title}”; your provider records it once it is done.")
    if (
        figures.percent is not None
        and not figures.meets_threshold
        and figures.possible_hours > figures.credited_hours
    ):
        steps.insert(0, "Attend every session still to come, and complete your online tasks and logs.")
    risks = engagement_risks(figures, programme) if figures.at_risk else []
    if risks:
        steps.append(
            "Talk to your coach or your provider about how to catch up, for example at a session's repeat."
        )
    eligible = bool(figures.eligible)
    if eligible:
        summary = (
            f"You meet the engagement rule ({percent(figures.percent)}; {needed} needed) and can present for "
            "the final assessment."
        )
    elif figures.percent is None:
        summary = "Engagement cannot be measured yet."
    else:
        summary = (
            f"Engagement so far: {percent_or_dash(figures.to_date_percent)} of what has happened to date; "
            f"{percent(figures.percent)} of the whole programme, and up to {percent_or_dash(figures.max_percent)} "
            f"if you take part in everything left. {needed.capitalize()} is needed."
        )
    # In programme order (the order of `components`).
    by_component = {part.component_id: part for part in parts}
    rows = [
        PartRow(part=by_component[pk], title=component.title, progress=_progress(by_component[pk]))
        for pk, component in titles.items()
        if pk in by_component
    ]
    return Explanation(
        figures=figures,
        needed=needed,
        eligible=eligible,
        summary=summary,
        missing=missing,
        risks=risks,
        next_steps=steps,
        rows=rows,
    )

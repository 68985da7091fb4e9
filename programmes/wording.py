"""How a programme's rules and prices read in plain English, on its page and on a participant's home page."""

from decimal import Decimal

from npqel.words import plural
from programmes.models import Component, FeeOption, Programme


def pounds(amount: Decimal) -> str:
    """£4,800 for whole pounds, £1,999.50 otherwise."""
    return f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"


def plain_number(value: Decimal) -> str:
    """90.00 → "90", 92.50 → "92.5": numbers as a person would type them."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: Decimal) -> str:
    return plain_number(value) + "%"


def engagement_text(programme: Programme) -> str:
    return f"{programme.get_engagement_comparison_display()} {percent(programme.engagement_threshold)}"


def deadline_text(programme: Programme) -> str:
    """e.g. "18 months; 24 months for participants starting on or after 1 July 2018"."""
    parts = [plural(programme.deadline_months, "month")]
    parts += [
        f"{plural(extension.months, 'month')} for participants starting on or after {extension.applies_from:%-d %B %Y}"
        for extension in sorted(programme.extensions.all(), key=lambda e: e.applies_from)
    ]
    return "; ".join(parts)


def fee_text(fee: FeeOption) -> str:
    """e.g. "£4,800 + VAT: £1,800 at the start, £2,000 after 5 months, £1,000 after 11 months"."""
    text = pounds(fee.amount) + (" + VAT" if fee.plus_vat else "")
    instalments = list(fee.instalments.all())
    if len(instalments) == 1 and instalments[0].months_after_start == 0:
        return f"{text}, paid in full at the start"
    plan = [
        f"{pounds(part.amount)} at the start"
        if part.months_after_start == 0
        else f"{pounds(part.amount)} after {plural(part.months_after_start, 'month')}"
        for part in sorted(fee.instalments.all(), key=lambda i: i.months_after_start)
    ]
    return f"{text}: {', '.join(plan)}" if plan else text


def kinds_text(programme: Programme) -> list[str]:
    return [Component.Kind(kind).label for kind in programme.engagement_kinds if kind in Component.Kind]

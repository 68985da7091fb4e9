"""Trend charts in the metrics templates: `{% load metrics_charts %}{% metric_charts metrics as charts %}`, then
`{% for pair in charts|pairs %}` to lay them out two to a row."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from django import template

from metrics import charts

if TYPE_CHECKING:
    from metrics.views import Metrics

register = template.Library()
T = TypeVar("T")


@register.simple_tag
def metric_charts(metrics: "Metrics") -> list[charts.Chart]:
    """The trend charts of the published tables: drawn from figures already in hand, so no query."""
    return charts.metric_charts(metrics)


@register.filter
def pairs(items: Sequence[T]) -> list[Sequence[T]]:
    """Two at a time, for a grid row of two halves (the last pair may hold one)."""
    return [items[start : start + 2] for start in range(0, len(items), 2)]

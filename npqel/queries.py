"""Query helpers shared by selectors."""

from django.db.models import Count, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_of(rows: QuerySet, *, group_by: str, distinct: str = "pk") -> Coalesce:
    """A per-row count as a correlated subquery, e.g. each cohort's enrolments:
    `count_of(Enrolment.objects.filter(cohort=OuterRef("pk")), group_by="cohort")`.

    Unlike `Count()` over a join, PostgreSQL evaluates it only for the rows a page shows (after ORDER BY
    and LIMIT), so a list's time does not grow with the size of the table being counted.
    """
    counted = (
        rows.order_by().values(group_by).annotate(n=Count(distinct, distinct=distinct != "pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

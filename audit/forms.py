"""The history page's filters, sent as a GET query so a filtered history can be bookmarked and downloaded."""

from django import forms

from audit.selectors import KINDS, HistoryFilters
from npqel.forms import DateInput
from programmes.forms.delivery import ThisCenturyDateField, date_messages

# Far enough back for anyone paging by hand; a larger number is an edited address, not a page.
LAST_PAGE = 100_000


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="What changed",
        required=False,
        choices=[("", "Every kind of change"), *((key, kind.label) for key, kind in KINDS.items())],
        error_messages={"invalid_choice": "Choose what changed from the list."},
    )
    who = forms.CharField(
        label="Who made the change",
        required=False,
        max_length=200,
        help_text="A name or email address, or “The platform” for changes made automatically",
    )
    since = ThisCenturyDateField(
        label="From (date)", required=False, widget=DateInput(), error_messages=date_messages("the first day")
    )
    until = ThisCenturyDateField(
        label="To (date)", required=False, widget=DateInput(), error_messages=date_messages("the last day")
    )
    search = forms.CharField(
        label="About",
        required=False,
        max_length=200,
        help_text="A name, a candidate number (C1234567), a cohort or a certificate code",
    )
    # Set by the "History" link on a participant's record: the changes to that place.
    enrolment = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    page = forms.IntegerField(required=False, min_value=1, max_value=LAST_PAGE, widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The last day must be on or after the first day.")
        return cleaned

    def filters(self) -> HistoryFilters:
        """The filters to apply: none when the form has a mistake (the page says what to fix)."""
        if not self.is_valid():
            return HistoryFilters()
        data = self.cleaned_data
        return HistoryFilters(
            kind=data["kind"] or "",
            who=(data["who"] or "").strip(),
            since=data["since"],
            until=data["until"],
            search=(data["search"] or "").strip(),
            enrolment=data["enrolment"],
        )

    @property
    def page_number(self) -> int:
        return (self.cleaned_data.get("page") or 1) if self.is_valid() else 1

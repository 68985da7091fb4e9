"""Forms for a participant's final assessment. They check shape only; assessment.services checks the files
by their content and the rules (and says what to fix)."""

from django import forms

from assessment.services import REASON_LENGTH
from npqel.forms import DateInput
from programmes.forms.delivery import date_messages


class UploadForm(forms.Form):
    main = forms.FileField(
        label="Your main document",
        error_messages={
            "required": "Choose your main document to upload.",
            "empty": "The file you chose is empty. Check it is the right file and choose it again.",
        },
    )
    appendices = forms.FileField(
        label="Your appendices (optional)",
        required=False,
        error_messages={"empty": "The appendices file you chose is empty. Check it and choose it again."},
    )

    def __init__(self, *args: object, takes_appendices: bool, accept: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["accept"] = accept
        if not takes_appendices:
            del self.fields["appendices"]


class SubmitForm(forms.Form):
    declaration = forms.BooleanField(
        label="I declare that this is my own work, and that I have referenced every source I have used.",
        error_messages={"required": "Tick the box to declare that this is your own work before you submit."},
    )


class ExtensionForm(forms.Form):
    until = forms.DateField(
        label="The last day you are asking for",
        widget=DateInput(),
        error_messages=date_messages("the last day you are asking for"),
    )
    reason = forms.CharField(
        label="What has happened",
        help_text="Your mitigating circumstances, in a few sentences. Only your provider's admins read this.",
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Tell your provider what has happened.",
            "max_length": f"Keep it to {REASON_LENGTH:,} characters.",
        },
    )
    evidence = forms.FileField(
        label="Evidence (optional)",
        help_text=(
            "For example a letter from a doctor: a PDF (a scan is fine), a Word document or a photo, up to 10 MB."
        ),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.jpg,.jpeg,.png"}),
    )

"""Turn DomainError into a form error on the field it names, so it shows next to what to fix."""

from django import forms

from npqel.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)

"""Keeping equality data (ethnicity, sex, disability, age) out of error reports (issue 9).

Django's error reports (the emails AdminEmailHandler sends when ADMINS is set, and any reporter reading the same
data) show a failed request's POST parameters and, in their HTML part, every local variable of the traceback.
Django hides only what a view marks with @sensitive_post_parameters / @sensitive_variables, which our views
never need for passwords but would have to remember for equality data. This filter hides, on every request:

- POST parameters whose names are equality fields (ethnicity_code, sex, disability, age_band, …);
- local variables with such names, and such keys inside dicts, lists and dataclasses (an import's parsed row).

Turn it on with one setting:
    DEFAULT_EXCEPTION_REPORTER_FILTER = "participants.privacy_logging.EqualityExceptionReporterFilter"
"""

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

# Names of equality fields as forms, imports, serializers and the models spell them.
EQUALITY_NAME = re.compile(r"ethnic|(^|_)sex($|_)|gender|disab|(^|_)age(_band)?$", re.IGNORECASE)
DEPTH = 6  # nested structures deeper than this are shown as they are: reports never go that deep in practice


def is_equality_name(name: object) -> bool:
    return isinstance(name, str) and bool(EQUALITY_NAME.search(name))


class EqualityExceptionReporterFilter(SafeExceptionReporterFilter):
    """SafeExceptionReporterFilter that also hides equality data, whatever the view."""

    def _hide(self, value: Any, depth: int = 0) -> Any:
        if depth > DEPTH:
            return value
        if isinstance(value, Mapping):
            return {
                k: (self.cleansed_substitute if is_equality_name(k) else self._hide(v, depth + 1))
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return type(value)(self._hide(v, depth + 1) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {
                f.name: (
                    self.cleansed_substitute
                    if is_equality_name(f.name)
                    else self._hide(getattr(value, f.name, None), depth + 1)
                )
                for f in dataclasses.fields(value)
            }
        return value

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        parameters = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return parameters
        hidden = [key for key in parameters if is_equality_name(key)]
        if not hidden:
            return parameters
        parameters = parameters.copy()
        for key in hidden:
            parameters[key] = self.cleansed_substitute
        return parameters

    def get_cleansed_multivaluedict(self, request: HttpRequest, multivaluedict: Any) -> Any:
        # request.POST met again as a local variable of a frame.
        multivaluedict = super().get_cleansed_multivaluedict(request, multivaluedict)
        if not self.is_active(request):
            return multivaluedict
        hidden = [key for key in multivaluedict if is_equality_name(key)]
        if hidden:
            multivaluedict = multivaluedict.copy()
            for key in hidden:
                multivaluedict[key] = self.cleansed_substitute
        return multivaluedict

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        return [
            (name, self.cleansed_substitute if is_equality_name(name) else self._hide(value))
            for name, value in variables
        ]

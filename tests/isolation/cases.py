"""The shape of one isolation-matrix case, shared by the modules that teach the matrix their URLs."""

from collections.abc import Callable
from dataclasses import dataclass, field

from npqel.access import Action


@dataclass(frozen=True)
class Scoped:
    """A URL showing or changing one provider's object."""

    action: Action
    kwargs: Callable[[dict[str, object]], dict[str, object]]
    method: str = "get"
    data: dict[str, object] = field(default_factory=dict)
    # Set (e.g. "application/json") to send `data` as a request body of that type, as API writes do.
    content_type: str | None = None
    ok: tuple[int, ...] = (200,)
    # The participant reaches their own enrolment through the API even without the action.
    owner_sees: str | None = None

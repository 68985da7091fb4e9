"""Isolation-matrix cases for the DfE declarations pages (metrics/views_declarations.py; see test_matrix.py)."""

from collections.abc import Callable

from npqel.access import Action
from tests.isolation.cases import Scoped

DECLARATION_SCOPED: dict[str, Scoped] = {}
DECLARATION_LISTS: dict[str, tuple[Action, Callable[[dict[str, object]], str]]] = {}
DECLARATION_UNSCOPED: dict[str, str] = {}

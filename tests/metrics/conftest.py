"""The metrics tests' shared data: a programme and its cohorts over four recruitment years, with figures
worked out by hand (tests/metrics/test_pages.py says which)."""

from tests.metrics.test_pages import cohorts, programme  # noqa: F401  (fixtures for every metrics test)

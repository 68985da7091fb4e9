"""Settings for gunicorn in `make bench`'s throughput figure: the suite's, and a bare view (bench_urls.py)."""

from npqel.settings.test import *  # noqa: F403

ROOT_URLCONF = "tests.perf.bench_urls"

"""Bad input: junk in every form and API operation, hostile uploads, badly encoded imports, formula injection."""


def pytest_configure(config):
    # Registered here rather than in pyproject.toml: `pytest -m form_fuzz` runs the slow form fuzzing alone.
    config.addinivalue_line(
        "markers", "form_fuzz: posts hypothesis-made junk to every HTML form (about 2 minutes)"
    )

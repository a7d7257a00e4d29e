import pytest


@pytest.fixture(autouse=True)
def _losses_in_one_thread(one_thread):
    """Every loss test runs in one thread (see tests/conftest.py)."""
    yield

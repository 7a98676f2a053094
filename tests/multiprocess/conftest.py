"""Fixtures of several real processes; the broker fixture is the intermediary tests' one."""
from tests.intermediary.conftest import celery_test_broker  # noqa: F401 — a fixture, used by name

"""/healthz and /readyz (ADR 0052): public, no data, and /readyz really fails when a
dependency does — each check on its own."""
import pytest
from django.test import Client

from config import health


@pytest.mark.django_db
def test_healthz_answers_anyone_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_when_everything_is(settings, tmp_path):
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready"}
    assert list(tmp_path.iterdir()) == []  # the write probe leaves nothing behind


@pytest.mark.django_db
def test_an_outbound_folder_that_cannot_be_written_is_not_ready(settings, tmp_path):
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path / "missing"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "failed": ["outbound_folder"]}


@pytest.mark.django_db
def test_an_unreachable_broker_is_not_ready_and_its_error_is_not_shown(settings, tmp_path):
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "failed": ["broker"]}
    assert b"127.0.0.1" not in response.content and b"Error" not in response.content


@pytest.mark.django_db
def test_unapplied_migrations_are_not_ready(settings, tmp_path, monkeypatch):
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("victims", "9999")])
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "failed": ["migrations"]}


@pytest.mark.django_db
def test_a_database_that_fails_is_not_ready(settings, tmp_path, monkeypatch):
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path

    def broken():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    monkeypatch.setitem(health.CHECKS, "migrations", broken)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["database", "migrations"]
    assert b"refused" not in response.content

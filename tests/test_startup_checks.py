"""The product refuses to start with DEBUG off on the demo's secrets or default passwords, unless
the demo declares itself with DEMO_MODE (ADR 0062): each refusal has its own check id, and every
entry point applies them — manage.py, gunicorn (config.wsgi), Celery worker and beat."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management.base import SystemCheckError

from core import startup_checks

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = secrets.token_urlsafe(40)
# The checks read DATABASES; the override never reaches the open test connection.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def production(settings):
    """A safe production configuration: every check passes; each test breaks one thing."""
    settings.DEBUG, settings.DEMO_MODE = False, False
    settings.SECRET_KEY = settings.AUDIT_ANCHOR_SINK_KEY = GOOD_KEY
    settings.INTERMEDIARY_WS_SECRET = secrets.token_hex(32)
    settings.METRICS_TOKEN = secrets.token_urlsafe(32)
    settings.CELERY_BROKER_URL = f"redis://:{secrets.token_hex(16)}@redis:6379/0"
    settings.DATABASES = {"default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql",
                                      "HOST": "postgres", "PASSWORD": secrets.token_hex(16)}}
    return settings


def _ids() -> set[str | None]:
    return {m.id for m in startup_checks.run_checks(tags=[startup_checks.TAG])}


def test_a_safe_production_configuration_starts(production):
    assert _ids() == set()
    startup_checks.refuse_unsafe_start()


@pytest.mark.parametrize("key", ["embedded-demo-only-not-for-production", "change-me-in-production",
                                 "django-insecure-" + "x" * 40, "short-but-random-7f3a"])
def test_the_demo_or_a_weak_secret_key_is_refused(production, key):
    production.SECRET_KEY = key
    assert _ids() == {"dvprotect.E001"}


def test_the_anchor_key_left_at_the_demo_key_is_refused(production):
    production.AUDIT_ANCHOR_SINK_KEY = production.DEMO_SECRET_KEY
    assert _ids() == {"dvprotect.E002"}


@pytest.mark.parametrize("value", ["change-me", "secret", "0123456789"])
def test_a_placeholder_intermediary_secret_is_refused(production, value):
    production.INTERMEDIARY_WS_SECRET = value
    assert _ids() == {"dvprotect.E003"}


def test_no_intermediary_secret_is_allowed_for_a_server_that_authenticates_otherwise(production):
    production.INTERMEDIARY_WS_SECRET = ""
    assert _ids() == set()


@pytest.mark.parametrize("host, password, refused", [
    ("postgres", "postgres", True), ("db.lgwan.example", "", True), ("postgres", "dvprotect-app", True),
    ("127.0.0.1", "postgres", True), ("127.0.0.1", "", False), ("/var/run/postgresql", "", False),
])
def test_default_or_empty_database_passwords_are_refused(production, host, password, refused):
    production.DATABASES["default"].update(HOST=host, PASSWORD=password)
    assert _ids() == ({"dvprotect.E004"} if refused else set())


def test_the_embedded_sqlite_database_has_no_password_to_check(production):
    production.DATABASES["default"].update(ENGINE="django.db.backends.sqlite3", PASSWORD="")
    assert _ids() == set()


def test_a_default_broker_password_is_refused(production):
    production.CELERY_BROKER_URL = "redis://:changeme@redis:6379/0"
    assert _ids() == {"dvprotect.E005"}


def test_a_short_metrics_token_is_refused(production):
    production.METRICS_TOKEN = "token"
    assert _ids() == {"dvprotect.E006"}


@pytest.mark.parametrize("switch", ["DEMO_MODE", "DEBUG"])
def test_the_declared_demo_and_debug_may_use_the_embedded_defaults(production, switch):
    production.SECRET_KEY = production.AUDIT_ANCHOR_SINK_KEY = production.DEMO_SECRET_KEY
    production.DATABASES["default"].update(PASSWORD="postgres")
    setattr(production, switch, True)
    assert _ids() == set()


def test_refuse_unsafe_start_names_every_failed_check(production):
    production.SECRET_KEY = production.AUDIT_ANCHOR_SINK_KEY = production.DEMO_SECRET_KEY
    with pytest.raises(SystemCheckError) as refused:
        startup_checks.refuse_unsafe_start()
    assert "dvprotect.E001" in str(refused.value) and "dvprotect.E002" in str(refused.value)


# --- the real entry points, as separate processes --------------------------------------------

def _undeclared_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEMO_MODE", "DEBUG", "SECRET_KEY", "AUDIT_ANCHOR_SINK_KEY", "INTERMEDIARY_WS_SECRET",
                        "METRICS_TOKEN", "DATABASE_URL"}}
    return {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
            **extra}


# The real commands. Nothing listens on the broker port: a refused process exits before using it.
REAL = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "gunicorn (config.wsgi)": [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", "127.0.0.1:18398",
                               "--workers", "1"],
    "celery worker": [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"],
    # The schedule file's folder is the test's own (beat opens it before it sends beat_init).
    "celery beat": [sys.executable, "-m", "celery", "-A", "config", "beat", "-s", "{tmp}/beat-schedule"],
}
UNREACHABLE_BROKER = "redis://127.0.0.1:18399/0"
# What a process that passes does next (serve, consume, schedule) needs more than this test sets
# up, so the allowance is shown at the same step: the check, the WSGI import, and the init
# signal `celery worker` and `celery beat` send before they consume or schedule anything.
STARTUP_STEP = {
    "manage.py": REAL["manage.py"],
    "gunicorn (config.wsgi)": [sys.executable, "-c", "import config.wsgi"],
    "celery worker": [sys.executable, "-c", "from celery import signals; import config; "
                                            "signals.worker_init.send(sender=None)"],
    "celery beat": [sys.executable, "-c", "from celery import signals; import config; "
                                          "signals.beat_init.send(sender=None)"],
}


@pytest.mark.parametrize("entry", REAL)
def test_every_entry_point_refuses_the_demo_key_without_the_declaration(entry, tmp_path):
    command = [part.replace("{tmp}", str(tmp_path)) for part in REAL[entry]]
    done = subprocess.run(command, cwd=ROOT, env=_undeclared_env(CELERY_BROKER_URL=UNREACHABLE_BROKER),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "dvprotect.E001" in done.stderr, done.stderr


@pytest.mark.parametrize("entry", STARTUP_STEP)
def test_every_entry_point_starts_with_the_demo_declared_or_real_secrets(entry, tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(GOOD_KEY + "\n")  # as a compose secret file is written
    for env in (_undeclared_env(DEMO_MODE="1"), _undeclared_env(SECRET_KEY_FILE=str(key_file))):
        done = subprocess.run(STARTUP_STEP[entry], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "dvprotect.E" not in done.stderr

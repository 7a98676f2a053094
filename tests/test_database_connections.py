"""Database connections are reused (ADR 0063): persistent with a health check by default on
PostgreSQL, Django's psycopg pool when DB_POOL_MAX_SIZE is set, SQLite as before. Each case is
the settings module evaluated in a fresh process with that environment."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://someone@db.example:5432/dvprotect"
SHOW = ("import json; from django.conf import settings; d = settings.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')} | "
        "{'pool': d.get('OPTIONS', {}).get('pool')}))")


def _settings(**env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DB_"))}
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("env, expected", [
    ({"DATABASE_URL": PG}, {"CONN_MAX_AGE": 300, "CONN_HEALTH_CHECKS": True, "pool": None}),
    ({"DATABASE_URL": PG, "DB_CONN_MAX_AGE": "60"}, {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, "pool": None}),
    # The URL's own conn_max_age wins (the benchmarks set it there).
    ({"DATABASE_URL": PG + "?conn_max_age=600", "DB_CONN_MAX_AGE": "60"},
     {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True, "pool": None}),
    ({"DATABASE_URL": PG, "DB_POOL_MAX_SIZE": "8", "DB_POOL_MIN_SIZE": "2"},
     {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True, "pool": {"min_size": 2, "max_size": 8, "timeout": 10.0}}),
    # The embedded SQLite: untouched (Django's default, a new connection per request).
    ({"DATABASE_URL": "sqlite:////tmp/unused.sqlite3"},
     {"CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": None, "pool": None}),
])
def test_the_connection_settings_applied(env, expected):
    assert _settings(**env) == expected

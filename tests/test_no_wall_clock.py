"""No test may pass only on some dates. The tests that involve "today" (ages and the 18-year
rule, procedure dates that may not lie in the future, the 住基 support periods, the audit
screens' default periods, holidays and night hours, session and TOTP clocks) run again here,
in a subprocess, with the whole process travelled (tests/conftest.py --frozen-now, ticking)
to two moments about a year apart, each at a month boundary close to midnight in
Japan time (the last half hour of January; ten minutes into 1 March after a 28-day February,
when the UTC date is still the day before).

The tests that drive the Celery worker or the emulator are not in the list: those are
separate processes that time_machine cannot move, and they follow INTERMEDIARY_CLOCK_FILE
(intermediary/clock.py) instead. Pure functions handed their "today" or "now" (parse_intake,
the windows of tests/intermediary/test_rules_windows.py) need no travel and are not listed.

Run one date by hand: pytest --frozen-now=2027-03-01T00:10+09:00 tests/flags"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

MOMENTS = [
    "2026-01-31T23:30:00+09:00",  # the last half hour of a month, in the first year
    "2027-03-01T00:10:00+09:00",  # ten minutes into a month; in UTC still 28 February
]

DATE_SENSITIVE = [
    # the audit screens' default periods (the last 7 / 30 days up to today), night and holidays
    "tests/audit/test_workbench.py::test_search_filters_and_is_itself_audited",
    "tests/audit/test_workbench.py::test_search_is_paginated",
    "tests/audit/test_workbench.py::test_csv_has_bom_escapes_formulas_and_the_export_is_audited",
    "tests/audit/test_workbench.py::test_who_has_seen_lists_reads_by_screen_api_and_shared_list",
    "tests/audit/test_workbench.py::test_anomalies_flag_night_holiday_heavy_readers_denials_and_failed_logins",
    "tests/flags/test_approval_flow.py",           # ②-II ages, procedures confirmed today
    "tests/api/test_flags_api.py",                 # confirmed_on today, never in the future
    "tests/api/test_system_clients_and_jumin.py",  # support periods, reopening after release
    "tests/web/test_intake.py",                    # the intake screen's 18-year rule
    "tests/web/test_detail_and_release.py",        # confirmation dates on the target's page
    # reminders due "today" by default, on the API and the home page (ADR 0026)
    "tests/victims/test_reminders.py", "tests/api/test_reminders_api.py", "tests/web/test_reminders_home.py",
    # a corrected birth date against the 18-year rule and the majority reminder (ADR 0031)
    "tests/victims/test_amendments.py",
    # ended representation (a minor's parent) excluded from notices
    "tests/bulk/test_recipient_filter.py::test_excluded_set_follows_the_rule",
    "tests/bulk/test_recipient_filter.py::test_filter_keeps_format_and_order_and_removes_targets",
    # idle and absolute session limits, TOTP steps and throttling
    "tests/test_security_headers.py::test_idle_session_ends_after_15_minutes",
    "tests/test_security_headers.py::test_activity_keeps_the_session_but_12_hours_is_the_limit",
    "tests/test_two_factor.py",
]


def _database_url(suffix: str) -> str:
    """The suite's database server with a name of its own: the subprocess's test database
    must not be the one this run is using."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL (as make test sets it)")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{suffix}"))


def _run(index: int, moment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _database_url(f"clock{index}")}
    env.pop("TEST_FROZEN_NOW", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-x", f"--frozen-now={moment}",
         *DATE_SENSITIVE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.skipif(bool(os.environ.get("TEST_FROZEN_NOW")), reason="already inside a frozen run")
def test_the_date_sensitive_tests_pass_on_other_dates(request):
    if request.config.getoption("--frozen-now"):
        pytest.skip("already inside a frozen run")
    with ThreadPoolExecutor(len(MOMENTS)) as pool:
        results = list(pool.map(_run, range(len(MOMENTS)), MOMENTS))
    for moment, result in zip(MOMENTS, results, strict=True):
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        assert result.returncode == 0, f"at {moment}:\n{tail}"
        assert " passed" in result.stdout and " failed" not in result.stdout, f"at {moment}:\n{tail}"

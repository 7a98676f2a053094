"""/metrics (ADR 0065): a 404 for anyone without the configured bearer token, and gauges an
operator can alert on, computed from the database at scrape time; the shipped alert rules name
only metrics that exist."""
import datetime
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
import yaml
from django.test import Client
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from audit.models import ChainHead, VerificationRun
from checks import bulk, selectors
from intermediary.models import Alert, AlertKind, Operation, OperationStatus
from victims.models import ReminderKind, ReminderRecord

ROOT = Path(__file__).resolve().parent.parent
TOKEN = secrets.token_urlsafe(32)
T0 = datetime.datetime(2027, 4, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(token: str = TOKEN) -> dict[str, float]:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return samples


@pytest.mark.django_db
def test_without_a_configured_token_metrics_do_not_exist(settings):
    settings.METRICS_TOKEN = ""
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}):
        assert Client().get("/metrics", **headers).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [None, "", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}",
                                           "Bearer", TOKEN])
def test_a_wrong_or_missing_token_gets_the_404_of_an_unknown_url(token, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    for method in ("get", "post"):
        response = getattr(Client(), method)("/metrics", **headers)
        assert response.status_code == 404
        assert b"dvprotect_" not in response.content


@pytest.mark.django_db
def test_the_token_reads_the_metrics_and_nothing_else_is_allowed(token):
    assert Client().head("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"bearer {token}")
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]


def _operation(kind: str, status: str = OperationStatus.PENDING, **fields) -> Operation:
    # Next in the unit's order (ADR 0084): several operations here share one unit and flag.
    seq = Operation.objects.filter(unit_key="100000000000001", flag_kind=kind).count() + 1
    return Operation.objects.create(unit_type="atena", unit_key="100000000000001", flag_kind=kind, action="set",
                                    status=status, unit_seq=seq, **fields)


@pytest.mark.django_db
def test_the_gauges_follow_the_database(token, counter, register):
    with time_machine.travel(T0, tick=False):
        _operation("NO_AUTO_RESPONSE")
        _operation("NO_AUTO_RESPONSE", OperationStatus.SENT)
        _operation("NONDISCLOSURE", OperationStatus.REFLECTED)
        dead = _operation("NONDISCLOSURE", OperationStatus.DEAD)
        Alert.objects.create(kind=AlertKind.DEAD, operation=dead, created_at=T0)
        Alert.objects.create(kind=AlertKind.MISMATCH, created_at=T0, resolved_at=T0)
        VerificationRun.objects.create(started_at=T0, finished_at=T0, ok=False, checked=10, reason="x")
        target, _ = register(counter)
        # The chain's length is read from its head, not counted: a head far ahead of the rows shows it.
        ChainHead.objects.filter(pk=1).update(last_id=20_043_939)
        ReminderRecord.objects.create(kind=ReminderKind.MAJORITY, target=target, department=counter.department,
                                      due_on=T0.date(), first_seen_at=T0, alerted_at=T0)
        ReminderRecord.objects.create(kind=ReminderKind.MAJORITY, target=target, department=counter.department,
                                      due_on=T0.date() + datetime.timedelta(days=1), first_seen_at=T0)
    with time_machine.travel(T0 + datetime.timedelta(hours=3), tick=False):
        m = _scrape(token)
    assert m['dvprotect_operations{state="pending"}'] == 1
    assert m['dvprotect_operations{state="sent"}'] == 1
    assert 'dvprotect_operations{state="reflected"}' not in m  # estimated instead (a full scan to count)
    assert m["dvprotect_operations_reflected_estimate"] >= 0
    assert m['dvprotect_operations{state="dead"}'] == 1
    assert m["dvprotect_dead_operations"] == 1
    # Sent but unconfirmed is still unreflected; the reflected and the dead one are not.
    assert m['dvprotect_oldest_unreflected_operation_age_seconds{flag_kind="NO_AUTO_RESPONSE"}'] == 3 * 3600
    assert m['dvprotect_oldest_unreflected_operation_age_seconds{flag_kind="NONDISCLOSURE"}'] == 0
    assert m['dvprotect_open_alerts{kind="dead"}'] == 1 and m['dvprotect_open_alerts{kind="mismatch"}'] == 0
    assert m["dvprotect_audit_verification_ok"] == 0
    assert m["dvprotect_audit_verification_timestamp_seconds"] == T0.timestamp()
    assert m["dvprotect_audit_chain_length"] == 20_043_939
    assert m['dvprotect_reminders_overdue{kind="majority"}'] == 1


@pytest.mark.django_db
def test_no_verification_yet_reads_minus_one_and_never(token):
    VerificationRun.objects.all().delete()
    m = _scrape(token)
    assert m["dvprotect_audit_verification_ok"] == -1 and m["dvprotect_audit_verification_timestamp_seconds"] == 0


def _count(kind: str) -> float:
    return REGISTRY.get_sample_value("dvprotect_check_duration_seconds_count", {"kind": kind}) or 0.0


@pytest.mark.django_db
def test_checks_feed_the_latency_histogram_and_the_bulk_counter(token, other_counter):
    singles, bulks = _count("single"), _count("bulk")
    numbers = REGISTRY.get_sample_value("dvprotect_bulk_numbers_checked_total") or 0.0
    selectors.inquiry_check(actor=other_counter, atena_no="100000000000009", direction="inquiry")
    bulk.bulk_inquiry_check(actor=other_counter, direction="inquiry",
                            bulk=bulk.bulk_input_from_list(["100000000000009", "100000000000010"]))
    assert (_count("single"), _count("bulk")) == (singles + 1, bulks + 1)
    m = _scrape(token)
    assert m['dvprotect_check_duration_seconds_count{kind="single"}'] == singles + 1
    assert m["dvprotect_bulk_numbers_checked_total"] == numbers + 2


def _rule_metric_names() -> set[str]:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    names = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert rule["alert"] and rule["expr"] and rule["annotations"]["summary"]
            names |= set(re.findall(r"\bdvprotect_[a-z_]+", rule["expr"]))
    return names


@pytest.mark.django_db
def test_the_alert_rules_name_metrics_that_exist(token):
    names = _rule_metric_names()
    assert {"dvprotect_oldest_unreflected_operation_age_seconds", "dvprotect_dead_operations",
            "dvprotect_audit_verification_ok", "dvprotect_audit_verification_timestamp_seconds"} <= names
    exposed = {key.split("{")[0] for key in _scrape(token)}
    assert names <= exposed, names - exposed


def test_with_a_multiprocess_folder_the_scrape_sums_every_process(tmp_path):
    """gunicorn workers and Celery each count in their own file; any process's scrape sums them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for n in (5, 7):
        subprocess.run([sys.executable, "-c", f"from core.metrics import BULK_NUMBERS; BULK_NUMBERS.inc({n})"],
                       cwd=ROOT, env=env, check=True, timeout=60)
    scrape = ("import django; django.setup(); from config import metrics; "
              "print(metrics.in_process_exposition().decode())")
    done = subprocess.run([sys.executable, "-c", scrape], cwd=ROOT, env=env, timeout=120, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^dvprotect_bulk_numbers_checked_total 12\.0$", done.stdout, re.M), done.stdout

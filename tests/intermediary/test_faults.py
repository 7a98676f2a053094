"""Fault tests: each prints approved / reflected / lost / duplicated and requires lost = 0
and duplicated = 0. Real worker, real Redis (db 5), real PostgreSQL, the emulator."""
import datetime
import subprocess
import threading
import time

import psycopg
import pytest
import redis
from django.db import connection

from intermediary.models import Batch, Operation, OperationStatus
from victims import services as flag_services

from .harness import REDIS_URL, Env, counts, report, send_task, wait_until

JST = datetime.timezone(datetime.timedelta(hours=9))
REDIS_RESTART = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
                 "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


def approve_many(n, counter, approver, register):
    targets = []
    for _ in range(n):
        target, cr = register(counter)
        flag_services.change_request_approve(actor=approver, change_request_id=cr.pk)
        targets.append(target)
    return targets


def sweep_until_all_reflected(env, targets, timeout=60, flag_kinds=("NO_AUTO_RESPONSE", "NONDISCLOSURE")):
    keys = [t.atena_no for t in targets]

    def done():
        send_task("intermediary.sweep")  # what beat does every INTERMEDIARY_SWEEP_SECONDS
        return not Operation.objects.filter(unit_key__in=keys, flag_kind__in=flag_kinds).exclude(
            status=OperationStatus.REFLECTED).exists()
    wait_until(done, timeout=timeout, interval=0.5, what="every operation reflected")


def test_emulator_errors_then_recovery(ws_env, counter, approver, register, capsys):
    ws_env.fault("error", count=8, code="E503")
    targets = approve_many(4, counter, approver, register)
    wait_until(lambda: ws_env.get("/control/stats")["deliveries"] >= 8, what="errors injected")
    sweep_until_all_reflected(ws_env, targets)
    c = counts(ws_env, targets)
    report(capsys, "emulator errors then recovery", c)
    assert Operation.objects.filter(attempts__gt=1).exists()
    assert c["approved"] == 8 and c["reflected"] == 8 and c["lost"] == 0 and c["duplicated"] == 0


def test_emulator_applies_then_times_out(ws_env, counter, approver, register, capsys):
    # The server applies, but answers after the client's 1 s timeout: the ambiguous case.
    ws_env.fault("apply_then_timeout", count=2, delay=2.0)
    targets = approve_many(1, counter, approver, register)
    sweep_until_all_reflected(ws_env, targets)
    c = counts(ws_env, targets)
    report(capsys, "apply then timeout", c)
    assert set(Operation.objects.values_list("attempts", flat=True)) == {2}
    assert c["redeliveries_absorbed_by_idempotency_key"] == 2
    assert c["approved"] == 2 and c["reflected"] == 2 and c["lost"] == 0 and c["duplicated"] == 0


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def redis_restart_guard():
    yield
    if not _redis_up():
        subprocess.run(REDIS_RESTART, check=False, timeout=30)
        wait_until(_redis_up, timeout=30, what="redis back")


def test_redis_down_at_approval_then_restarted(ws_env, counter, approver, register, capsys, redis_restart_guard):
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], check=False, timeout=30)
    wait_until(lambda: not _redis_up(), timeout=10, what="redis stopped")
    started = time.monotonic()
    targets = approve_many(3, counter, approver, register)  # approvals must not fail or hang
    assert time.monotonic() - started < 30
    assert Operation.objects.filter(status=OperationStatus.PENDING).count() == 6
    subprocess.run(REDIS_RESTART, check=True, timeout=30)
    wait_until(_redis_up, timeout=30, what="redis back")
    sweep_until_all_reflected(ws_env, targets, timeout=90)
    c = counts(ws_env, targets)
    report(capsys, "redis stopped at approval, restarted", c)
    assert c["approved"] == 6 and c["reflected"] == 6 and c["lost"] == 0 and c["duplicated"] == 0


def test_database_connection_dropped_mid_run(live_db, tmp_path, settings, celery_test_broker, counter, approver,
                                             register, capsys):
    env = Env(tmp_path, "web_service")
    env.apply_to(settings)
    try:
        env.start_emulator()
        env.start_worker(extra_env={"INTERMEDIARY_CLAIM_TIMEOUT_SECONDS": "3"})
        env.fault("slow", count=-1, delay=0.4)  # calls take a while: the worker holds its connection
        stop = threading.Event()
        killed = []
        dsn = env.settings_env()["DATABASE_URL"].replace("postgres://", "postgresql://")
        dbname = connection.settings_dict["NAME"]

        def terminator():
            with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
                while not stop.is_set():
                    rows = admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid() AND application_name NOT LIKE 'pytest-main%%' "
                        "AND backend_type = 'client backend' AND pid <> ALL(%s)",
                        [dbname, [own_pid]]).fetchall()
                    killed.extend(rows)
                    time.sleep(0.15)

        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            own_pid = cur.fetchone()[0]
        t = threading.Thread(target=terminator, daemon=True)
        t.start()
        targets = approve_many(5, counter, approver, register)
        time.sleep(3)  # let the worker run into the terminated connections
        stop.set()
        t.join(timeout=10)
        env.fault("none")
        sweep_until_all_reflected(env, targets, timeout=90)
        c = counts(env, targets)
        report(capsys, f"db connections dropped ({len(killed)} terminated)", c)
        assert killed, "no worker connection was terminated; the test proved nothing"
        assert c["approved"] == 10 and c["reflected"] == 10 and c["lost"] == 0 and c["duplicated"] == 0
    finally:
        env.stop_all()


def test_worker_sigkilled_mid_batch(live_db, tmp_path, settings, celery_test_broker, counter, approver, register,
                                    capsys):
    env = Env(tmp_path, "xml_batch")
    env.apply_to(settings)
    try:
        env.start_emulator()
        env.set_clock(datetime.datetime(2026, 11, 24, 10, 2, tzinfo=JST))
        targets = approve_many(12, counter, approver, register)
        env.start_worker(extra_env={"INTERMEDIARY_FAULT_PAUSE_BEFORE_PUBLISH": "60"})
        env.set_clock(datetime.datetime(2026, 11, 24, 10, 4, 30, tzinfo=JST))
        send_task("intermediary.xml_batch_tick")
        tmp_dir = env.dirs["outbound"] / ".tmp"
        wait_until(lambda: tmp_dir.is_dir() and any(tmp_dir.iterdir()), what="batch half-written")
        batch = Batch.objects.get(flag_kind="NO_AUTO_RESPONSE")
        assert batch.status == "building"
        env.kill("worker")  # SIGKILL to the whole process group, mid-batch
        assert not (env.dirs["outbound"] / batch.name).exists()

        env.start_worker("worker2")
        # Past the claim timeout (driven clock), the sweeper resumes the same batch content.
        env.set_clock(datetime.datetime(2026, 11, 24, 10, 11, 0, tzinfo=JST))
        send_task("intermediary.sweep")
        wait_until(lambda: Batch.objects.get(pk=batch.pk).status == "published", what="batch resumed and published")
        assert Batch.objects.filter(flag_kind="NO_AUTO_RESPONSE").count() == 1
        env.set_clock(datetime.datetime(2026, 11, 24, 10, 15, tzinfo=JST))

        def ingested():
            send_task("intermediary.results_ingest")
            return not Operation.objects.filter(flag_kind="NO_AUTO_RESPONSE").exclude(
                status=OperationStatus.REFLECTED).exists()
        wait_until(ingested, timeout=30, interval=0.3, what="results ingested")
        c = counts(env, targets, flag_kinds=("NO_AUTO_RESPONSE",))
        report(capsys, "worker SIGKILLed mid-batch", c)
        assert c["approved"] == 12 and c["reflected"] == 12 and c["lost"] == 0 and c["duplicated"] == 0
    finally:
        env.stop_all()


def test_emulator_down_then_back(ws_env, counter, approver, register, capsys):
    ws_env.fault("down", count=-1)
    targets = approve_many(2, counter, approver, register)
    wait_until(lambda: Operation.objects.filter(last_error_code="HTTP503", attempts__gte=2).count() == 4,
               what="calls refused (and retried) while the server is down")
    assert not Operation.objects.filter(status=OperationStatus.REFLECTED).exists()
    assert not ws_env.state(targets[0].atena_no)["NONDISCLOSURE"]
    ws_env.fault("none")
    sweep_until_all_reflected(ws_env, targets)
    c = counts(ws_env, targets)
    report(capsys, "emulator down, then back", c)
    assert c["approved"] == 4 and c["reflected"] == 4 and c["lost"] == 0 and c["duplicated"] == 0

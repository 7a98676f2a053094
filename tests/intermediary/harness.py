"""Real processes for integration tests: a `celery worker` and the emulator, both pointed at
the test database / test Redis db 5 / per-test directories, always killed in teardown."""
import datetime
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis
from django.db import connection

from config.celery import app
from intermediary.clock import set_now
from intermediary.models import FlagState, Operation, OperationStatus
from intermediary.windows import JST
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("INTERMEDIARY_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PY = sys.executable


def at(day, hh, mm, ss=0):
    """A moment of November 2026, Japan time (the service-level tests' driven clock)."""
    return datetime.datetime(2026, 11, day, hh, mm, ss, tzinfo=JST)


def wait_until(predicate, *, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Bounded polling: returns the first truthy value or fails with `what`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def test_database_url() -> str:
    d = connection.settings_dict
    return f"postgres://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


class Env:
    def __init__(self, tmp: Path, channel: str):
        self.tmp = tmp
        self.channel = channel
        self.port = free_port()
        self.clock_file = tmp / "clock.txt"
        self.dirs = {k: tmp / k for k in ("outbound", "inbound", "quarantine")}
        for d in self.dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        self.emulator_db = tmp / "emulator.sqlite3"
        # The emulator refuses to start without a shared secret; the worker sends it (ADR 0021).
        self.secret = secrets.token_urlsafe(32)
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    # Settings shared by the test process, the worker and the emulator.
    def settings_env(self) -> dict[str, str]:
        return {
            "INTERMEDIARY_CHANNEL": self.channel,
            "INTERMEDIARY_WS_URL": f"http://127.0.0.1:{self.port}",
            "INTERMEDIARY_WS_TIMEOUT": "1.0",
            "INTERMEDIARY_WS_SECRET": self.secret,
            "INTERMEDIARY_OUTBOUND_DIR": str(self.dirs["outbound"]),
            "INTERMEDIARY_INBOUND_DIR": str(self.dirs["inbound"]),
            "INTERMEDIARY_QUARANTINE_DIR": str(self.dirs["quarantine"]),
            "INTERMEDIARY_CLOCK_FILE": str(self.clock_file),
            "INTERMEDIARY_EMULATOR_DB": str(self.emulator_db),
            "INTERMEDIARY_BACKOFF_BASE_SECONDS": "0.3",
            "INTERMEDIARY_BACKOFF_MAX_SECONDS": "1.0",
            "INTERMEDIARY_MAX_ATTEMPTS": "20",
            "INTERMEDIARY_SERVICE_HOURS": "06:00-23:30",
            "INTERMEDIARY_STOP_HOURS": "01:00-05:00",
            "INTERMEDIARY_DAILY_AT": "02:00",
            "CELERY_BROKER_URL": REDIS_URL,
            "DATABASE_URL": test_database_url(),
        }

    def apply_to(self, settings) -> None:
        e = self.settings_env()
        settings.INTERMEDIARY_CHANNEL = self.channel
        settings.INTERMEDIARY_WS_URL = e["INTERMEDIARY_WS_URL"]
        settings.INTERMEDIARY_WS_TIMEOUT = 1.0
        settings.INTERMEDIARY_WS_SECRET = self.secret
        settings.INTERMEDIARY_OUTBOUND_DIR = Path(e["INTERMEDIARY_OUTBOUND_DIR"])
        settings.INTERMEDIARY_INBOUND_DIR = Path(e["INTERMEDIARY_INBOUND_DIR"])
        settings.INTERMEDIARY_QUARANTINE_DIR = Path(e["INTERMEDIARY_QUARANTINE_DIR"])
        settings.INTERMEDIARY_CLOCK_FILE = e["INTERMEDIARY_CLOCK_FILE"]
        settings.INTERMEDIARY_EMULATOR_DB = e["INTERMEDIARY_EMULATOR_DB"]
        settings.INTERMEDIARY_BACKOFF_BASE_SECONDS = 0.3
        settings.INTERMEDIARY_BACKOFF_MAX_SECONDS = 1.0
        settings.INTERMEDIARY_MAX_ATTEMPTS = 20
        settings.INTERMEDIARY_SERVICE_HOURS = "06:00-23:30"
        settings.INTERMEDIARY_STOP_HOURS = "01:00-05:00"
        settings.INTERMEDIARY_DAILY_AT = "02:00"

    def set_clock(self, value: datetime.datetime) -> None:
        set_now(self.clock_file, value)

    def _spawn(self, name: str, args: list[str], extra_env: dict | None = None) -> subprocess.Popen:
        env = {**os.environ, **self.settings_env(), **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
        log = self.tmp / f"{name}.log"
        self.logs[name] = log
        # A new session, so teardown can kill the whole process group (prefork children too).
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_emulator(self) -> None:
        self._spawn("emulator", [PY, "manage.py", "run_intermediary_emulator", "--bind", f"127.0.0.1:{self.port}",
                                 "--db", str(self.emulator_db), "--poll", "0.1"])
        wait_until(lambda: self._health(), timeout=20, what="emulator health")

    def _health(self):
        try:
            return self.get("/health")["ok"]
        except OSError:
            return False

    def start_worker(self, name: str = "worker", extra_env: dict | None = None, queues: str = "",
                     concurrency: int = 2) -> None:
        log = self.tmp / f"{name}.log"
        start = log.stat().st_size if log.exists() else 0
        self._spawn(name, [PY, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-c", str(concurrency),
                           "-P", "prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
                           "-n", f"{name}-{os.getpid()}@%h", *(["-Q", queues] if queues else [])],
                    extra_env)
        wait_until(lambda: b"ready." in log.read_bytes()[start:], timeout=40, what=f"{name} ready")

    def start_web(self, name: str, workers: int = 2, extra_env: dict | None = None) -> str:
        """A gunicorn instance of the app on a port of its own; returns its base URL."""
        port = free_port()
        self._spawn(name, [PY, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
                           "--timeout", "60", "--graceful-timeout", "5"], extra_env)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base + "/healthz"), timeout=40, what=f"{name} serving")
        return base

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGKILL)

    # ---- emulator HTTP, with the shared secret ----
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> dict:
        status, body = emulator_request(self.base, "GET", path, secret=self.secret)
        assert status == 200, (path, status, body)
        return body

    def post(self, path: str, body: dict) -> dict:
        status, answer = emulator_request(self.base, "POST", path, body, secret=self.secret)
        assert status == 200, (path, status, answer)
        return answer

    def state(self, atena_no: str) -> dict:
        return self.get(f"/state?atena_no={atena_no}")

    def fault(self, mode: str, count: int = -1, code: str = "E001", delay: float = 0.0) -> None:
        self.post("/control/faults", {"mode": mode, "count": count, "code": code, "delay": delay})

    def emulator_state_cli(self, atena_no: str) -> dict:
        out = subprocess.run([PY, "manage.py", "emulator_state", "--atena-no", atena_no, "--db", str(self.emulator_db)],
                             cwd=ROOT, env={**os.environ, **self.settings_env()}, capture_output=True, check=True,
                             timeout=60)
        return json.loads(out.stdout)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 — our own server on loopback
            return r.status == 200
    except OSError:
        return False


def emulator_request(base: str, method: str, path: str, body: dict | None = None, *,
                     secret: str | None = None) -> tuple[int, dict]:
    """(status, JSON body) of one call to an emulator; the secret as a Bearer token, if any."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)  # noqa: S310 — loopback
    try:
        with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310 — the emulator on loopback, http
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def send_task(name: str, *args) -> None:
    app.send_task(name, args=list(args))


def flush_test_redis() -> None:
    redis.Redis.from_url(REDIS_URL).flushdb()


def counts(env: Env, targets, *, flag_kinds=("NO_AUTO_RESPONSE", "NONDISCLOSURE")) -> dict:
    """approved: operations written by approvals; reflected: of those, reflected (directly or
    covered); lost: not reflected, or the server's state differs from the desired state;
    duplicated: records the server applied more than once, or applied without being ours;
    max_latency: the longest approval → reflected, in seconds."""
    keys = [t if isinstance(t, str) else t.atena_no for t in targets]
    ops = list(Operation.objects.filter(unit_key__in=keys, flag_kind__in=flag_kinds))
    ids = {str(o.pk) for o in ops}
    reflected = sum(o.status == OperationStatus.REFLECTED for o in ops)
    mismatched = 0
    for key in keys:
        server = env.state(key)
        for s in FlagState.objects.filter(unit_key=key, flag_kind__in=flag_kinds):
            mismatched += server[s.flag_kind] != s.desired
    stats = env.get("/control/stats")

    db = sqlite3.connect(str(env.emulator_db))
    applied_rows = [r[0] for r in db.execute("SELECT record_id FROM applied")]
    db.close()
    applied = set(applied_rows)
    # With a driven clock (INTERMEDIARY_CLOCK_FILE written) reflected_at is not real time.
    latencies = [] if env.clock_file.exists() else [
        (o.reflected_at - o.created_at).total_seconds() for o in ops if o.reflected_at]
    return {
        "approved": len(ops),
        "reflected": reflected,
        "lost": (len(ops) - reflected) + mismatched,
        "duplicated": stats["records_applied_more_than_once"] + len(applied - ids),
        "applied_at_server": len(applied_rows),
        "max_latency": max(latencies) if latencies else None,
        "redeliveries_absorbed_by_idempotency_key": stats["redeliveries_absorbed"],
    }


def report(capsys, name: str, c: dict) -> None:
    latency = "n/a (driven clock)" if c["max_latency"] is None else f"{c['max_latency']:.1f}s"
    with capsys.disabled():
        print(f"\n[fault:{name}] approved={c['approved']} reflected={c['reflected']} lost={c['lost']} "
              f"duplicated={c['duplicated']} max approval→reflected={latency} "
              f"(re-sends absorbed by UUID: {c['redeliveries_absorbed_by_idempotency_key']})")

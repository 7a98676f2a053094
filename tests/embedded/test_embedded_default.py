"""The embedded default (`make run`) is a tested configuration.

These tests start the same processes `make run` starts — `manage.py run_all`: web, Celery
worker, the one beat and the intermediate-server emulator — on SQLite and Celery's filesystem
broker, in a temporary directory and on free ports, and walk the main journey through the
HTTP API only. No PostgreSQL and no Redis are involved (the rest of the suite runs on
PostgreSQL, which is how SQLite-only breakage went unnoticed).

The flags go over the web-service channel (the default), which applies at once at any time
of day, so nothing here waits for a window or depends on the date."""
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
# Settings `make run` does not set; cleared so nothing of the calling environment (the
# PostgreSQL test URL, a Redis broker, a test's intermediary dirs) leaks into the children.
_CLEARED_PREFIXES = ("DATABASE_URL", "CELERY_", "INTERMEDIARY_", "POLICY_", "DJANGO_", "PORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(predicate, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Embedded:
    """One isolated copy of the embedded configuration, as `make run` would set it up."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.web_port, self.emulator_port = _free_port(), _free_port()
        while self.emulator_port == self.web_port:
            self.emulator_port = _free_port()
        self.db = tmp / "db.sqlite3"
        self.marker = uuid.uuid4().hex  # inherited by every descendant: finds leftovers
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED_PREFIXES)}
        env.update({
            "DATABASE_URL": f"sqlite:///{self.db}",
            # No CELERY_BROKER_URL: run_all picks the filesystem broker, as under `make run`.
            "CELERY_FS_BROKER_DIR": str(tmp / "celery"),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp / "celerybeat-schedule"),
            "INTERMEDIARY_DATA_DIR": str(tmp / "intermediary"),
            # Outside the repository's var/, like everything else of this copy (and no syslog).
            "AUDIT_ANCHOR_SINK_FILE": str(tmp / "audit-anchors.jsonl"),
            "AUDIT_ANCHOR_SINKS": "audit.sinks.FileSink",
            "INTERMEDIARY_EMULATOR_DB": str(tmp / "intermediary" / "emulator.sqlite3"),
            "INTERMEDIARY_EMULATOR_BIND": f"127.0.0.1:{self.emulator_port}",
            "INTERMEDIARY_WS_URL": f"http://127.0.0.1:{self.emulator_port}",
            # run_all generates one when unset (tests/intermediary/test_emulator_auth.py); the
            # test sets its own to read the emulator's state with it, as an operator may.
            "INTERMEDIARY_WS_SECRET": uuid.uuid4().hex,
            "PORT": str(self.web_port),
            "PYTHONUNBUFFERED": "1",
            "DEMO_MODE": "1",  # as `make run` declares it (ADR 0062)
            "EMBEDDED_TEST_MARKER": self.marker,
        })
        self.env = env
        self.web = f"http://127.0.0.1:{self.web_port}"
        self.emulator = f"http://127.0.0.1:{self.emulator_port}"
        self.log = tmp / "run_all.log"
        self.proc: subprocess.Popen | None = None

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=120)
        if check and done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done

    def start(self) -> None:
        (self.tmp / "intermediary").mkdir(exist_ok=True)
        # A session of its own: the test signals the supervisor like Ctrl-C in a terminal would.
        self.proc = subprocess.Popen([PY, "manage.py", "run_all"], cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def child_pids(self) -> dict[str, int]:
        return {m[0]: int(m[1]) for m in re.findall(r"started (\w+) \(pid (\d+)\)", self.log_text())}

    def wait_ready(self) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"run_all exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                emulator_ok = requests.get(self.emulator + "/health", timeout=2).json()["ok"]
                web_status = requests.get(self.web + "/api/v1/inquiry-checks/", timeout=2).status_code
            except (requests.RequestException, ValueError):
                return False
            return emulator_ok and web_status in (401, 403) and " ready." in self.log_text()
        _wait_until(ready, timeout=40, interval=0.2, what="web, worker and emulator ready")

    def leftovers(self) -> list[int]:
        """Processes still carrying this run's marker (run_all, its children, theirs)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
                state = next((line for line in (entry / "status").read_text().splitlines()
                              if line.startswith("State:")), "")
            except OSError:
                continue
            if f"EMBEDDED_TEST_MARKER={self.marker}".encode() in environ and "zombie" not in state:
                found.append(int(entry.name))
        return found

    def stop(self, sig=signal.SIGINT) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            return None

    def kill_leftovers(self) -> None:
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _victim(atena_no: str, cases: list, **extra) -> dict:
    return {
        "atena_no": atena_no, "name": "山田　花子", "name_kana": "ヤマダ　ハナコ", "birth_date": "1990-04-01",
        "harm_types": ["dv"], "fled": True, "basis": "request", "jumin_support": {"active": False},
        "cases": cases, "explanations": {"mynaportal": True, "card_suspension": True}, **extra,
    }


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory) -> tuple[Path, float]:
    """What `make run` does before run_all — `migrate`, then `seed_demo` — done once on an
    empty SQLite file; each test starts from a copy of the result."""
    t0 = time.monotonic()
    template = Embedded(tmp_path_factory.mktemp("embedded-template"))
    migrated = template.manage("migrate", "--noinput")
    # The first thing a new user reads: no system-check warning about the embedded default.
    assert "WARNINGS" not in migrated.stdout + migrated.stderr, migrated.stdout + migrated.stderr
    template.manage("seed_demo")
    return template.db, time.monotonic() - t0


@pytest.fixture
def embedded(tmp_path, seeded_db):
    env = Embedded(tmp_path)
    shutil.copyfile(seeded_db[0], env.db)
    yield env
    env.stop(signal.SIGKILL)
    env.kill_leftovers()


def test_main_journey_on_the_embedded_default(embedded, seeded_db) -> None:
    t0 = time.monotonic()
    timings: dict[str, float] = {"migrate+seed_demo (fixture)": round(seeded_db[1], 2)}

    def lap(name):
        timings[name] = round(time.monotonic() - t0, 2)

    # After migrate and seed_demo (the fixture), what `make run` runs: run_all.
    embedded.start()
    # Tokens of seeded staff: the kodomo counter and its head, and a tax-office checker. One
    # process for the three (each Django start costs seconds while run_all's children start).
    users = ("counter1", "approver1", "zeimu1")
    out = embedded.manage("shell", "-c", "from django.core.management import call_command\n"
                          f"for u in {users!r}: call_command('issue_api_token', username=u)").stdout
    tokens = dict(re.findall(r"API token for (\w+): (\S+)", out))
    assert set(tokens) == set(users), out
    lap("tokens issued")
    embedded.wait_ready()
    lap("run_all ready")
    pids = embedded.child_pids()
    assert set(pids) == {"emulator", "worker", "beat", "web"}, embedded.log_text()

    def api(user, method, path, **kw):
        headers = {"Authorization": f"Token {tokens[user]}", **kw.pop("headers", {})}
        resp = requests.request(method, embedded.web + "/api/v1/" + path, headers=headers, timeout=30, **kw)
        assert resp.status_code < 500, f"{method} {path} → {resp.status_code}\n{embedded.log_text()[-6000:]}"
        return resp

    def check(atena_no, direction="inquiry"):
        resp = api("zeimu1", "post", "inquiry-checks/", json={"atena_no": atena_no, "direction": direction})
        assert resp.status_code == 200, resp.text
        return resp.json()["nondisclosure_code_required"]

    def emulator(path):
        headers = {"Authorization": f"Bearer {embedded.env['INTERMEDIARY_WS_SECRET']}"}
        return requests.get(embedded.emulator + path, headers=headers, timeout=5).json()

    victim, victim_1_1, abuser, stranger = "310000000000001", "310000000000002", "310000000000003", "399999999999999"

    # Register: a ②-I victim (card left with the abuser) and a ①-I victim with the abuser's number.
    # The answer is a receipt (202, ADR 0015); the target is found in the department's own list
    # and its pending set request on its record.
    def register(atena_no, cases):
        resp = api("counter1", "post", "targets/", json=_victim(atena_no, cases))
        assert resp.status_code == 202, resp.text
        assert resp.json()["registration"]["status"] == "accepted"
        listed = api("counter1", "get", "targets/").json()["results"]
        target_id = next(t["id"] for t in listed if t["atena_no"] == atena_no)
        record = api("counter1", "get", f"targets/{target_id}/").json()
        pending = [c for c in record["change_requests"] if c["status"] == "pending"]
        return {"id": target_id, "change_request": {"id": pending[0]["id"]}}

    victim_body = register(victim, [{"type": "2-I", "card_left": True}])
    victim_1_1_body = register(victim_1_1, [{"type": "1-I", "abuser_atena_no": abuser}])
    lap("registered")
    # From intake on, before any approval, the check already protects (when in doubt, protect).
    assert check(victim) is True
    assert check(abuser) is True

    # Approve with the other person (the head of the same department).
    for body in (victim_body, victim_1_1_body):
        resp = api("approver1", "post", f"change-requests/{body['change_request']['id']}/approve", json={})
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == "approved"
    lap("approved")

    # The worker delivers over the web-service channel; the emulator reflects both flags.
    _wait_until(lambda: emulator(f"/state?atena_no={victim}") == {
        "atena_no": victim, "NO_AUTO_RESPONSE": True, "NONDISCLOSURE": True}, timeout=30, what="flags reflected")
    assert emulator(f"/inquiry?atena_no={victim}")["auto_answered"] is False
    assert emulator(f"/provision?atena_no={victim}")["nondisclosed"] is True
    assert emulator(f"/inquiry?atena_no={stranger}")["auto_answered"] is True
    # Without the secret the emulator lists nobody (issue 10 item 9).
    assert requests.get(embedded.emulator + "/state/all", timeout=5).status_code == 401
    _wait_until(lambda: all(f["reflected"] is True for f in
                            api("counter1", "get", f"targets/{victim_body['id']}/flags/").json()["flags"]),
                timeout=15, what="reflection recorded by the app")
    lap("reflected at emulator")

    # Single inquiry-time checks from another linkage department.
    singles = {
        (victim, "inquiry"): True, (victim, "provision"): True,
        (abuser, "inquiry"): True, (abuser, "provision"): True,
        (victim_1_1, "inquiry"): False,  # ①-I protects the inquiries about the abuser
        (stranger, "inquiry"): False, (stranger, "provision"): False,
    }
    for (number, direction), expected in singles.items():
        assert check(number, direction) is expected, (number, direction)

    # Bulk check: JSON, then the same numbers as an uploaded CSV answered as CSV.
    numbers = [victim, stranger, abuser, victim_1_1, victim]
    expected_bulk = [True, False, True, False, True]
    resp = api("zeimu1", "post", "inquiry-checks/bulk/", json={"atena_nos": numbers, "direction": "inquiry"})
    assert resp.status_code == 200, resp.text
    bulk = resp.json()
    assert [r["nondisclosure_code_required"] for r in bulk["results"]] == expected_bulk
    assert bulk["count"] == 5 and bulk["required_count"] == 3 and bulk["duplicates"] == {"count": 1, "indexes": [4]}
    upload = ("atena_no\r\n" + "\r\n".join(numbers) + "\r\n").encode()
    resp = api("zeimu1", "post", "inquiry-checks/bulk/", data={"direction": "provision"},
               files={"file": ("numbers.csv", upload, "text/csv")}, headers={"Accept": "text/csv"})
    assert resp.status_code == 200, resp.text
    rows = list(csv.reader(io.StringIO(resp.text)))
    assert rows[0] == ["atena_no", "nondisclosure_code_required"]
    assert [r[1] == "1" for r in rows[1:]] == expected_bulk
    lap("single+bulk checks")

    # お知らせ recipient filter: the ②-I victim leaves the file, everyone else stays, in order.
    recipients = "宛名番号,氏名\r\n" + "".join(f"{n},氏名{i}\r\n"
                                            for i, n in enumerate([stranger, victim, victim_1_1, abuser]))
    resp = api("zeimu1", "post", "recipient-filter/",
               files={"file": ("recipients.csv", recipients.encode(), "text/csv")},
               headers={"Accept": "application/json"})
    assert resp.status_code == 200, resp.text
    filtered = resp.json()
    assert filtered["removed_count"] == 1 and filtered["kept_count"] == 3, filtered
    assert filtered["content"] == recipients.replace(f"{victim},氏名1\r\n", "")
    lap("recipient filter")

    # Release at the person's wish, approved by the head; the emulator drops both flags.
    resp = api("counter1", "post", f"targets/{victim_body['id']}/release-requests/", json={"reason": "wish"})
    assert resp.status_code == 201, resp.text
    release = resp.json()
    assert release["action"] == "release" and release["status"] == "pending"
    assert check(victim) is True  # still protected until the release is approved
    resp = api("approver1", "post", f"change-requests/{release['id']}/approve", json={})
    assert resp.status_code == 200, resp.text
    _wait_until(lambda: emulator(f"/state?atena_no={victim}") == {
        "atena_no": victim, "NO_AUTO_RESPONSE": False, "NONDISCLOSURE": False}, timeout=30, what="release reflected")
    assert emulator(f"/inquiry?atena_no={victim}")["auto_answered"] is True
    assert check(victim) is False and check(abuser) is True
    stats = emulator("/control/stats")
    lap("release reflected")

    # The audit chain of the SQLite database verifies (while everything still runs).
    verify = embedded.manage("audit_verify", check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("OK"), verify.stdout
    lap("audit verified")

    # Stop like Ctrl-C: run_all stops its children and nothing is left behind.
    lap("SIGINT sent")
    rc = embedded.stop(signal.SIGINT)
    assert rc == 0, embedded.log_text()[-3000:]
    _wait_until(lambda: not embedded.leftovers(), timeout=10, what="no process left")
    for name, pid in pids.items():
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text(), name
    assert "Traceback" not in embedded.log_text(), embedded.log_text()[-5000:]
    lap("stopped")

    print(f"\nembedded journey: ports web={embedded.web_port} emulator={embedded.emulator_port}; "
          f"2 targets registered, 2 approvals, 1 release; {len(singles) + 4} single checks; bulk 2×{len(numbers)} "
          f"numbers ({bulk['required_count']} required); recipient filter removed {filtered['removed_count']} of "
          f"{filtered['record_count']}; emulator stats {json.dumps(stats, ensure_ascii=False)}; "
          f"audit: {verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else ''}")
    print("timings (s since start): " + ", ".join(f"{k}={v}" for k, v in timings.items()))
    assert time.monotonic() - t0 < 120  # ~20 s on an idle 2-CPU machine; generous for a loaded one


_PROBE = r"""
import json
from django.utils import timezone
from accounts.models import Staff
from checks import protection
from flags import rules
from victims.intake import parse_intake
from victims.models import CaseAssessment, Target, TargetStatus
from victims.services import target_register

counter = Staff.objects.get(username="counter1")
def register(atena_no, cases):
    data = parse_intake({
        "atena_no": atena_no, "name": "山田　花子", "name_kana": "ヤマダ　ハナコ", "birth_date": "1990-04-01",
        "harm_types": ["dv"], "fled": True, "basis": "request", "jumin_support": {"active": False},
        "cases": cases, "explanations": {"mynaportal": True, "card_suspension": True, "agent_release": True},
    }, today=timezone.localdate())
    return target_register(actor=counter, data=data)[0]

pending = register("320000000000001", [{"type": "2-I", "card_left": True}])
active = register("320000000000002", [{"type": "2-I", "card_left": True, "agent_set": True}])
confirmed = register("320000000000003", [{"type": "2-I", "card_left": True}])
one_one = register("320000000000004", [{"type": "1-I", "abuser_atena_no": "320000000000005"}])
released = register("320000000000006", [{"type": "2-I", "smartphone_left": True}])
Target.objects.filter(pk__in=[active.pk, confirmed.pk, one_one.pk]).update(status=TargetStatus.ACTIVE)
Target.objects.filter(pk=released.pk).update(status=TargetStatus.RELEASED)
CaseAssessment.objects.filter(target=confirmed).update(card_suspension_confirmed_on=timezone.localdate())

numbers = ["320000000000001", "320000000000002", "320000000000003", "320000000000004", "320000000000005",
           "320000000000006", "329999999999999"]
single = {d: {n: protection.nondisclosure_code_required(n, d)[0] for n in numbers}
          for d in (rules.INQUIRY, rules.PROVISION)}
found = protection.nondisclosure_code_required("320000000000002", rules.INQUIRY)[1]
whole = protection.protected_set()
print(json.dumps({
    "single": single, "victim_id_ok": found == active.pk,
    "set": {d: sorted(whole.requires(d)) for d in (rules.INQUIRY, rules.PROVISION)},
    "target_count": whole.target_count, "abuser_count": whole.abuser_count,
    "notice_excluded": sorted(protection.notice_excluded_set()),
}))
"""


def test_protection_rules_run_on_sqlite(embedded):
    """The single check, the protected set and the お知らせ exclusion set, in-process on a
    migrated SQLite database (the embedded default), give the same answers as the rules."""
    out = embedded.manage("shell", "-c", _PROBE).stdout
    got = json.loads(out.strip().splitlines()[-1])
    # pending ②-I, active ②-I, ②-I card confirmed (still active), ①-I victim, ①-I abuser,
    # released ②-I, a stranger.
    required = ["320000000000001", "320000000000002", "320000000000003", "320000000000005"]
    for direction in ("inquiry", "provision"):
        assert [n for n, yes in got["single"][direction].items() if yes] == required, (direction, got)
        assert got["set"][direction] == required, (direction, got)
    assert got["victim_id_ok"] is True
    assert got["target_count"] == 4 and got["abuser_count"] == 1
    # Excluded from notices: ②-I until every procedure is confirmed; ①-I victims stay.
    assert got["notice_excluded"] == ["320000000000001", "320000000000002"], got

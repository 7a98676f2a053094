"""Benchmark (not a test): the staff screens at volume, in process and over HTTP.

The volume (bench/screens_volume.py): N_TARGETS people (default 100,000) with what seven years
of the product's services leave — cases per period, receipts, set/release requests decided by
another person, about N_OPERATIONS outbox operations (default 1,000,000) linked to them, flag
states, notices to the other linkage departments, grants, reminders — N_PENDING pending
requests (default 2,000) awaiting one approver, and one person with a long history
(N_HISTORY decided requests). Built once with raw SQL and kept: a later run with the same
sizes skips the build. The build first runs one person through the services (rolled back)
and prints the rows each step writes next to the rows per person of the volume.

Times each screen with the Django test Client in process (a real staff user of the right
role, second factor marked as passed), then over HTTP against a real gunicorn on the same
database (HTTP_PORT, default 8610), logged in through the login screen and its second factor
(a TOTP code from the user's device, as tests/e2e does): the home page (its reminders and
notices) of a counter and of an approver, the shared list (a page, searched by 宛名番号 and by
kana), the worklist (a page, filtered, with reminders due), the approval queue (first and last
page), the sync monitor, a detail page with a long history. Prints the median of RUNS runs
(default 5) in ms, the HTML size in KB and a verdict vs the targets (< 1 s and < 200 KB), and a
raw baseline measured in the same run: a plain SELECT ... LIMIT 100 on the targets table, and
each screen's ratio to it.

Runs in its own database (BENCH_SCREENS_DATABASE_URL, default dvprotect_scr_bench; created
and migrated if missing, never dropped).
    make bench-screens-scale        (N_TARGETS=… N_OPERATIONS=… N_PENDING=… RUNS=… override)
"""
import math
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = os.environ.get("BENCH_SCREENS_DATABASE_URL",
                              "postgres://postgres@127.0.0.1:5432/dvprotect_scr_bench")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# WhiteNoise on a checkout without collectstatic: not what is measured.
warnings.filterwarnings("ignore", message="No directory at")
N_TARGETS = int(os.environ.get("N_TARGETS", 100_000))
N_OPERATIONS = int(os.environ.get("N_OPERATIONS", 1_000_000))
N_PENDING = int(os.environ.get("N_PENDING", 2_000))
N_HISTORY = int(os.environ.get("N_HISTORY", 500))
RUNS = int(os.environ.get("RUNS", 5))
HTTP_PORT = int(os.environ.get("HTTP_PORT", 8610))
TARGET_MS = 1000.0
TARGET_KB = 200.0
BASELINE_SQL = "SELECT id, atena_no, name, name_kana, status FROM victims_target ORDER BY atena_no LIMIT 100"
# Over HTTP the staff log in with a password: one per run, set on every bench user.
PASSWORD = secrets.token_urlsafe(16)


def database() -> None:
    """Create the bench database if missing, then migrate it (a no-op when up to date)."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def built() -> bool:
    from django.db import connection
    from screens_volume import ATENA_BASE

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM victims_target WHERE atena_no >= %s", [str(ATENA_BASE)])
        targets = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM flags_changerequest WHERE status = 'pending'")
        pending = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM flags_changerequest r JOIN victims_target t ON t.id = r.target_id"
                    " WHERE t.atena_no = %s", [str(ATENA_BASE + N_TARGETS)])
        history = cur.fetchone()[0]
    if (targets, pending, history) == (N_TARGETS, N_PENDING, N_HISTORY):
        return True
    if targets or pending:
        raise SystemExit(f"the database holds another volume ({targets:,} targets, {pending:,} pending, "
                         f"{history:,} requests of the long history); drop {DATABASE_URL.rsplit('/', 1)[1]} "
                         f"or use those sizes")
    return False


def client_for(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


def totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


def current_token(device) -> str:
    """The device's code now; a code is single-use, so wait for the next step if this one was used
    (as tests/e2e/conftest.py does)."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if device.last_t is not None and totp.t() <= device.last_t:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.5)
    return f"{totp.token():0{device.digits}d}"


def median_ms(call) -> float:
    call()  # warm: connection, plans, caches
    out = []
    for _ in range(RUNS):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


class Gunicorn:
    """A real gunicorn on the bench database (the product's wsgi, one worker: screens are timed
    one request at a time)."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.proc: subprocess.Popen | None = None
        # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
        self.log = tempfile.TemporaryFile()

    def __enter__(self):
        env = {**os.environ, "DEMO_MODE": "1", "DATABASE_URL": DATABASE_URL, "LOG_LEVEL": "WARNING"}
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{self.port}",
             "--workers", "1", "--timeout", "120"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=self.log)
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"gunicorn exited: {self.log.read().decode()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return self
            except requests.RequestException:  # not listening yet, or still loading the app
                pass
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def http_session(base: str, user):
    """A requests session logged in as `user` through the login screen and its second factor."""
    import requests

    session = requests.Session()
    session.get(base + "/login/").raise_for_status()
    response = session.post(base + "/login/", data={
        "username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    if "/2fa/verify/" not in response.url:
        raise SystemExit(f"login of {user.username} did not reach the second factor: {response.url}")
    response = session.post(response.url, data={"token": current_token(totp_device(user)),
                                                "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    if response.url.rstrip("/") != base:
        raise SystemExit(f"second factor of {user.username} refused ({response.status_code} at {response.url})")
    return session


def screens(people, sysadmin, hot_pk: int):
    """(label, user, method, path, form data) of every screen timed."""
    from django.urls import reverse
    from screens_volume import ATENA_BASE

    from victims.decisions import QUEUE_PAGE_SIZE

    counter, approver = people["kodomo"]["c1"], people["kodomo"]["a1"]
    last_queue_page = max(1, math.ceil(N_PENDING / QUEUE_PAGE_SIZE))
    shared, worklist = reverse("victims:shared"), reverse("victims:worklist")
    return [
        ("home (counter)", counter, "GET", reverse("home"), None),
        ("home (approver)", approver, "GET", reverse("home"), None),
        ("shared list", counter, "GET", shared, None),
        ("shared list by 宛名番号", counter, "POST", shared, {"atena_no": str(ATENA_BASE + N_TARGETS // 2 + 1)}),
        ("shared list by kana", counter, "POST", shared, {"kana": "ヤマダ"}),
        ("worklist", counter, "GET", worklist, None),
        ("worklist filtered", counter, "GET", worklist + "?status=active&case_type=2-I", None),
        ("worklist, reminders due", counter, "GET", worklist + "?reminders_due=1", None),
        ("approval queue", approver, "GET", reverse("approvals:queue"), None),
        ("approval queue last page", approver, "GET", reverse("approvals:queue") + f"?page={last_queue_page}", None),
        ("sync monitor", sysadmin, "GET", reverse("intermediary:monitor"), None),
        ("target detail (long history)", counter, "GET", reverse("victims:detail", args=[hot_pk]), None),
    ]


@dataclass
class Result:
    label: str
    role: str
    ms: float
    kb: float
    http_ms: float = 0.0
    http_kb: float = 0.0


def timed(label, fetch) -> tuple[float, float]:
    response = fetch()
    status = response.status_code
    if status != 200:
        raise SystemExit(f"{label}: answered {status}")
    kb = len(response.content) / 1024
    return median_ms(fetch), kb


def main() -> None:
    t = time.perf_counter()
    database()
    from screens_volume import ATENA_BASE, build, describe, reminders_recorded, service_shape, staff

    people, sysadmin = staff(PASSWORD)
    if built():
        print(f"volume kept in {DATABASE_URL.rsplit('/', 1)[1]} (build skipped)")
    else:
        steps, stored = service_shape(people)
        print("rows written by the product's services for one person (rolled back):")
        for step_label, added in steps:
            print(f"  {step_label:<18} " + ", ".join(f"{table} +{n}" for table, n in added.items()))
        counts = build(people, n_targets=N_TARGETS, n_operations=N_OPERATIONS, n_pending=N_PENDING,
                       n_history=N_HISTORY, stored=stored)
        print(f"built in {time.perf_counter() - t:.1f} s:\n{describe(counts, N_TARGETS)}")
        t = time.perf_counter()
        print(f"reminder job (the product's): {reminders_recorded()} in {time.perf_counter() - t:.1f} s")
    from django.db import connection

    from victims.models import Target

    hot = Target.objects.get(atena_no=str(ATENA_BASE + N_TARGETS))
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM intermediary_operation")
        n_ops = cur.fetchone()[0]
    print(f"volume: {N_TARGETS:,} targets, {n_ops:,} operations, {N_PENDING:,} pending change requests "
          f"awaiting one approver, a detail with {N_HISTORY:,} decided requests; median of {RUNS} runs")

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute(BASELINE_SQL)
            cur.fetchall()

    baseline = median_ms(raw)
    print(f"raw baseline `{BASELINE_SQL}`: {baseline:.2f} ms")
    results: list[Result] = []
    for label, user, method, path, data in screens(people, sysadmin, hot.pk):
        client = client_for(user)

        def in_process(c=client, m=method, p=path, d=data):
            return c.get(p) if m == "GET" else c.post(p, d)
        ms, kb = timed(label, in_process)
        results.append(Result(label, user.role, ms, kb))
    with Gunicorn(HTTP_PORT) as server:
        sessions: dict[int, Any] = {}
        floor = 0.0
        for result, (label, user, method, path, data) in zip(results, screens(people, sysadmin, hot.pk), strict=True):
            if user.pk not in sessions:
                sessions[user.pk] = http_session(server.url, user)
            session = sessions[user.pk]
            if not floor:
                floor = median_ms(lambda s=session: s.get(server.url + "/healthz"))

            def over_http(s=session, m=method, p=path, d=data):
                token = {"csrfmiddlewaretoken": s.cookies["csrftoken"]} if m == "POST" else {}
                return s.request(m, server.url + p, data={**(d or {}), **token} if m == "POST" else None,
                                 allow_redirects=False)
            result.http_ms, result.http_kb = timed(label, over_http)
    print(f"HTTP floor (GET /healthz over the same connection): {floor:.2f} ms")
    print(f"{'screen':<30} {'role':<9} {'in-proc ms':>10} {'HTTP ms':>9} {'KB':>7} {'x raw':>7} {'HTTP x raw':>10}"
          f"  verdict (< {TARGET_MS:.0f} ms, < {TARGET_KB:.0f} KB)")
    failed = 0
    for r in results:
        worst, size = max(r.ms, r.http_ms), max(r.kb, r.http_kb)
        ok = worst < TARGET_MS and size < TARGET_KB
        failed += not ok
        verdict = "OK" if ok else "FAIL" + (" time" if worst >= TARGET_MS else "") + \
            (" size" if size >= TARGET_KB else "")
        print(f"{r.label:<30} {r.role:<9} {r.ms:>10.1f} {r.http_ms:>9.1f} {size:>7.1f} {r.ms / baseline:>7.1f} "
              f"{r.http_ms / baseline:>10.1f}  {verdict}")
    print(f"{len(results) - failed}/{len(results)} screens within both targets")


if __name__ == "__main__":
    main()

"""Shared set-up for the benchmarks: a dedicated PostgreSQL database, seeded targets,
a linkage-department API token, and a gunicorn server on loopback.

Benchmarks are not tests: they print figures, and the ratio to a raw in-process baseline
measured in the same run (DESIGN.md, Tests)."""
import contextlib
import http.client
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dv_bench?conn_max_age=600")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The benchmarks send the same caller's 1,000,000 numbers many times a run: the daily quota
# per caller (ADR 0017) is not what they measure.
os.environ.setdefault("BULK_NUMBERS_PER_CALLER_DAY", str(10**12))
sys.path.insert(0, str(ROOT))
# STANDARD_NUMBERS=1: every target also has a standard systems' 宛名番号 (ADR 0046), and half
# the numbers sent for targets are those (ADR 0047: the check's cost with both numbers).
STANDARD_NUMBERS = os.environ.get("STANDARD_NUMBERS", "0") == "1"


def target_number(index: int, rng: random.Random) -> str:
    """The number sent for seeded target `index`: its atena_no, or with STANDARD_NUMBERS=1
    its standard number half of the time."""
    if STANDARD_NUMBERS and rng.random() < 0.5:
        return f"{200000000000000 + index * 7:015d}"
    return f"{100000000000000 + index * 7:015d}"


def ensure_database() -> None:
    from urllib.parse import urlparse

    import psycopg

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django():
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def seed(target_count: int) -> dict:
    """target_count targets (mix of cases and statuses, ~10 % ①-I with an abuser), a linkage
    department, one counter with an API token. Idempotent for the same target_count."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Department, Role, Staff
    from accounts.services import api_token_issue, department_create, staff_create
    from victims.models import CaseAssessment, Target, TargetStatus

    if not Department.objects.filter(code="bench").exists():
        department_create(actor=None, code="bench", name="ベンチ課", does_linkage=True)
    staff = Staff.objects.filter(username="bench-counter").first() or staff_create(
        actor=None, username="bench-counter", department_code="bench", role=Role.COUNTER,
        password=uuid.uuid4().hex)
    token = api_token_issue(actor=None, staff=staff)
    if Target.objects.count() != target_count or (
            STANDARD_NUMBERS and Target.objects.filter(standard_atena_no__isnull=True).exists()):
        if Target.objects.exists():
            reset_database()
            return seed(target_count)
        now = timezone.now()
        rng = random.Random(7)
        dept = Department.objects.get(code="bench")
        batch_t, batch_c = [], []
        for i in range(target_count):
            atena = f"{100000000000000 + i * 7:015d}"
            roll = rng.random()
            status = TargetStatus.PENDING if roll < 0.1 else TargetStatus.ACTIVE
            batch_t.append(Target(
                atena_no=atena, standard_atena_no=f"{200000000000000 + i * 7:015d}" if STANDARD_NUMBERS else None,
                name="ベンチ", name_kana="ベンチ", birth_date="1990-01-01", harm_types=["dv"],
                owning_department=dept, status=status, is_victim=True, is_victim_confirmed_by=staff,
                is_victim_confirmed_at=now, fled=True, fled_confirmed_by=staff, fled_confirmed_at=now,
                basis="request", basis_confirmed_by=staff, basis_confirmed_at=now, created_by=staff))
        created = Target.objects.bulk_create(batch_t, batch_size=10000)
        for t in created:
            roll = rng.random()
            if roll < 0.6:
                batch_c.append(CaseAssessment(target=t, case_type="2-I", card_left=True))
            elif roll < 0.85:
                batch_c.append(CaseAssessment(target=t, case_type="2-II", legal_representative="guardian"))
            else:
                batch_c.append(CaseAssessment(target=t, case_type="1-I",
                                              abuser_atena_no=f"{900000000000000 + t.pk:015d}"))
        CaseAssessment.objects.bulk_create(batch_c, batch_size=10000)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    return {"token": token, "staff": staff}


def reset_database() -> None:
    """Drop and recreate the bench database (the audit log refuses DELETE by design)."""
    from urllib.parse import urlparse

    import psycopg
    from django.db import connections

    connections.close_all()
    name = urlparse(DATABASE_URL).path.lstrip("/")
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int = 2, threads: int = 1, timeout: int = 120, worker_class: str | None = None):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, LOG_LEVEL="WARNING")
    # The venv's gunicorn: the one next to the running interpreter (a clone may share a venv).
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application", "-b", f"127.0.0.1:{port}",
           "-w", str(workers), "--threads", str(threads), "--timeout", str(timeout), "--log-level", "warning"]
    if worker_class:
        cmd += ["-k", worker_class]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def worker_pids(master_pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def multipart(fields: dict, file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode())
    parts.append(content)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post(port: int, path: str, body: bytes, content_type: str, token: str, accept: str = "application/json"):
    """POST and read the whole response; returns (status, headers, body, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request("POST", path, body=body, headers={
        "Content-Type": content_type, "Authorization": f"Token {token}", "Accept": accept})
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return resp.status, dict(resp.getheaders()), data, elapsed

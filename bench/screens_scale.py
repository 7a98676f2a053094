"""Benchmark (not a test): the staff screens at volume. N_TARGETS targets (default 100,000),
N_OPERATIONS intermediary operations (default 1,000,000) and N_PENDING pending change requests
(default 2,000) awaiting one approver, plus one target with a long history (N_HISTORY decided
requests). Built once with raw SQL (INSERT ... SELECT generate_series) and kept: a later run
with the same sizes skips the build.

Times each screen in process with the Django test Client (force_login of a real staff user of
the right role, second factor marked as passed): shared list, worklist, approval queue, sync
monitor, one target's detail. Prints the median of RUNS runs (default 5) in ms, the HTML size
in KB and a verdict vs the targets (< 1 s and < 200 KB), and a raw baseline measured in the
same run: a plain SELECT ... LIMIT 100 on the targets table, and each screen's ratio to it.

Runs in its own database (BENCH_SCREENS_DATABASE_URL, default dvprotect_scr_bench; created
and migrated if missing, never dropped).
    make bench-screens-scale        (N_TARGETS=… N_OPERATIONS=… N_PENDING=… RUNS=… override)
"""
import os
import secrets
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
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
TARGET_MS = 1000.0
TARGET_KB = 200.0
ATENA_BASE = 300_000_000_000_000
BASELINE_SQL = "SELECT id, atena_no, name, name_kana, status FROM victims_target ORDER BY atena_no LIMIT 100"


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


def staff():
    """The departments and the staff of each role the screens need (made once)."""
    from accounts.models import Department, Role, Staff
    from accounts.services import department_create, staff_create

    for code, name, linkage in (("kodomo", "子ども家庭支援課", True), ("johosys", "情報システム課", False)):
        if not Department.objects.filter(code=code).exists():
            department_create(actor=None, code=code, name=name, does_linkage=linkage)
    people = {}
    for username, code, role in (("bench_counter", "kodomo", Role.COUNTER),
                                 ("bench_approver", "kodomo", Role.APPROVER),
                                 ("bench_sysadmin", "johosys", Role.SYSADMIN)):
        people[role] = Staff.objects.filter(username=username).first() or staff_create(
            actor=None, username=username, department_code=code, role=role, password=secrets.token_urlsafe(16))
    return people


def built() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM victims_target WHERE atena_no >= %s", [str(ATENA_BASE)])
        targets = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM intermediary_operation")
        operations = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM flags_changerequest WHERE status = 'pending'")
        pending = cur.fetchone()[0]
    if (targets, operations, pending) == (N_TARGETS, N_OPERATIONS, N_PENDING):
        return True
    if targets or operations or pending:
        raise SystemExit(f"the database holds another volume ({targets:,} targets, {operations:,} operations, "
                         f"{pending:,} pending); drop {DATABASE_URL.rsplit('/', 1)[1]} or use those sizes")
    return False


def build(people) -> None:
    from django.contrib.auth.models import Permission
    from django.db import connection, transaction

    from accounts.models import Department, Role
    from core.policy import VIEW_TARGET

    dept = Department.objects.get(code="kodomo")
    counter, approver = people[Role.COUNTER].pk, people[Role.APPROVER].pk
    perm = Permission.objects.get(codename=VIEW_TARGET, content_type__app_label="victims").pk
    with transaction.atomic(), connection.cursor() as cur:
        # Targets 1..N_PENDING are pending registrations (one pending "set" each), the rest active.
        cur.execute("""
            INSERT INTO victims_target (atena_no, name, name_kana, birth_date, harm_types, owning_department_id,
                status, is_victim, is_victim_confirmed_by_id, is_victim_confirmed_at, fled, fled_confirmed_by_id,
                fled_confirmed_at, basis, basis_confirmed_by_id, basis_confirmed_at, jumin_support_active,
                explained_mynaportal, explained_jumin, explained_card_suspension, explained_agent_release,
                request_origin, request_body_name, notes, created_by_id, created_at, updated_at)
            SELECT (%(base)s + i)::text, '対象 ' || i, 'タイショウ ' || lpad(i::text, 6, '0'),
                   date '1960-01-01' + (i %% 20000), '["dv"]'::jsonb, %(dept)s,
                   CASE WHEN i <= %(pending)s THEN 'pending' ELSE 'active' END,
                   true, %(counter)s, now() - (i || ' minutes')::interval, true, %(counter)s,
                   now() - (i || ' minutes')::interval, 'request', %(counter)s, now() - (i || ' minutes')::interval,
                   false, true, true, true, true, 'counter', '', '', %(counter)s,
                   now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval
            FROM generate_series(1, %(n)s) AS i""",
                    {"base": ATENA_BASE, "dept": dept.pk, "pending": N_PENDING, "counter": counter, "n": N_TARGETS})
        cur.execute("""
            INSERT INTO victims_targetgroupobjectpermission (content_object_id, group_id, permission_id)
            SELECT id, %s, %s FROM victims_target WHERE atena_no >= %s""", [dept.group_id, perm, str(ATENA_BASE)])
        cur.execute("""
            INSERT INTO flags_changerequest (target_id, action, status, department_id, deciding_department_id,
                requested_by_id, requested_at, release_reason, comment, decision_reason, withdrawal_reason)
            SELECT id, 'set', 'pending', %(dept)s, %(dept)s, %(counter)s, created_at, '', '', '', ''
            FROM victims_target WHERE atena_no > %(lo)s AND atena_no <= %(hi)s""",
                    {"dept": dept.pk, "counter": counter, "lo": str(ATENA_BASE), "hi": str(ATENA_BASE + N_PENDING)})
        # The long history: N_HISTORY decided amendments of the last target.
        cur.execute("""
            INSERT INTO flags_changerequest (target_id, action, status, department_id, deciding_department_id,
                requested_by_id, requested_at, release_reason, comment, decided_by_id, decided_department_id,
                decided_at, decision_reason, withdrawal_reason)
            SELECT t.id, 'amend', CASE WHEN j %% 3 = 0 THEN 'rejected' ELSE 'approved' END, %(dept)s, %(dept)s,
                   %(counter)s, now() - (j || ' days')::interval, '', '変更 ' || j, %(approver)s, %(dept)s,
                   now() - (j || ' days')::interval + interval '1 hour', '', ''
            FROM victims_target t, generate_series(1, %(h)s) AS j WHERE t.atena_no = %(hot)s""",
                    {"dept": dept.pk, "counter": counter, "approver": approver, "h": N_HISTORY,
                     "hot": str(ATENA_BASE + N_TARGETS)})
        # Operations spread over the targets' units (unit_seq 1, 2, … per unit); most reflected,
        # a backlog of pending / sent / failed / dead.
        cur.execute("""
            INSERT INTO intermediary_operation (id, unit_type, unit_key, flag_kind, action, unit_seq, status,
                created_at, channel, attempts, last_error_code, last_error_message)
            SELECT gen_random_uuid(), 'atena', (%(base)s + 1 + i %% %(n)s)::text,
                   CASE WHEN (i / %(n)s) %% 2 = 0 THEN 'NO_AUTO_RESPONSE' ELSE 'NONDISCLOSURE' END,
                   'set', i / %(n)s + 1,
                   CASE WHEN i %% 1000 = 1 THEN 'pending' WHEN i %% 1000 = 2 THEN 'sent'
                        WHEN i %% 1000 = 3 THEN 'failed' WHEN i %% 100000 = 4 THEN 'dead' ELSE 'reflected' END,
                   now() - (i || ' seconds')::interval, 'web_service', 1, '', ''
            FROM generate_series(0, %(ops)s - 1) AS i""", {"base": ATENA_BASE, "n": N_TARGETS, "ops": N_OPERATIONS})
    with connection.cursor() as cur:
        cur.execute("ANALYZE victims_target; ANALYZE victims_targetgroupobjectpermission; "
                    "ANALYZE flags_changerequest; ANALYZE intermediary_operation")


def client_for(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def median_ms(call) -> float:
    call()  # warm: connection, plans, caches
    out = []
    for _ in range(RUNS):
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return statistics.median(out) * 1000


def main() -> None:
    t = time.perf_counter()
    database()
    people = staff()
    if built():
        print(f"volume kept in {DATABASE_URL.rsplit('/', 1)[1]} (build skipped)")
    else:
        build(people)
        print(f"built in {time.perf_counter() - t:.1f} s")
    from django.db import connection
    from django.urls import reverse

    from accounts.models import Role
    from victims.models import Target

    hot = Target.objects.get(atena_no=str(ATENA_BASE + N_TARGETS))
    print(f"volume: {N_TARGETS:,} targets, {N_OPERATIONS:,} operations, {N_PENDING:,} pending change requests "
          f"awaiting one approver, a detail with {N_HISTORY:,} decided requests; median of {RUNS} runs")
    screens = [
        ("shared list", Role.COUNTER, reverse("victims:shared")),
        ("worklist", Role.COUNTER, reverse("victims:worklist")),
        ("approval queue", Role.APPROVER, reverse("approvals:queue")),
        ("sync monitor", Role.SYSADMIN, reverse("intermediary:monitor")),
        ("target detail (long history)", Role.COUNTER, reverse("victims:detail", args=[hot.pk])),
    ]

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute(BASELINE_SQL)
            cur.fetchall()

    baseline = median_ms(raw)
    print(f"raw baseline `{BASELINE_SQL}`: {baseline:.2f} ms")
    print(f"{'screen':<30} {'role':<9} {'median ms':>10} {'KB':>8} {'x raw':>8}  verdict (< {TARGET_MS:.0f} ms, "
          f"< {TARGET_KB:.0f} KB)")
    failed = 0
    for label, role, url in screens:
        client = client_for(people[role])
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{label}: {url} answered {response.status_code}")
        kb = len(response.content) / 1024
        ms = median_ms(lambda client=client, url=url: client.get(url))
        ok = ms < TARGET_MS and kb < TARGET_KB
        failed += not ok
        verdict = "OK" if ok else "FAIL" + (" time" if ms >= TARGET_MS else "") + (" size" if kb >= TARGET_KB else "")
        print(f"{label:<30} {role:<9} {ms:>10.1f} {kb:>8.1f} {ms / baseline:>8.1f}  {verdict}")
    print(f"{len(screens) - failed}/{len(screens)} screens within both targets")


if __name__ == "__main__":
    main()

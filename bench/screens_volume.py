"""The volume behind bench/screens_scale.py: what seven years of the product's own services
leave for N_TARGETS people, built with raw SQL (INSERT ... SELECT over generate_series).

The shape comes from the services: `service_shape()` registers, approves, amends, releases and
re-registers a few people through victims.services (in a transaction that is rolled back) and
reports the rows each step wrote per table; `build()` writes the same rows, and the JSON the
services store (a receipt's intake, an amendment's request and before/after) is taken from
that sample, so the screens read what they would read in production. What a registration
and its decisions leave, per person:

- the target (identity, ア・イ・ウ with who confirmed them, 住基DV等支援措置 for some), the
  owning department's view/change object permissions, one receipt (Registration) per period;
- its cases per period (①-I with the abuser's number, ②-I with what was left behind and the
  confirmations of its procedures, ②-II with the legal representative; a minor for a parent),
  ProtectionPeriod rows once the person was registered again (none for a single period);
- change requests: set, release, set, … each decided by an approver of the department (never
  the requester), releases naming the cases they end, some approved amendments with their
  Amendment row; one outbox operation per flag per decision, linked to the request, numbered
  per unit (unit_seq) and mostly reflected, a backlog on the newest ones; the FlagState;
- a notice to every other linkage department per set and release, acknowledged except recent
  ones; grants of access to another department for some; 転出 設定依頼 for a few;
- reminder records: the product's daily job (reminders_record_and_alert) run once at the end.

Deterministic: every choice is a hash of the person's index (hashint8) and each operation's id
an md5 of (person, request, flag), so a build with the same sizes is the same data (serial ids
aside, and times relative to the build's now()). The 100,000-person volume of the figures in
ADR 0085 was built before the ids were: its operation ids are random.
Not built: audit events (bench/audit_scale.py builds 20M of them), review tasks from the
住基 integration, provision decisions, record corrections, XML batches."""
import json

ATENA_BASE = 300_000_000_000_000
ABUSER_BASE = 600_000_000_000_000
# 団体内の情報連携をする所属 (code, name, share of the targets it owns out of 20). The bench's
# counter and approver work in kodomo, the largest owner: the worklist and the queue at their worst.
DEPARTMENTS = (("kodomo", "子ども家庭支援課", 10), ("fukushi", "生活福祉課", 4), ("shimin", "市民課", 3),
               ("kenko", "健康推進課", 2), ("kaigo", "介護保険課", 1), ("zeimu", "税務課", 0),
               ("gakumu", "学務課", 0))
SURNAMES = (("山田", "ヤマダ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
            ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"),
            ("吉田", "ヨシダ"), ("山本", "ヤマモト"), ("松本", "マツモト"), ("井上", "イノウエ"), ("木村", "キムラ"),
            ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"), ("山崎", "ヤマザキ"), ("森", "モリ"))
GIVEN = (("花子", "ハナコ"), ("陽菜", "ヒナ"), ("結衣", "ユイ"), ("美咲", "ミサキ"), ("さくら", "サクラ"),
         ("葵", "アオイ"), ("凛", "リン"), ("翔", "ショウ"), ("蓮", "レン"), ("大翔", "ヒロト"),
         ("真由美", "マユミ"), ("裕子", "ユウコ"), ("恵子", "ケイコ"), ("直美", "ナオミ"), ("由美", "ユミ"),
         ("智子", "トモコ"), ("明美", "アケミ"), ("久美子", "クミコ"), ("陽太", "ヨウタ"), ("優奈", "ユウナ"))


def staff(password: str):
    """The departments (the seven linkage ones and the system department) and two counters and
    two approvers in each, made once; the password is set again on every run (the HTTP
    benchmark logs in with it). Returns {department code: {"c1", "c2", "a1", "a2": Staff}}
    and the system admin."""
    from accounts.models import Department, Role, Staff
    from accounts.services import department_create, staff_create

    for code, name, _ in DEPARTMENTS:
        if not Department.objects.filter(code=code).exists():
            department_create(actor=None, code=code, name=name, does_linkage=True)
    if not Department.objects.filter(code="johosys").exists():
        department_create(actor=None, code="johosys", name="情報システム課", does_linkage=False)
    people: dict[str, dict[str, Staff]] = {}
    for code, _, _ in DEPARTMENTS:
        # kodomo's first counter and approver keep the names the benchmark has always used.
        names = {"c1": "bench_counter", "a1": "bench_approver"} if code == "kodomo" else {}
        people[code] = {}
        for key, role in (("c1", Role.COUNTER), ("c2", Role.COUNTER), ("a1", Role.APPROVER), ("a2", Role.APPROVER)):
            username = names.get(key, f"bench_{code}_{key}")
            people[code][key] = _staff(username, code, role, password, staff_create)
    sysadmin = _staff("bench_sysadmin", "johosys", Role.SYSADMIN, password, staff_create)
    return people, sysadmin


def _staff(username, code, role, password, staff_create):
    from accounts.models import Staff

    found = Staff.objects.filter(username=username).first()
    if found is None:
        return staff_create(actor=None, username=username, department_code=code, role=role, password=password)
    found.set_password(password)
    found.save(update_fields=["password"])
    return found


class _RolledBack(Exception):
    pass


TRACKED_TABLES = ("victims_target", "victims_targetgroupobjectpermission", "victims_registration",
                  "victims_protectionperiod", "victims_caseassessment", "flags_changerequest",
                  "flags_changerequest_release_cases", "victims_amendment", "intermediary_operation",
                  "flags_flagstate", "flags_notice", "victims_grantrecord", "victims_onwardrequest")


def _counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        out = {}
        for table in TRACKED_TABLES:
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - table names are constants above
            out[table] = cur.fetchone()[0]
        return out


def service_shape(people) -> tuple[list[tuple[str, dict[str, int]]], dict[str, object]]:
    """One person through the product's services — register (②-I), approve, amend (a kana
    correction), approve, release, approve, register again, approve — with the rows each step
    added, and the JSON the services stored; all rolled back."""
    from django.db import transaction
    from django.utils import timezone

    from victims.models import Amendment, Registration, Target
    from victims.services import (
        amendment_request,
        change_request_approve,
        registration_submit,
        release_request_create,
    )

    counter, approver = people["kodomo"]["c1"], people["kodomo"]["a1"]
    today = timezone.localdate()
    payload = {"atena_no": str(ATENA_BASE - 1), "name": "見本　花子", "name_kana": "ミホン　ハナコ",
               "birth_date": "1990-04-01", "harm_types": ["dv"], "fled": True, "basis": "request",
               "jumin_support": {"active": False}, "cases": [{"type": "2-I", "card_left": True}],
               "explanations": {"mynaportal": True, "card_suspension": True}}
    steps: list[tuple[str, dict[str, int]]] = []
    stored: dict[str, object] = {}

    def step(label, call):
        before = _counts()
        result = call()
        after = _counts()
        steps.append((label, {t: after[t] - before[t] for t in TRACKED_TABLES if after[t] != before[t]}))
        return result

    try:
        with transaction.atomic():
            step("register (2-I)", lambda: registration_submit(actor=counter, payload=payload, today=today))
            target = Target.objects.get(atena_no=payload["atena_no"])
            stored["intake"] = Registration.objects.get(created_target=target).intake
            step("approve set", lambda: change_request_approve(
                actor=approver, change_request_id=target.change_requests.get(status="pending").pk))
            step("amend (kana)", lambda: amendment_request(
                actor=counter, target_id=target.pk, today=today,
                payload={"reason": "カナの誤記", "personal": {"name_kana": "ミホン　ハナ"}}))
            step("approve amend", lambda: change_request_approve(
                actor=approver, change_request_id=target.change_requests.get(status="pending").pk))
            amendment = Amendment.objects.get(target=target)
            stored["amendment"] = {"reason": amendment.reason, "requested": amendment.requested,
                                   "before": amendment.before, "after": amendment.after}
            step("release (wish)", lambda: release_request_create(
                actor=counter, target_id=target.pk, reason="wish", case_ids=None))
            step("approve release", lambda: change_request_approve(
                actor=approver, change_request_id=target.change_requests.get(status="pending").pk))
            step("register again", lambda: registration_submit(actor=counter, payload=payload, today=today))
            step("approve set", lambda: change_request_approve(
                actor=approver, change_request_id=target.change_requests.get(status="pending").pk))
            raise _RolledBack
    except _RolledBack:
        pass
    return steps, stored


def _h(salt: int) -> str:
    """A deterministic hash of the plan row's index, >= 0 (SQL text)."""
    return f"abs(hashint8(p.i::bigint * 1000003 + {salt}))"


def sql(cur, statement: str, params=None) -> None:
    """Every statement with parameters, so that %% is always the modulo operator."""
    cur.execute(statement, {} if params is None else params)


def build(people, *, n_targets: int, n_operations: int, n_pending: int, n_history: int,
          stored: dict[str, object]) -> dict[str, int]:
    """Write the volume (see the module docstring); returns the rows per table."""
    from django.contrib.auth.models import Permission
    from django.db import connection, transaction

    from accounts.models import Department

    perms = list(Permission.objects.filter(codename__in=["view_target", "change_target"],
                                           content_type__app_label="victims").values_list("pk", flat=True))
    depts = {d.code: d for d in Department.objects.filter(code__in=[c for c, _, _ in DEPARTMENTS])}
    intake = json.dumps(stored["intake"], ensure_ascii=False)
    amendment = stored["amendment"]
    assert isinstance(amendment, dict)
    n_pending_reg = n_pending * 4 // 5  # new registrations; the rest: releases of active people
    with transaction.atomic(), connection.cursor() as cur:
        sql(cur, "CREATE TEMP TABLE bench_dept (ord int, id int, group_id int, c1 int, c2 int, a1 int, a2 int,"
                    " share_lo int, share_hi int) ON COMMIT DROP")
        lo = 0
        for ord_, (code, _, share) in enumerate(DEPARTMENTS):
            d, s = depts[code], people[code]
            sql(cur, "INSERT INTO bench_dept VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [ord_, d.pk, d.group_id, s["c1"].pk, s["c2"].pk, s["a1"].pk, s["a2"].pk, lo, lo + share])
            lo += share
        n_linkage = len(DEPARTMENTS)
        # The plan: one row per person, every choice a hash of its index i.
        #   mix 0: ②-I (both flags), 1: ②-II (不開示), 2: ①-I (no flag), 3: ①-I + ②-I (both flags)
        #   d: its decided set/release requests (odd: set now, even: released), pend: a pending
        #   set (registration) or release of the bench's department.
        sql(cur, f"""
            CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
            SELECT p.i, (%(base)s + p.i)::text AS atena,
                   CASE WHEN p.i = %(n)s THEN 3 WHEN {_h(1)} %% 100 < 45 THEN 0 WHEN {_h(1)} %% 100 < 65 THEN 1
                        WHEN {_h(1)} %% 100 < 85 THEN 2 ELSE 3 END AS mix,
                   CASE WHEN p.i <= %(pending)s OR p.i = %(n)s THEN 0 ELSE {_h(2)} %% 20 END AS share,
                   CASE WHEN p.i <= %(pending_reg)s THEN 'set' WHEN p.i <= %(pending)s THEN 'release' END AS pend,
                   {_h(3)} AS h3, {_h(4)} AS h4, {_h(5)} AS h5
            FROM generate_series(1, %(n)s) AS p(i)""",
                    {"base": ATENA_BASE, "n": n_targets, "pending": n_pending, "pending_reg": n_pending_reg})
        sql(cur, "ALTER TABLE bench_plan ADD nflags int, ADD d int, ADD dept int, ADD t0 timestamptz,"
                    " ADD gap interval, ADD pend_at timestamptz, ADD periods int, ADD amends int, ADD status text")
        sql(cur, "UPDATE bench_plan p SET nflags = CASE mix WHEN 1 THEN 1 WHEN 2 THEN 0 ELSE 2 END,"
                    " dept = (SELECT id FROM bench_dept b WHERE p.share >= b.share_lo AND p.share < b.share_hi)")
        # Decisions per person, uniform in 1..spread, chosen so that one flag operation per flag
        # and decision add up to about n_operations (each decision moves every flag of the person).
        sql(cur, "SELECT coalesce(sum(nflags), 0) FROM bench_plan WHERE pend IS NULL OR pend = 'release'")
        flag_units = cur.fetchone()[0] or 1
        spread = max(1, round(2 * n_operations / flag_units - 1))
        sql(cur, """
            UPDATE bench_plan p SET
                d = CASE WHEN p.i = %(n)s THEN 39
                         WHEN pend = 'set' THEN CASE WHEN h5 %% 10 = 0 THEN 2 ELSE 0 END
                         WHEN pend = 'release' THEN 2 * (h5 %% greatest(1, (%(spread)s + 1) / 2)) + 1
                         ELSE 1 + h5 %% %(spread)s END,
                pend_at = CASE WHEN pend IS NOT NULL THEN now() - ((h3 %% 20000) + 1) * interval '1 minute' END,
                t0 = CASE WHEN p.i = %(n)s THEN now() - interval '7 years'
                          WHEN pend = 'set' AND h5 %% 10 <> 0 THEN now() - ((h3 %% 20000) + 1) * interval '1 minute'
                          ELSE now() - interval '7 years' * (0.02 + 0.93 * (h3 %% 10000) / 10000.0) END""",
                    {"n": n_targets, "spread": spread})
        sql(cur, """
            UPDATE bench_plan SET
                gap = CASE WHEN d = 0 THEN interval '0' WHEN pend IS NOT NULL THEN (pend_at - t0) / (d + 1)
                           ELSE (now() - t0) / d END,
                periods = CASE WHEN pend = 'set' THEN d / 2 + 1 ELSE (d + 1) / 2 END,
                status = CASE WHEN pend = 'set' THEN 'pending' WHEN d %% 2 = 1 THEN 'active' ELSE 'released' END""")
        sql(cur, "UPDATE bench_plan SET amends = CASE WHEN i = %(n)s THEN %(hist)s - d"
                    " WHEN status = 'active' AND pend IS NULL AND h4 %% 10 < 3 THEN 1 ELSE 0 END",
                    {"n": n_targets, "hist": n_history})
        sql(cur, "CREATE INDEX ON bench_plan (i); ANALYZE bench_plan")

        # Names from common surnames and given names (so that a kana search finds many).
        sql(cur, "CREATE TEMP TABLE bench_names (k int, name text, kana text) ON COMMIT DROP")
        rows = [(k, f"{s}\u3000{g}", f"{sk}\u3000{gk}") for k, ((s, sk), (g, gk)) in
                enumerate((s, g) for s in SURNAMES for g in GIVEN)]
        cur.executemany("INSERT INTO bench_names VALUES (%s, %s, %s)", rows)
        n_names = len(rows)

        # Targets. Birth dates: a ②-II minor (a parent as legal representative) is under 18
        # while protected; everyone else an adult.
        sql(cur, f"""
            INSERT INTO victims_target (atena_no, name, name_kana, birth_date, harm_types, owning_department_id,
                status, is_victim, is_victim_confirmed_by_id, is_victim_confirmed_at, fled, fled_confirmed_by_id,
                fled_confirmed_at, basis, basis_confirmed_by_id, basis_confirmed_at, jumin_support_active,
                jumin_support_start, jumin_support_end,
                explained_mynaportal, explained_jumin, explained_card_suspension, explained_agent_release,
                request_origin, request_body_name, request_received_on, notes, created_by_id, created_at, updated_at)
            SELECT p.atena, n.name, n.kana,
                   CASE WHEN p.mix = 1 AND p.h4 %% 5 <> 0
                        THEN current_date - (365 * (1 + p.h4 %% 16) + p.h3 %% 365)
                        ELSE date '1950-01-01' + (p.h4 %% 18000) END,
                   CASE WHEN p.mix = 1 THEN '["child_abuse"]'::jsonb WHEN p.h4 %% 7 = 0 THEN '["stalking"]'::jsonb
                        ELSE '["dv"]'::jsonb END,
                   p.dept, p.status, true, b.c1, ls.at, true, b.c1, ls.at,
                   CASE WHEN p.h5 %% 9 = 0 THEN 'ex_officio' ELSE 'request' END, b.c1, ls.at,
                   j.on, CASE WHEN j.on THEN j.start END, CASE WHEN j.on THEN j.start + interval '1 year' END,
                   true, true, p.mix IN (0, 3), p.mix IN (0, 3) AND p.h4 %% 5 = 0,
                   CASE WHEN p.h5 %% 13 = 0 THEN 'dv_center' ELSE 'counter' END,
                   CASE WHEN p.h5 %% 13 = 0 THEN '配偶者暴力相談支援センター' ELSE '' END,
                   CASE WHEN p.h5 %% 13 = 0 THEN ls.at::date END,
                   '', b.c1, p.t0, coalesce(p.pend_at, p.t0 + (p.d - 1) * p.gap + p.gap / 4)
            FROM bench_plan p JOIN bench_dept b ON b.id = p.dept
            JOIN bench_names n ON n.k = p.h3 %% {n_names}
            CROSS JOIN LATERAL (SELECT CASE WHEN p.pend = 'set' THEN p.pend_at
                                            ELSE p.t0 + 2 * (p.periods - 1) * p.gap END AS at) ls
            CROSS JOIN LATERAL (SELECT p.status = 'active' AND p.pend IS NULL AND p.h4 %% 10 < 3 AS on,
                                       current_date - (p.h5 %% 365) AS start) j
            ORDER BY p.i""")
        sql(cur, "ALTER TABLE bench_plan ADD tid int")
        sql(cur, "UPDATE bench_plan p SET tid = t.id FROM victims_target t WHERE t.atena_no = p.atena")
        sql(cur, """
            INSERT INTO victims_targetgroupobjectpermission (content_object_id, group_id, permission_id)
            SELECT p.tid, b.group_id, perm FROM bench_plan p JOIN bench_dept b ON b.id = p.dept,
                   unnest(%s::int[]) AS perm""", [perms])

        # Periods: k = 1..periods; period k starts with request 2k-1 (the pending registration
        # for the last period of a re-registration) and ends with the release 2k. Registrations
        # (受付票), one per period; ProtectionPeriod rows only for a person registered more than once.
        sql(cur, """
            CREATE TEMP TABLE bench_period ON COMMIT DROP AS
            SELECT p.i, k, nextval('victims_registration_id_seq') AS reg_id,
                   CASE WHEN p.periods > 1 THEN nextval('victims_protectionperiod_id_seq') END AS period_id,
                   CASE WHEN p.pend = 'set' AND k = p.periods THEN p.pend_at ELSE p.t0 + 2 * (k - 1) * p.gap END
                       AS started_at,
                   CASE WHEN 2 * k <= p.d THEN p.t0 + (2 * k - 1) * p.gap + p.gap / 4 END AS ended_at
            FROM bench_plan p, generate_series(1, p.periods) AS k""")
        sql(cur, """
            INSERT INTO victims_registration (id, department_id, submitted_by_id, created_at, intake, created_target_id)
            SELECT r.reg_id, p.dept, b.c1, r.started_at,
                   jsonb_set(jsonb_set(jsonb_set(%s::jsonb, '{atena_no}', to_jsonb(t.atena_no)),
                                       '{name}', to_jsonb(t.name)), '{name_kana}', to_jsonb(t.name_kana)),
                   p.tid
            FROM bench_period r JOIN bench_plan p USING (i) JOIN bench_dept b ON b.id = p.dept
            JOIN victims_target t ON t.id = p.tid""", [intake])
        sql(cur, """
            INSERT INTO victims_protectionperiod (id, target_id, number, started_at, ended_at,
                                                  opened_by_registration_id)
            SELECT r.period_id, p.tid, r.k, r.started_at, r.ended_at, r.reg_id
            FROM bench_period r JOIN bench_plan p USING (i) WHERE r.period_id IS NOT NULL""")
        # Cases of each period: those of the person's mix; active in the last period of a
        # protected person. ②-I procedures confirmed when the period ended, and for 60 %% of
        # the people protected now (the rest are followed up: procedure reminders).
        sql(cur, """
            CREATE TEMP TABLE bench_case ON COMMIT DROP AS
            SELECT r.i, r.k, c.case_type, nextval('victims_caseassessment_id_seq') AS id
            FROM bench_period r JOIN bench_plan p USING (i),
                 unnest(CASE p.mix WHEN 0 THEN ARRAY['2-I'] WHEN 1 THEN ARRAY['2-II'] WHEN 2 THEN ARRAY['1-I']
                                   ELSE ARRAY['1-I', '2-I'] END) AS c(case_type)""")
        sql(cur, """
            INSERT INTO victims_caseassessment (id, target_id, period_id, case_type, active, ended_at,
                abuser_atena_no, abuser_name, card_left, card_suspension_confirmed_on, card_suspension_confirmed_by_id,
                smartphone_left, smartphone_suspension_confirmed_on, smartphone_suspension_confirmed_by_id,
                agent_set, agent_release_confirmed_on, agent_release_confirmed_by_id,
                legal_representative, end_condition, representation_ended_on, representation_ended_confirmed_by_id,
                created_at)
            SELECT c.id, p.tid, r.period_id, c.case_type, a.active, CASE WHEN NOT a.active THEN r.ended_at END,
                   CASE WHEN c.case_type = '1-I' THEN (%(abuser)s + p.i * 10 + r.k)::text ELSE '' END,
                   CASE WHEN c.case_type = '1-I' THEN '加害者　' || p.i ELSE '' END,
                   c.case_type = '2-I', CASE WHEN c.case_type = '2-I' AND conf.done THEN conf.on END,
                   CASE WHEN c.case_type = '2-I' AND conf.done THEN b.c2 END,
                   c.case_type = '2-I' AND p.h4 %% 3 = 0,
                   CASE WHEN c.case_type = '2-I' AND p.h4 %% 3 = 0 AND conf.done THEN conf.on END,
                   CASE WHEN c.case_type = '2-I' AND p.h4 %% 3 = 0 AND conf.done THEN b.c2 END,
                   c.case_type = '2-I' AND p.h4 %% 5 = 0,
                   CASE WHEN c.case_type = '2-I' AND p.h4 %% 5 = 0 AND conf.done THEN conf.on END,
                   CASE WHEN c.case_type = '2-I' AND p.h4 %% 5 = 0 AND conf.done THEN b.c2 END,
                   CASE WHEN c.case_type <> '2-II' THEN '' WHEN p.h4 %% 5 <> 0 THEN 'parent' ELSE 'guardian' END,
                   CASE WHEN c.case_type <> '2-II' THEN '' WHEN p.h4 %% 5 <> 0 THEN '本人の18歳到達'
                        ELSE '成年後見人の交代' END,
                   CASE WHEN c.case_type = '2-II' AND NOT a.active AND r.ended_at IS NOT NULL
                        THEN r.ended_at::date END,
                   CASE WHEN c.case_type = '2-II' AND NOT a.active AND r.ended_at IS NOT NULL THEN b.c2 END,
                   r.started_at
            FROM bench_case c JOIN bench_period r USING (i, k) JOIN bench_plan p USING (i)
            JOIN bench_dept b ON b.id = p.dept
            CROSS JOIN LATERAL (SELECT r.k = p.periods AND p.status IN ('active', 'pending') AS active) a
            CROSS JOIN LATERAL (SELECT (r.ended_at IS NOT NULL OR p.h5 %% 10 < 6) AND p.status <> 'pending' AS done,
                                       coalesce(r.ended_at, r.started_at + interval '20 days')::date AS on) conf""",
                    {"abuser": ABUSER_BASE})

        # Change requests: j = 1..d decided set/release (j odd: set), then the amendments, then
        # the pending one. Requested by a counter, decided by an approver of the department.
        sql(cur, """
            CREATE TEMP TABLE bench_cr ON COMMIT DROP AS
            SELECT p.i, j, nextval('flags_changerequest_id_seq') AS id,
                   CASE WHEN j <= p.d THEN CASE WHEN j %% 2 = 1 THEN 'set' ELSE 'release' END
                        WHEN j <= p.d + p.amends THEN 'amend' ELSE p.pend END AS action,
                   CASE WHEN j > p.d + p.amends THEN 'pending'
                        WHEN j > p.d AND p.i = %(n)s AND j %% 3 = 0 THEN 'rejected' ELSE 'approved' END AS status,
                   CASE WHEN j <= p.d THEN p.t0 + (j - 1) * p.gap
                        WHEN j <= p.d + p.amends
                        THEN p.t0 + (p.d - 1) * p.gap + p.gap / 4
                             + (now() - p.t0 - (p.d - 1) * p.gap - p.gap / 4) * (j - p.d) / (p.amends + 1)
                        ELSE p.pend_at END AS requested_at
            FROM bench_plan p, generate_series(1, p.d + p.amends + (p.pend IS NOT NULL)::int) AS j""",
                    {"n": n_targets})
        sql(cur, """
            INSERT INTO flags_changerequest (id, target_id, action, status, department_id, deciding_department_id,
                requested_by_id, requested_at, release_reason, comment, decided_by_id, decided_department_id,
                decided_at, decision_reason, withdrawal_reason)
            SELECT c.id, p.tid, c.action, c.status, p.dept, p.dept, CASE WHEN c.j %% 2 = 0 THEN b.c2 ELSE b.c1 END,
                   c.requested_at,
                   CASE WHEN c.action <> 'release' THEN '' WHEN p.mix = 1 THEN '2-II_ended'
                        WHEN p.mix IN (0, 3) AND p.h4 %% 2 = 0 THEN '2-I_complete' ELSE 'wish' END,
                   '', CASE WHEN c.status <> 'pending' THEN CASE WHEN p.i %% 2 = 0 THEN b.a1 ELSE b.a2 END END,
                   CASE WHEN c.status <> 'pending' THEN p.dept END,
                   CASE WHEN c.status = 'pending' THEN NULL
                        WHEN c.action = 'amend' THEN c.requested_at + interval '1 hour'
                        ELSE c.requested_at + p.gap / 4 END,
                   CASE WHEN c.status = 'rejected' THEN '変更の必要が確認できないため' ELSE '' END, ''
            FROM bench_cr c JOIN bench_plan p USING (i) JOIN bench_dept b ON b.id = p.dept""")
        # A release names the cases it ends: those of its period (a pending one: the active ones).
        sql(cur, """
            INSERT INTO flags_changerequest_release_cases (changerequest_id, caseassessment_id)
            SELECT c.id, k.id FROM bench_cr c JOIN bench_plan p USING (i)
            JOIN bench_case k ON k.i = c.i AND k.k = CASE WHEN c.status = 'pending' THEN p.periods ELSE c.j / 2 END
            WHERE c.action = 'release'""")
        sql(cur, """
            INSERT INTO victims_amendment (change_request_id, target_id, reason, requested, before, after)
            SELECT c.id, p.tid, %s, %s::jsonb, CASE WHEN c.status = 'approved' THEN %s::jsonb END,
                   CASE WHEN c.status = 'approved' THEN %s::jsonb END
            FROM bench_cr c JOIN bench_plan p USING (i) WHERE c.action = 'amend'""",
                    [amendment["reason"], json.dumps(amendment["requested"], ensure_ascii=False),
                     json.dumps(amendment["before"], ensure_ascii=False),
                     json.dumps(amendment["after"], ensure_ascii=False)])

        # Operations: one per flag of the person per decided set/release, numbered per unit
        # (unit_seq = j), delivered by the web service and reflected within a minute, except a
        # backlog on the newest one of some units (pending, sent, failed, dead).
        sql(cur, """
            INSERT INTO intermediary_operation (id, change_request_id, unit_type, unit_key, flag_kind, action,
                unit_seq, status, created_at, channel, attempts, next_attempt_at, claimed_at, sent_at, reflected_at,
                failing_since, last_error_code, last_error_message)
            SELECT md5(p.i || ':' || c.j || ':' || f.kind)::uuid, c.id, 'atena', p.atena, f.kind, c.action, c.j,
                   s.status, d.at, 'web_service',
                   CASE WHEN s.status = 'pending' THEN 0 WHEN s.status = 'dead' THEN 8
                        WHEN s.status = 'failed' THEN 2 ELSE 1 END,
                   CASE WHEN s.status = 'failed' THEN now() + interval '5 minutes' END,
                   CASE WHEN s.status <> 'pending' THEN d.at END,
                   CASE WHEN s.status IN ('sent', 'reflected') THEN d.at + interval '1 second' END,
                   CASE WHEN s.status = 'reflected' THEN d.at + interval '40 seconds' END,
                   CASE WHEN s.status IN ('failed', 'dead') THEN d.at END,
                   CASE WHEN s.status IN ('failed', 'dead') THEN 'E503' ELSE '' END,
                   CASE WHEN s.status IN ('failed', 'dead') THEN 'service unavailable' ELSE '' END
            FROM bench_cr c JOIN bench_plan p USING (i)
            JOIN flags_changerequest r ON r.id = c.id
            CROSS JOIN LATERAL (SELECT r.decided_at AS at) d
            CROSS JOIN LATERAL unnest(CASE p.nflags WHEN 2 THEN ARRAY['NO_AUTO_RESPONSE', 'NONDISCLOSURE']
                                      WHEN 1 THEN ARRAY['NONDISCLOSURE'] ELSE ARRAY[]::text[] END) AS f(kind)
            CROSS JOIN LATERAL (SELECT CASE WHEN c.j < p.d THEN 'reflected' WHEN p.h3 %% 1000 = 1 THEN 'pending'
                                            WHEN p.h3 %% 1000 = 2 THEN 'sent' WHEN p.h3 %% 1000 = 3 THEN 'failed'
                                            WHEN p.h3 %% 20000 = 4 THEN 'dead' ELSE 'reflected' END AS status) s
            WHERE c.j <= p.d""")
        sql(cur, """
            INSERT INTO flags_flagstate (unit_type, unit_key, flag_kind, desired, desired_at, reflected, reflected_at,
                                         seq)
            SELECT 'atena', o.unit_key, o.flag_kind, o.action = 'set', o.created_at,
                   CASE WHEN o.status = 'reflected' THEN o.action = 'set'
                        WHEN o.unit_seq > 1 THEN o.action <> 'set' END,
                   CASE WHEN o.status = 'reflected' THEN o.reflected_at WHEN o.unit_seq > 1 THEN o.created_at END,
                   o.unit_seq
            FROM intermediary_operation o JOIN bench_plan p ON p.atena = o.unit_key AND o.unit_seq = p.d""")
        sql(cur, """
            INSERT INTO intermediary_alert (kind, unit_type, unit_key, flag_kind, operation_id, detail, cause,
                                            created_at)
            SELECT 'dead', o.unit_type, o.unit_key, o.flag_kind, o.id, '{}'::jsonb, 'operation:' || o.id, o.created_at
            FROM intermediary_operation o WHERE o.status = 'dead'""")
        # Notices: every other linkage department, per decided set and release; acknowledged
        # the next day by its first counter, except those of the last week (half of them).
        sql(cur, """
            INSERT INTO flags_notice (department_id, kind, atena_no, name, change_request_id, created_at,
                                      acknowledged_at, acknowledged_by_id)
            SELECT o.id, c.action, p.atena, t.name, c.id, r.decided_at,
                   CASE WHEN ack.yes THEN r.decided_at + interval '1 day' END, CASE WHEN ack.yes THEN o.c1 END
            FROM bench_cr c JOIN bench_plan p USING (i) JOIN flags_changerequest r ON r.id = c.id
            JOIN victims_target t ON t.id = p.tid
            JOIN bench_dept o ON o.id <> p.dept
            CROSS JOIN LATERAL (SELECT r.decided_at < now() - interval '7 days' OR (p.h4 + o.ord) %% 2 = 0 AS yes) ack
            WHERE c.j <= p.d AND c.status = 'approved'""")
        # Grants (5 %% of the people protected now) to another linkage department, decided by the
        # owner's head: the grant record and the department's object permissions.
        sql(cur, f"""
            CREATE TEMP TABLE bench_grant ON COMMIT DROP AS
            SELECT p.i, p.tid, p.dept AS owner, g.id AS dept, g.group_id, b.a1,
                   p.t0 + (p.d - 1) * p.gap + p.gap / 2 AS at
            FROM bench_plan p JOIN bench_dept b ON b.id = p.dept
            JOIN bench_dept g ON g.ord = (b.ord + 1 + p.h5 %% {n_linkage - 1}) %% {n_linkage}
            WHERE p.status = 'active' AND p.h4 %% 20 = 7""")
        sql(cur, """
            INSERT INTO victims_grantrecord (target_id, department_id, kind, by_id, by_department_id, at, reason)
            SELECT tid, dept, 'granted', a1, owner, at, '支援の連携のため' FROM bench_grant""")
        sql(cur, """
            INSERT INTO victims_targetgroupobjectpermission (content_object_id, group_id, permission_id)
            SELECT g.tid, g.group_id, perm FROM bench_grant g, unnest(%s::int[]) AS perm""", [perms])
        # 転出 設定依頼 (1 %% of the people protected now), half confirmed by the other municipality.
        sql(cur, """
            INSERT INTO victims_onwardrequest (target_id, municipality_name, municipality_code, moved_on, note,
                                               issued_by_id, issued_at, confirmed_at, confirmed_by_id)
            SELECT p.tid, '転出先市', '131016', (now() - (p.h3 %% 120) * interval '1 day')::date, '',
                   b.c1, now() - (p.h3 %% 120) * interval '1 day',
                   CASE WHEN p.h5 %% 2 = 0 THEN now() - (p.h3 %% 120) * interval '1 day' + interval '10 days' END,
                   CASE WHEN p.h5 %% 2 = 0 THEN b.c1 END
            FROM bench_plan p JOIN bench_dept b ON b.id = p.dept
            WHERE p.status = 'active' AND p.h4 %% 100 = 13""")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return _counts()


def reminders_recorded() -> dict[str, int]:
    """The product's daily reminder job, once, over the built volume."""
    from django.utils import timezone

    from victims.reminders import reminders_record_and_alert

    return reminders_record_and_alert(now=timezone.now())


def describe(counts: dict[str, int], n_targets: int) -> str:
    return "\n".join(f"  {table:<40} {rows:>12,}  ({rows / n_targets:.2f} per target)"
                     for table, rows in counts.items())



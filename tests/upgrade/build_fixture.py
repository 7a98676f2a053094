"""Build the upgrade-test fixture of ONE release, from a checkout of that release.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<an empty database> \\
        .venv/bin/python tests/upgrade/build_fixture.py tests/upgrade/fixtures/<commit>

(or, to rebuild an old fixture, its own copy, from a checkout of ITS commit:
 .venv/bin/python tests/upgrade/fixtures/<commit>/build_fixture.py /tmp/rebuilt)

Fills the database through the release's own services (intake, four-eyes approval,
rejection, withdrawal, release, the 住基 push, delivery to the intermediate server with
successes, failures and a dead operation, an XML batch, 追記 tasks, info-code requests,
system clients, tokens, single and bulk inquiry checks, a recipient-file filter, reads,
denials, an anchor and a verification run) with the clock frozen, then fills a SQLite file
the same way, and writes into OUTDIR:

- postgresql.sql.gz  pg_dump of the whole database (plain, no owner / privileges)
- sqlite3.db.gz      the SQLite file (the embedded default)
- expected.json      facts the upgraded database must still show (see tests/upgrade/README.md)
- build_fixture.py   a copy of this script, so the fixture can be rebuilt at its own commit

Both fills must give the same facts (and the same audit chain): the script refuses to write
a fixture otherwise. Randomness (UUIDs, tokens, salts) is seeded for this process only, so
two builds at one commit give the same data.

This file is run from its own release's checkout and must never be imported by the test:
later releases keep old copies in old fixture directories, and those copies only make
sense against the code of their own commit.

Django is set up in the child process (`_child`) only after the environment is chosen and the
randomness seeded, so every import of the project's code sits in the function that needs it
(each marked `noqa: PLC0415` with that reason): a module-level import would bind the models
before the seed and fail in the parent, which has no Django settings.
"""
import datetime
import gzip
import io
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def _find_repo() -> Path:
    """The release checkout: the nearest directory with manage.py above this file (the copy in
    fixtures/<commit>/ sits deeper than tests/upgrade/), else the current directory's."""
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for d in (start, *start.parents):
            if (d / "manage.py").exists():
                return d
    sys.exit("run this from a checkout of the release (no manage.py found)")


REPO = _find_repo()
START = datetime.datetime(2025, 6, 2, 1, 0, tzinfo=datetime.UTC)  # 10:00 JST, a Monday
PASSWORD = "upgrade-fixture-pass-1"  # fixture data only
API_USERNAME = "zeimu1"  # a counter of a linkage department that is not the owner of most targets

# Tables whose rows a later release may add to without anything being lost: Django's own
# bookkeeping changes when models move between apps.
NOT_COUNTED = {"django_migrations", "django_content_type", "auth_permission", "audit_auditevent"}


# --------------------------------------------------------------------------- determinism

def _seed_randomness(seed: int = 9867) -> None:
    """Must run before Django imports the models (their UUID defaults bind uuid.uuid4)."""
    rng = random.Random(seed)

    def uuid4() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    def token_urlsafe(nbytes: int | None = None) -> str:
        n = 32 if nbytes is None else nbytes
        return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                       for _ in range(int(n * 4 / 3)))

    def token_hex(nbytes: int | None = None) -> str:
        return "".join(rng.choice("0123456789abcdef") for _ in range(2 * (32 if nbytes is None else nbytes)))

    def token_bytes(nbytes: int | None = None) -> bytes:
        return bytes(rng.getrandbits(8) for _ in range(32 if nbytes is None else nbytes))

    def randbelow(exclusive_upper_bound: int) -> int:
        return rng.randrange(exclusive_upper_bound)

    uuid.uuid4 = uuid4
    secrets.token_urlsafe = token_urlsafe
    secrets.token_hex = token_hex
    secrets.token_bytes = token_bytes
    secrets.choice = rng.choice
    secrets.randbelow = randbelow


# --------------------------------------------------------------------------- the fill

def fill() -> dict[str, Any]:
    """Fill the (migrated) database; returns what only the fill knows: the expectations of
    the inquiry check and of visibility, computed with the release's own rules."""
    import time_machine  # noqa: PLC0415 - only the child process needs it
    from django.core.management import call_command  # noqa: PLC0415 - after django.setup() (module docstring)

    with time_machine.travel(START, tick=False) as clock:
        call_command("migrate", "--noinput", verbosity=0)
        return _fill(clock)


def _fill(clock: Any) -> dict[str, Any]:  # one story, told in order
    from django.conf import settings  # noqa: PLC0415 - after django.setup()
    from django.test import Client  # noqa: PLC0415 - after django.setup()
    from django.utils import timezone  # noqa: PLC0415 - after django.setup()
    from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: PLC0415 - after django.setup()

    from accounts.models import Role, Staff  # noqa: PLC0415 - after django.setup()
    from accounts.services import api_token_issue, department_create, staff_create  # noqa: PLC0415 - after django.setup()
    from audit.selectors import EventFilter, event_search, who_has_seen  # noqa: PLC0415 - after django.setup()
    from audit.services import anchor_create, verification_run  # noqa: PLC0415 - after django.setup()
    from checks.bulk import bulk_input_from_list, bulk_inquiry_check  # noqa: PLC0415 - after django.setup()
    from checks.recipient_filter import recipient_filter  # noqa: PLC0415 - after django.setup()
    from checks.selectors import inquiry_check  # noqa: PLC0415 - after django.setup()
    from core.errors import DomainError, NotFound  # noqa: PLC0415 - after django.setup()
    from flags.models import ChangeRequest  # noqa: PLC0415 - after django.setup()
    from flags.selectors import approval_queue  # noqa: PLC0415 - after django.setup()
    from integration.jumin import parse_jumin_push  # noqa: PLC0415 - after django.setup()
    from integration.services import system_client_create, system_client_revoke  # noqa: PLC0415 - after django.setup()
    from intermediary import channels  # noqa: PLC0415 - after django.setup()
    from intermediary import services as inter  # noqa: PLC0415 - after django.setup()
    from intermediary.corrections import correction_complete, corrections_open  # noqa: PLC0415 - after django.setup()
    from intermediary.models import Operation  # noqa: PLC0415 - after django.setup()
    from intermediary.windows import WindowConfig, next_window  # noqa: PLC0415 - after django.setup()
    from victims import services as victims  # noqa: PLC0415 - after django.setup()
    from victims.intake import parse_intake  # noqa: PLC0415 - after django.setup()
    from victims.models import Target  # noqa: PLC0415 - after django.setup()
    from victims.selectors import (  # noqa: PLC0415 - after django.setup()
        notices_for,
        review_tasks_for,
        target_get_for_user,
        target_search_by_atena,
        target_shared_list,
    )

    def tick(minutes: float = 1) -> None:
        clock.shift(datetime.timedelta(minutes=minutes))

    # -- departments and staff -------------------------------------------------------------
    for code, name, linkage in [
        ("kodomo", "子ども家庭支援課", True), ("zeimu", "税務課", True), ("fukushi", "福祉課", True),
        ("koho", "広報課", False), ("johosys", "情報システム課", False), ("kansa", "監査室", False),
    ]:
        department_create(actor=None, code=code, name=name, does_linkage=linkage)
    department_create(actor=None, code="koho", name="広報広聴課", does_linkage=False)  # an update
    staff: dict[str, Staff] = {}
    for username, dept, role in [
        ("counter1", "kodomo", Role.COUNTER), ("counter2", "kodomo", Role.COUNTER),
        ("approver1", "kodomo", Role.APPROVER), ("approver2", "kodomo", Role.APPROVER),
        ("zeimu1", "zeimu", Role.COUNTER), ("zeimu_head", "zeimu", Role.APPROVER),
        ("fukushi1", "fukushi", Role.COUNTER), ("fukushi_head", "fukushi", Role.APPROVER),
        ("koho1", "koho", Role.COUNTER),
        ("sysadmin1", "johosys", Role.SYSADMIN), ("sysadmin2", "johosys", Role.SYSADMIN),
        ("auditor1", "kansa", Role.AUDITOR),
    ]:
        staff[username] = staff_create(actor=None, username=username, department_code=dept, role=role,
                                       password=PASSWORD)
    for username in ("counter1", "approver1", "sysadmin1"):
        TOTPDevice.objects.create(user=staff[username], name="authenticator", confirmed=True,
                                  key=f"{staff[username].pk:040x}")
    c1, c2, a1, a2 = staff["counter1"], staff["counter2"], staff["approver1"], staff["approver2"]
    z1, zh, f1 = staff["zeimu1"], staff["zeimu_head"], staff["fukushi1"]
    s1, s2, au, koho = staff["sysadmin1"], staff["sysadmin2"], staff["auditor1"], staff["koho1"]
    tick()

    # -- system clients and API tokens -----------------------------------------------------
    juki, _ = system_client_create(actor=None, code="juki", name="住民記録システム", department_code="kodomo",
                                   scopes=["jumin_push"])
    system_client_create(actor=s1, code="zeimu-batch", name="税務システム", department_code="zeimu",
                         scopes=["inquiry_check", "recipient_filter"])
    system_client_create(actor=s1, code="old-system", name="旧連携システム", department_code="fukushi",
                         scopes=["inquiry_check"])
    system_client_revoke(actor=s2, code="old-system")
    for member in (c1, z1, f1):
        api_token_issue(actor=None, staff=member)
    tick()

    # -- intake ----------------------------------------------------------------------------
    today = datetime.date(2025, 6, 2)
    people: dict[str, Target] = {}
    requests: dict[str, ChangeRequest] = {}

    def register(key: str, actor: Staff, atena_no: str, cases: list[dict[str, Any]], **extra: Any) -> Target:
        payload = {
            "atena_no": atena_no, "name": extra.pop("name", "山田　花子"),
            "name_kana": extra.pop("kana", "ヤマダ　ハナコ"),
            "birth_date": extra.pop("birth_date", "1990-04-01"), "harm_types": extra.pop("harm_types", ["dv"]),
            "fled": True, "basis": extra.pop("basis", "request"),
            "jumin_support": extra.pop("jumin_support", {"active": False}), "cases": cases,
            "explanations": {"mynaportal": True, "card_suspension": True, "agent_release": True},
            "notes": extra.pop("notes", ""),
        }
        assert not extra, extra
        people[key], requests[key] = victims.target_register(actor=actor, data=parse_intake(payload, today=today))
        tick()
        return people[key]

    def approve(key: str, approver: Staff) -> None:
        victims.change_request_approve(actor=approver, change_request_id=requests[key].pk, comment="確認済み")
        tick()

    register("c11_active", c1, "100000000000001", [{"type": "1-I", "abuser_atena_no": "900000000000001",
                                                     "abuser_name": "加害　一郎"}])
    register("c2i_active", c1, "100000000000002", [{"type": "2-I", "card_left": True, "agent_set": True}],
             name="佐藤　美咲", kana="サトウ　ミサキ", harm_types=["dv", "stalking"])
    register("c2ii_active", c2, "100000000000003", [{"type": "2-II", "legal_representative": "guardian",
                                                      "end_condition": "後見人の交代"}],
             name="鈴木　和子", kana="スズキ　カズコ", birth_date="1950-01-15", harm_types=["elder_abuse"],
             basis="ex_officio")
    register("multi_active", c1, "100000000000004", [
        {"type": "1-I", "abuser_atena_no": "900000000000004"}, {"type": "2-I", "smartphone_left": True}])
    register("dead_ops", c2, "100000000000005", [{"type": "2-I", "card_left": True}])
    register("released", c1, "100000000000006", [
        {"type": "1-I", "abuser_atena_no": "900000000000006"}, {"type": "2-I", "card_left": True}])
    register("rejected", c1, "100000000000007", [{"type": "2-I", "card_left": True}])
    register("withdrawn", c2, "100000000000008", [{"type": "2-II", "legal_representative": "parent"}],
             name="田中　陽太", kana="タナカ　ヨウタ", birth_date="2012-08-08", harm_types=["child_abuse"])
    register("pending", c1, "100000000000009", [{"type": "1-I", "abuser_atena_no": "900000000000009"},
                                                {"type": "2-II", "legal_representative": "other"}])
    register("release_pending", c2, "100000000000010", [{"type": "2-I", "card_left": True}])
    register("zeimu_owned", z1, "100000000000011", [{"type": "2-I", "agent_set": True}],
             jumin_support={"active": True, "start": "2025-04-01", "end": "2026-03-31"})
    register("rejected_then_jumin", z1, "100000000000012", [{"type": "2-II", "legal_representative": "guardian"}],
             birth_date="1980-02-29")

    for key in ("c11_active", "c2i_active", "c2ii_active", "multi_active", "dead_ops", "released",
                "release_pending"):
        approve(key, a1 if key != "c2ii_active" else a2)
    approve("zeimu_owned", zh)
    victims.change_request_reject(actor=a1, change_request_id=requests["rejected"].pk,
                                  reason="事実イの確認が不十分のため")
    victims.change_request_reject(actor=zh, change_request_id=requests["rejected_then_jumin"].pk,
                                  reason="重複登録のため")
    victims.change_request_withdraw(actor=c2, change_request_id=requests["withdrawn"].pk,
                                    reason="本人が申出を取り下げ")
    tick()
    victims.target_grant_department(actor=a1, target_id=people["c2i_active"].pk, department_code="fukushi")

    # A refused four-eyes decision is audited but changes nothing.
    for refused in (c1, zh):  # the requester himself (a counter); an approver of another department
        try:
            victims.change_request_approve(actor=refused, change_request_id=requests["pending"].pk)
        except DomainError:
            pass
        else:
            raise AssertionError(f"{refused.username} approved a request they may not decide")
    tick()

    # -- delivery to the intermediate server (web service, driven by hand) ---------------
    def ops_of(key: str) -> list[Operation]:
        return list(Operation.objects.filter(unit_key=people[key].atena_no).order_by("created_at", "flag_kind"))

    def op_of(key: str, kind: str) -> Operation:
        return Operation.objects.get(unit_key=people[key].atena_no, flag_kind=kind)

    def deliver(op: Operation, ok: bool = True, code: str = "E500") -> None:
        claimed = inter.operation_claim_for_web_service(operation_id=op.pk, now=timezone.now())
        assert claimed is not None, op
        inter.operation_record_web_service_result(
            operation_id=op.pk, result=channels.SendResult(ok=ok, code="" if ok else code,
                                                           message="" if ok else "server error"),
            now=timezone.now())
        tick(0.1)

    for key in ("c2i_active", "released", "release_pending", "zeimu_owned"):
        for op in ops_of(key):
            deliver(op)
    multi_nar, multi_nd = op_of("multi_active", "NO_AUTO_RESPONSE"), op_of("multi_active", "NONDISCLOSURE")
    deliver(multi_nar)                       # reflected
    deliver(multi_nd, ok=False)              # failed, waiting for its retry
    dead_nar, dead_nd = op_of("dead_ops", "NO_AUTO_RESPONSE"), op_of("dead_ops", "NONDISCLOSURE")
    for _ in range(3):                       # INTERMEDIARY_MAX_ATTEMPTS=3 in this process
        deliver(dead_nd, ok=False, code="E503")
        tick(120)                            # past the backoff
    inter.operation_claim_for_web_service(operation_id=dead_nar.pk, now=timezone.now())  # claimed, in flight
    tick()
    # c2ii_active's NONDISCLOSURE operation stays pending (not delivered yet).

    # -- cases change over time: procedures confirmed, releases ------------------------------
    card = people["released"].cases.get(case_type="2-I")
    victims.case_confirm_procedure(actor=c1, case_id=card.pk, procedure="card", confirmed_on=today)
    tick()
    release = victims.release_request_create(actor=c1, target_id=people["released"].pk, reason="wish",
                                             case_ids=None, comment="本人が解除を希望")
    victims.change_request_approve(actor=a2, change_request_id=release.pk)
    tick()
    for op in Operation.objects.filter(change_request=release):
        deliver(op)
    phone = people["multi_active"].cases.get(case_type="2-I")
    victims.case_confirm_procedure(actor=c1, case_id=phone.pk, procedure="smartphone", confirmed_on=today)
    partial = victims.release_request_create(actor=c1, target_id=people["multi_active"].pk,
                                             reason="2-I_complete", case_ids=[phone.pk])
    victims.change_request_approve(actor=a1, change_request_id=partial.pk)   # stays active under ①-I
    tick()
    rp_card = people["release_pending"].cases.get()
    victims.case_confirm_procedure(actor=c2, case_id=rp_card.pk, procedure="card", confirmed_on=today)
    requests["release_pending_release"] = victims.release_request_create(
        actor=c2, target_id=people["release_pending"].pk, reason="2-I_complete", case_ids=None)
    rejected_release = None
    try:  # a 住基 support person cannot be released: refused, nothing written
        victims.release_request_create(actor=z1, target_id=people["zeimu_owned"].pk, reason="wish",
                                       case_ids=None)
    except DomainError:
        rejected_release = "refused"
    assert rejected_release == "refused"
    tick()

    # -- XML data linkage: one NO_AUTO_RESPONSE file published, its result not yet back ---
    window = next_window("NO_AUTO_RESPONSE", timezone.now(), WindowConfig.from_settings(settings))
    batch = inter.batch_build(flag_kind="NO_AUTO_RESPONSE", window_at=window)
    assert batch is not None and batch.status == "published", batch
    tick()

    # -- info-code (特定個人情報名コード) requests, four eyes between system admins ------------
    approved_code = inter.info_code_request_create(actor=s1, info_code="TM00000000000003",
                                                   flag_kind="NONDISCLOSURE", action="set", reason="誤った副本の登録")
    inter.info_code_request_approve(actor=s2, request_id=approved_code.pk)
    rejected_code = inter.info_code_request_create(actor=s2, info_code="TM00000000000007",
                                                   flag_kind="NO_AUTO_RESPONSE", action="set", reason="確認中")
    inter.info_code_request_reject(actor=s1, request_id=rejected_code.pk, reason="対象外")
    inter.info_code_request_create(actor=s1, info_code="TM00000000000011", flag_kind="NO_AUTO_RESPONSE",
                                   action="release", reason="不要になった")
    tick()

    # -- the 住民記録 system's push ------------------------------------------------------------
    juki_staff = juki.staff
    victims.jumin_support_apply(actor=juki_staff, items=parse_jumin_push({"measures": [
        {"atena_no": "100000000000013", "event": "start", "start": "2025-05-01", "end": "2026-04-30",
         "name": "住基　花子", "name_kana": "ジュウキ　ハナコ", "birth_date": "1985-05-05"},
        {"atena_no": "100000000000014", "event": "start", "start": "2025-05-01", "end": "2026-04-30",
         "name": "住基　次郎", "name_kana": "ジュウキ　ジロウ", "birth_date": "1979-11-11",
         "harm_types": ["stalking"]},
        {"atena_no": people["rejected_then_jumin"].atena_no, "event": "start", "start": "2025-05-15",
         "end": "2026-05-14"},
        {"atena_no": "199999999999999", "event": "end", "end": "2025-05-31"},
    ]}))
    tick()
    victims.jumin_support_apply(actor=juki_staff, items=parse_jumin_push({"measures": [
        {"atena_no": "100000000000013", "event": "extend", "end": "2027-04-30"},
        {"atena_no": people["zeimu_owned"].atena_no, "event": "end", "end": "2025-05-31"},
    ]}))
    tick()
    first_task = review_tasks_for(actor=c1).first()
    assert first_task is not None
    victims.review_task_close(actor=c1, task_id=first_task.pk, note="類型を確認、登録内容を補完予定")
    tick()

    # -- 追記 (record corrections) --------------------------------------------------------
    done = victims.correction_request(actor=c1, target_id=people["c2i_active"].pk)
    corrections_open(actor=s1)
    correction_complete(actor=s1, correction_id=done.pk, reference="CHK-2025-0001")
    victims.correction_request(actor=c2, target_id=people["c2ii_active"].pk)
    tick()

    # -- inquiry checks by linkage departments: single (both directions), bulk, and the ---
    # お知らせ recipient-file filter. Nothing changes protection after this point, so the
    # answers are the expectations the upgrade test asks the API again.
    expected_checks = _inquiry_expectations(people)
    for check in expected_checks:
        answer = inquiry_check(actor=z1, atena_no=check["atena_no"], direction=check["direction"])
        assert answer is check["required"], (check, answer)
        tick(0.5)
    for direction in ("inquiry", "provision"):
        numbers = sorted({c["atena_no"] for c in expected_checks if c["direction"] == direction})
        bulk = bulk_inquiry_check(actor=f1, bulk=bulk_input_from_list([*numbers, numbers[0]]), direction=direction)
        required = {c["atena_no"] for c in expected_checks if c["direction"] == direction and c["required"]}
        assert {n for n in bulk.numbers if n in bulk.required} == required, (direction, bulk.required)
        assert bulk.report.duplicate_count == 1
        tick()
    recipients = ["宛名番号,氏名"] + [f"{t.atena_no},お知らせ{i}" for i, t in enumerate(
        sorted(people.values(), key=lambda t: t.atena_no))] + ["555555555555555,お知らせ外", "12345,読めない番号"]
    filtered = recipient_filter(actor=z1, fileobj=io.BytesIO(("\r\n".join(recipients) + "\r\n").encode("cp932")))
    assert filtered.record_count == len(people) + 1 and filtered.report.malformed, filtered
    assert 0 < filtered.removed_count < len(people), filtered
    tick()

    # -- reads, listings, denials: what auditors look at -----------------------------------
    readers = [(c1, people["c2i_active"]), (c2, people["c2ii_active"]), (a1, people["multi_active"]),
               (f1, people["c2i_active"]), (z1, people["zeimu_owned"]), (zh, people["zeimu_owned"])]
    for i in range(40):
        for actor, target in readers:
            target_get_for_user(actor=actor, target_id=target.pk, via="screen" if i % 2 else "api")
        tick(7)
    for actor, target in [(koho, people["c2i_active"]), (z1, people["c2i_active"]), (s1, people["c11_active"]),
                          (au, people["pending"])]:
        try:
            target_get_for_user(actor=actor, target_id=target.pk)
        except NotFound:
            pass
        else:
            raise AssertionError(f"{actor.username} read a record outside their department")
    for i in range(10):
        target_shared_list(actor=[z1, f1, c1][i % 3])
        target_search_by_atena(actor=c1, atena_no=f"1000000000000{i:02d}")
    approval_queue(actor=a1)
    list(notices_for(actor=z1))
    event_search(actor=au, flt=EventFilter(start=today, end=today))
    who_has_seen(actor=au, target_id=people["c2i_active"].pk)
    tick()

    # -- a few logins through the screens (one wrong password: django-axes records it) -----
    browser = Client()
    browser.post("/login/", {"username": "counter2", "password": "wrong-password"})
    browser.post("/login/", {"username": "counter2", "password": PASSWORD})
    tick()

    # -- the audit anchor and a verification run; then a few more events after the anchor --
    anchor_create()
    tick()
    run = verification_run(actor=au)
    assert run.ok, run.reason
    for _ in range(5):
        target_get_for_user(actor=c1, target_id=people["c11_active"].pk)
        tick()

    assert _inquiry_expectations(people) == expected_checks  # nothing after the checks changed protection
    return {
        "inquiry_checks": expected_checks,
        "visibility": _visibility_expectations(people),
    }


def _inquiry_expectations(people: dict[str, Any]) -> list[dict[str, Any]]:
    """Expected answers of the inquiry-time check, from the release's own rule, cross-checked
    with the release's own implementation of the check (on both backends)."""
    from checks.protection import (  # noqa: PLC0415 - after django.setup()
        nondisclosure_code_required,
        victim_requires_code,
    )
    from victims.models import (  # noqa: PLC0415 - after django.setup()
        PROTECTING_STATUSES,
        CaseAssessment,
        CaseType,
        Target,
    )

    abusers = set(CaseAssessment.objects.filter(case_type=CaseType.C1_I, active=True,
                                                target__status__in=PROTECTING_STATUSES)
                  .values_list("abuser_atena_no", flat=True))
    checks: list[dict[str, Any]] = []
    for key, target in sorted(people.items(), key=lambda kv: kv[1].atena_no):
        target = Target.objects.get(pk=target.pk)
        types = list(target.cases.filter(active=True).values_list("case_type", flat=True))
        for direction in ("inquiry", "provision"):
            required = target.status in PROTECTING_STATUSES and victim_requires_code(target.status, types, direction)
            checks.append({"atena_no": target.atena_no, "direction": direction, "required": bool(required),
                           "who": f"victim:{key}:{target.status}:{'+'.join(sorted(types)) or 'none'}"})
    jumin_people = Target.objects.filter(atena_no__in=["100000000000013", "100000000000014"]).order_by("atena_no")
    for target in jumin_people:
        checks.append({"atena_no": target.atena_no, "direction": "inquiry", "required": True,
                       "who": f"victim:jumin_push:{target.status}:none"})
    for number, who in [("900000000000001", "abuser of c11_active (1-I)"),
                        ("900000000000004", "abuser of multi_active (1-I still active)"),
                        ("900000000000009", "abuser of pending (1-I, pending protects)"),
                        ("900000000000006", "abuser of released (no longer protected)"),
                        ("555555555555555", "unknown number")]:
        for direction in ("inquiry", "provision"):
            checks.append({"atena_no": number, "direction": direction, "required": number in abusers, "who": who})
    for check in checks:
        actual, _ = nondisclosure_code_required(check["atena_no"], check["direction"])
        assert actual == check["required"], (check, actual)
    return checks


def _visibility_expectations(people: dict[str, Any]) -> list[dict[str, Any]]:
    """Who reads whose full record through the API: the owning department, a granted
    department, and nobody else (an object permission lost in an app move shows up here)."""
    rows = []
    for key, target in sorted(people.items(), key=lambda kv: kv[1].atena_no):
        owner = target.owning_department.code
        for username, dept in (("counter1", "kodomo"), ("zeimu1", "zeimu"), ("fukushi1", "fukushi")):
            status = 200 if dept == owner or (key == "c2i_active" and dept == "fukushi") else 404
            rows.append({"username": username, "atena_no": target.atena_no, "status": status})
    return rows


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --------------------------------------------------------------------------- facts

def collect_facts() -> dict[str, Any]:
    """Facts as (sql, rows) pairs: the checker of a later release runs the same SQL on the
    upgraded database and compares rows. Only table and column names, never models."""
    from django.db import connection  # noqa: PLC0415 - after django.setup()

    tables = sorted(t for t in connection.introspection.table_names() if t not in NOT_COUNTED)
    facts: list[dict[str, Any]] = [{"name": f"rows in {t}", "sql": f'SELECT COUNT(*) FROM "{t}"'} for t in tables]
    facts += [
        {"name": "targets per status",
         "sql": "SELECT status, COUNT(*) FROM victims_target GROUP BY status ORDER BY status"},
        {"name": "targets",
         "sql": "SELECT t.atena_no, t.status, d.code, t.name, t.birth_date, t.basis, "
                "CASE WHEN t.jumin_support_active THEN 1 ELSE 0 END, t.jumin_support_end "
                "FROM victims_target t JOIN accounts_department d ON d.id = t.owning_department_id "
                "ORDER BY t.atena_no"},
        {"name": "cases",
         "sql": "SELECT t.atena_no, c.case_type, CASE WHEN c.active THEN 1 ELSE 0 END, c.abuser_atena_no, "
                "c.card_suspension_confirmed_on, c.smartphone_suspension_confirmed_on, c.legal_representative "
                "FROM victims_caseassessment c JOIN victims_target t ON t.id = c.target_id "
                "ORDER BY t.atena_no, c.case_type, c.abuser_atena_no"},
        {"name": "change requests per (action, status)",
         "sql": "SELECT action, status, COUNT(*) FROM flags_changerequest GROUP BY action, status "
                "ORDER BY action, status"},
        {"name": "change requests",
         "sql": "SELECT t.atena_no, r.action, r.status, rq.username, COALESCE(dc.username, ''), r.release_reason "
                "FROM flags_changerequest r JOIN victims_target t ON t.id = r.target_id "
                "JOIN accounts_staff rq ON rq.id = r.requested_by_id "
                "LEFT JOIN accounts_staff dc ON dc.id = r.decided_by_id "
                "ORDER BY t.atena_no, r.requested_at, r.action"},
        {"name": "operations per status",
         "sql": "SELECT status, COUNT(*) FROM intermediary_operation GROUP BY status ORDER BY status"},
        {"name": "operations",
         "sql": "SELECT unit_type, unit_key, flag_kind, action, status, channel, attempts, last_error_code, "
                "CASE WHEN batch_id IS NULL THEN 0 ELSE 1 END FROM intermediary_operation "
                "ORDER BY unit_key, flag_kind, created_at, action"},
        {"name": "flag states",
         "sql": "SELECT unit_type, unit_key, flag_kind, CASE WHEN desired THEN 1 ELSE 0 END, "
                "CASE WHEN reflected IS NULL THEN -1 WHEN reflected THEN 1 ELSE 0 END "
                "FROM flags_flagstate ORDER BY unit_type, unit_key, flag_kind"},
        {"name": "batches", "sql": "SELECT flag_kind, status, record_count, name, sha256 FROM intermediary_batch "
                                   "ORDER BY window_at"},
        {"name": "alerts", "sql": "SELECT kind, unit_key, flag_kind FROM intermediary_alert ORDER BY unit_key"},
        {"name": "notices", "sql": "SELECT d.code, n.atena_no FROM flags_notice n "
                                   "JOIN accounts_department d ON d.id = n.department_id ORDER BY d.code, n.atena_no"},
        {"name": "review tasks", "sql": "SELECT t.atena_no, r.kind, r.status, d.code FROM integration_reviewtask r "
                                        "JOIN victims_target t ON t.id = r.target_id "
                                        "JOIN accounts_department d ON d.id = r.department_id "
                                        "ORDER BY t.atena_no, r.kind"},
        {"name": "record corrections", "sql": "SELECT atena_no, status, reference FROM intermediary_recordcorrection "
                                              "ORDER BY atena_no"},
        {"name": "info-code requests", "sql": "SELECT info_code, flag_kind, action, status "
                                              "FROM intermediary_infocodechangerequest ORDER BY info_code"},
        {"name": "system clients", "sql": "SELECT s.code, d.code, s.key_hash, "
                                          "CASE WHEN s.revoked_at IS NULL THEN 0 ELSE 1 END "
                                          "FROM integration_systemclient s "
                                          "JOIN accounts_department d ON d.id = s.department_id ORDER BY s.code"},
        {"name": "staff", "sql": "SELECT s.username, s.role, COALESCE(d.code, ''), "
                                 "CASE WHEN s.is_active THEN 1 ELSE 0 END, s.password "
                                 "FROM accounts_staff s LEFT JOIN accounts_department d ON d.id = s.department_id "
                                 "ORDER BY s.username"},
        {"name": "departments", "sql": "SELECT code, name, CASE WHEN does_linkage THEN 1 ELSE 0 END "
                                       "FROM accounts_department ORDER BY code"},
        {"name": "api tokens", "sql": "SELECT s.username, a.key_hash FROM accounts_apitoken a "
                                      "JOIN accounts_staff s ON s.id = a.staff_id ORDER BY a.key_hash"},
        {"name": "anchors", "sql": "SELECT head_event_id, head_hash, event_count FROM audit_auditanchor ORDER BY id"},
        {"name": "audit events per action",
         "sql": "SELECT action, outcome, COUNT(*) FROM audit_auditevent WHERE id <= {audit_head_id} "
                "GROUP BY action, outcome ORDER BY action, outcome"},
    ]
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*), MAX(id) FROM audit_auditevent")
        count, head_id = cur.fetchone()
        cur.execute("SELECT hash FROM audit_auditevent WHERE id = %s", [head_id])
        head_hash = cur.fetchone()[0]
        for fact in facts:
            cur.execute(fact["sql"].replace("{audit_head_id}", str(int(head_id))))
            fact["rows"] = [[normalize(v) for v in row] for row in cur.fetchall()]
    return {"facts": facts, "audit": {"event_count": count, "head_id": head_id, "head_hash": head_hash}}


def normalize(value: object) -> object:
    """One JSON form for what PostgreSQL and SQLite return for the same value."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- driver

def _child(out_json: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update({
        "INTERMEDIARY_CHANNEL": "xml_batch",  # no nudges to a broker: delivery is driven by hand here
        "INTERMEDIARY_MAX_ATTEMPTS": "3", "INTERMEDIARY_CLOCK_FILE": "", "CELERY_BROKER_URL": "memory://",
        "PASSWORD_HASHERS": "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    })
    work = Path(tempfile.mkdtemp(prefix="h1_fixture_"))
    for name in ("OUTBOUND", "INBOUND", "QUARANTINE"):
        os.environ[f"INTERMEDIARY_{name}_DIR"] = str(work / name.lower())
    _seed_randomness()
    sys.path.insert(0, str(REPO))
    import django  # noqa: PLC0415 - only once the environment above is set and the randomness seeded

    django.setup()
    expectations = fill()
    result = {**collect_facts(), **expectations}
    Path(out_json).write_text(json.dumps(result, ensure_ascii=False, indent=1))
    shutil.rmtree(work, ignore_errors=True)


def _run_child(database_url: str, out_json: Path) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, __file__, "--child", str(out_json)], cwd=REPO, env=env, check=True)
    return json.loads(out_json.read_text())


def _pg_args(url: str) -> tuple[list[str], str]:
    u = urlparse(url)
    args = ["-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    return args, u.path.lstrip("/")


def main(outdir: str) -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must point at an empty PostgreSQL database")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="h1_fixture_") as tmpdir:
        tmp = Path(tmpdir)
        pg = _run_child(database_url, tmp / "pg.json")
        sqlite_file = tmp / "fixture.sqlite3"
        lite = _run_child(f"sqlite:///{sqlite_file}", tmp / "sqlite.json")
        if pg != lite:
            diff = [f["name"] for f, g in zip(pg["facts"], lite["facts"], strict=False) if f != g]
            sys.exit(f"the PostgreSQL and SQLite fills differ: {diff or 'audit/expectations'}")
        args, dbname = _pg_args(database_url)
        dump = subprocess.run(["pg_dump", *args, "--format=plain", "--no-owner", "--no-privileges", dbname],
                              capture_output=True, check=True).stdout
        # pg_dump ≥ 15.14 wraps the script in \restrict <random key>; psql older than that
        # cannot read it, and the key makes every build differ. The dump is our own data.
        dump = b"".join(line for line in dump.splitlines(keepends=True)
                        if not line.startswith((b"\\restrict ", b"\\unrestrict ")))
        # mtime=0: the same dump gives the same .gz
        (out / "postgresql.sql.gz").write_bytes(gzip.compress(dump, compresslevel=9, mtime=0))
        (out / "sqlite3.db.gz").write_bytes(gzip.compress(sqlite_file.read_bytes(), compresslevel=9, mtime=0))
    expected = {"format": 1, "commit": _commit(), "built_at_frozen": START.isoformat(),
                "api_username": API_USERNAME, **pg}
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")
    if Path(__file__).resolve() != (out / "build_fixture.py").resolve():
        shutil.copyfile(__file__, out / "build_fixture.py")
    sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
    print(f"fixture written to {out}: {sizes}; {pg['audit']['event_count']} audit events")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit(__doc__)

"""Retention jobs (ADR 0080, 0081): each removes exactly what is past its setting at the
boundary (time frozen with time-machine), is audited with counts only, and does nothing on a
second run. Released persons' personal data goes after PERSONAL_DATA_RETENTION_YEARS while ids,
flag history and audit stay, and the audit chain still verifies."""
import datetime
import json
import os
import tarfile

import pytest
import time_machine
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import retention as account_retention
from audit.models import AuditEvent
from audit.services import anchor_create
from audit.verify import verify_chain
from core.errors import ValidationFailed
from flags.models import ChangeRequest
from intermediary import retention as file_retention
from intermediary.models import Batch, BatchStatus, Operation
from tests.conftest import intake_payload
from victims import retention as personal_retention
from victims import services
from victims.models import CaseAssessment, Registration, Target, TargetStatus

JST = datetime.timezone(datetime.timedelta(hours=9))
T0 = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=JST)
NAME, KANA, BIRTH, NOTE, ABUSER_NAME = "保存　花子", "ホゾン　ハナコ", "1981-07-13", "避難先は実家の近く", "加害　太郎"


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# ---- sessions and login attempts ----------------------------------------------------------------

def test_expired_sessions_are_cleared_once(db):
    with time_machine.travel(T0, tick=False):
        Session.objects.create(session_key="a" * 32, session_data="x", expire_date=T0 - datetime.timedelta(seconds=1))
        Session.objects.create(session_key="b" * 32, session_data="x", expire_date=T0)  # not yet expired
        assert account_retention.sessions_clear(now=timezone.now()) == 1
        assert list(Session.objects.values_list("session_key", flat=True)) == ["b" * 32]
        assert account_retention.sessions_clear(now=timezone.now()) == 0
    assert [e.detail for e in events("retention.sessions_cleared")] == [{"sessions": 1}, {"sessions": 0}]


def test_login_attempts_older_than_the_setting_are_purged_at_the_boundary(db, settings):
    settings.AXES_ATTEMPT_RETENTION_DAYS = 90
    cutoff = T0 - datetime.timedelta(days=90)
    for name, at in [("old", cutoff - datetime.timedelta(seconds=1)), ("edge", cutoff), ("new", T0)]:
        attempt = AccessAttempt.objects.create(username=name, ip_address="192.0.2.1", user_agent="t",
                                               get_data="", post_data="", http_accept="", path_info="/",
                                               failures_since_start=1)
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=at)
    with time_machine.travel(T0, tick=False):
        first = account_retention.login_attempts_purge(now=timezone.now())
        second = account_retention.login_attempts_purge(now=timezone.now())
    assert first["attempts"] == 1 and second["attempts"] == 0
    assert sorted(AccessAttempt.objects.values_list("username", flat=True)) == ["edge", "new"]
    detail = events("retention.login_attempts_purged")[0].detail
    assert detail == {"attempts": 1, "failures": 0, "access_logs": 0, "retention_days": 90}
    assert "old" not in json.dumps(detail) and "192.0.2.1" not in json.dumps(detail)


# ---- XML files -------------------------------------------------------------------------------

def _file(folder, name, age: datetime.timedelta):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("<x/>")
    moment = (T0 - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def test_old_xml_files_are_archived_then_removed_and_archives_expire(db, settings, tmp_path):
    for key in ("outbound", "inbound", "quarantine", "archive"):
        setattr(settings, f"INTERMEDIARY_{key.upper()}_DIR", tmp_path / key)
    settings.INTERMEDIARY_FILE_ARCHIVE_DAYS, settings.INTERMEDIARY_ARCHIVE_RETENTION_DAYS = 30, 2557
    old, young = datetime.timedelta(days=30, seconds=1), datetime.timedelta(days=29)
    for days, name, status in [(31, "FLAG_A.xml", BatchStatus.RESULTED), (32, "FLAG_B.xml", BatchStatus.PUBLISHED)]:
        Batch.objects.create(flag_kind="NONDISCLOSURE", window_at=T0 - datetime.timedelta(days=days),
                             reception_number=name[5],
                             created_at=T0 - old, name=name, status=status)
    _file(tmp_path / "outbound", "FLAG_A.xml", old)          # resulted: archived
    _file(tmp_path / "outbound", "FLAG_B.xml", old)          # no result yet: the server may still read it
    _file(tmp_path / "outbound", "FLAG_C.xml", young)        # too young
    _file(tmp_path / "inbound" / "processed", "FLAG_A.result.xml", old)
    _file(tmp_path / "quarantine", "20261001T000000_bad.xml", old)
    expired = _file(tmp_path / "archive", "intermediary-files-20191001T043000.tar.gz",
                    datetime.timedelta(days=2557, seconds=1))
    kept_archive = _file(tmp_path / "archive", "intermediary-files-20191201T043000.tar.gz",
                         datetime.timedelta(days=2556))

    with time_machine.travel(T0, tick=False):
        first = file_retention.files_archive(now=timezone.now())
        second = file_retention.files_archive(now=timezone.now())

    assert first == {"archived": 3, "outbound": 1, "processed": 1, "quarantine": 1, "kept_without_result": 1,
                     "archives_removed": 1, "archive": "intermediary-files-20261124T010000.tar.gz"}
    assert second["archived"] == 0 and second["archives_removed"] == 0 and second["archive"] == ""
    with tarfile.open(tmp_path / "archive" / first["archive"]) as tar:
        assert sorted(tar.getnames()) == ["outbound/FLAG_A.xml", "processed/FLAG_A.result.xml",
                                          "quarantine/20261001T000000_bad.xml"]
    assert sorted(p.name for p in (tmp_path / "outbound").iterdir()) == ["FLAG_B.xml", "FLAG_C.xml"]
    assert not list((tmp_path / "inbound" / "processed").iterdir()) and not list((tmp_path / "quarantine").iterdir())
    assert not expired.exists() and kept_archive.exists()
    assert [e.detail["archived"] for e in events("retention.files_archived")] == [3, 0]


# ---- personal data after the record period ------------------------------------------------------

@pytest.fixture
def released(counter, approver):
    """A person registered at the counter (a receipt) with notes and a ①-I abuser's name,
    approved, released at T0."""
    with time_machine.travel(T0 - datetime.timedelta(days=30), tick=False):
        payload = intake_payload(name=NAME, name_kana=KANA, birth_date=BIRTH, notes=NOTE, cases=[
            {"type": "2-I", "card_left": True},
            {"type": "1-I", "abuser_atena_no": "300000000000001", "abuser_name": ABUSER_NAME}])
        receipt = services.registration_submit(actor=counter, payload=payload, today=timezone.localdate())
        target = receipt.created_target
        cr = ChangeRequest.objects.get(target=target)
        services.change_request_approve(actor=approver, change_request_id=cr.pk)
    with time_machine.travel(T0, tick=False):
        release = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
        services.change_request_approve(actor=approver, change_request_id=release.pk)
    target.refresh_from_db()
    assert target.status == TargetStatus.RELEASED and (target.name, target.notes) == (NAME, NOTE)
    assert ABUSER_NAME in set(CaseAssessment.objects.filter(target=target).values_list("abuser_name", flat=True))
    return target


def _erase(at):
    with time_machine.travel(at, tick=False):
        return personal_retention.personal_data_erase(now=timezone.now())


def test_personal_data_is_erased_seven_years_after_release_and_nothing_else(released, settings):
    assert settings.PERSONAL_DATA_RETENTION_YEARS == 7
    ops_before = Operation.objects.filter(unit_key=released.atena_no).count()
    requests_before = list(ChangeRequest.objects.filter(target=released).values_list("pk", "action", "status"))
    assert _erase(datetime.datetime(2033, 11, 24, 9, 59, 59, tzinfo=JST))["erased"] == 0  # one second early
    assert Target.objects.get(pk=released.pk).name == NAME

    assert _erase(datetime.datetime(2033, 11, 24, 10, 0, tzinfo=JST))["erased"] == 1
    target = Target.objects.get(pk=released.pk)
    assert (target.name, target.name_kana, target.birth_date, target.notes) == ("", "", None, "")
    assert target.personal_data_erased_at is not None and target.atena_no == released.atena_no
    assert set(CaseAssessment.objects.filter(target=target).values_list("abuser_name", flat=True)) == {""}
    receipt = Registration.objects.get(created_target=target)
    assert receipt.intake["name"] is None and receipt.intake["birth_date"] is None
    assert receipt.intake["atena_no"] == released.atena_no
    # ids, the flag history and the audit stay
    assert Operation.objects.filter(unit_key=released.atena_no).count() == ops_before > 0
    assert list(ChangeRequest.objects.filter(target=target).values_list("pk", "action", "status")) == requests_before
    erased = events("retention.personal_data_erased")
    assert [e.detail["target_ids"] for e in erased] == [[target.pk]]

    # nothing erased lived in the audit log, and the chain still verifies
    text = json.dumps(list(AuditEvent.objects.values("detail", "actor_username")), ensure_ascii=False)
    for secret in (NAME, KANA, BIRTH, NOTE, ABUSER_NAME, "保存", "ホゾン", "1981"):
        assert secret not in text
    with time_machine.travel(datetime.datetime(2033, 11, 24, 10, 1, tzinfo=JST), tick=False):
        anchor_create()
        assert verify_chain().ok

    assert _erase(datetime.datetime(2033, 11, 25, 10, 0, tzinfo=JST)) == {"erased": 0, "expired_drafts": 0}
    assert len(events("retention.personal_data_erased")) == 1  # the second run did nothing


def test_a_person_protected_again_or_under_support_is_never_erased(released, counter, approver, register):
    other, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)  # active: never erased
    with time_machine.travel(T0 + datetime.timedelta(days=1), tick=False):
        services.jumin_support_apply(actor=counter, items=[services.JuminSupport(
            atena_no=released.atena_no, event="start", start=T0.date(), end=T0.date() + datetime.timedelta(days=365))])
    assert Target.objects.get(pk=released.pk).status == TargetStatus.PENDING
    assert _erase(datetime.datetime(2040, 1, 1, tzinfo=JST))["erased"] == 0
    assert Target.objects.get(pk=released.pk).name == NAME and Target.objects.get(pk=other.pk).name


def test_a_support_measure_after_erasure_needs_and_restores_the_identity(released, counter):
    later = datetime.datetime(2034, 1, 10, 10, 0, tzinfo=JST)
    assert _erase(later)["erased"] == 1
    day = later.date()
    with time_machine.travel(later + datetime.timedelta(hours=1), tick=False):
        with pytest.raises(ValidationFailed):
            services.jumin_support_apply(actor=counter, items=[services.JuminSupport(
                atena_no=released.atena_no, event="start", start=day, end=day + datetime.timedelta(days=365))])
        services.jumin_support_apply(actor=counter, items=[services.JuminSupport(
            atena_no=released.atena_no, event="start", start=day, end=day + datetime.timedelta(days=365),
            name="再度　花子", name_kana="サイド　ハナコ", birth_date=datetime.date(1981, 7, 13))])
    target = Target.objects.get(pk=released.pk)
    assert (target.status, target.name, target.personal_data_erased_at) == (TargetStatus.PENDING, "再度　花子", None)

"""Amendments with four eyes (issue 11, ADR 0030–0032): an active target's owning department
adds a case, corrects the identity or the 住基DV等支援措置; the added case protects at the
inquiry check from the request on; record, flags and operations follow the approval by
another person and cover only the difference; the history keeps before and after for the
owning department only; other linkage departments are told when protection changed."""
import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent, Outcome
from checks.protection import nondisclosure_code_required, notice_excluded_set, protected_set
from flags.models import ChangeRequest, ChangeStatus
from flags.rules import INQUIRY, PROVISION, majority_date
from intermediary.flag_kinds import NO_AUTO_RESPONSE, NONDISCLOSURE
from intermediary.models import Operation
from tests.conftest import born_aged, intake_payload
from victims.models import Amendment, Notice, NoticeKind, ReminderKind
from victims.reminders import reminders_for
from victims.services import (
    change_request_approve,
    registration_submit,
    release_request_create,
    target_grant_department,
)

from .test_registration_no_oracle import token_client

ABUSER = "210000000000001"
NEW_ABUSER = "210000000000002"


def _active(register, counter, approver, **overrides):
    target, cr = register(counter, **overrides)
    change_request_approve(actor=approver, change_request_id=cr.pk)
    target.refresh_from_db()
    return target


@pytest.fixture
def one_one(register, counter, approver):
    """An active ①-I victim: no flags on the victim, the abuser needs the code."""
    return _active(register, counter, approver, cases=[{"type": "1-I", "abuser_atena_no": ABUSER}])


@pytest.fixture
def two_one(register, counter, approver):
    """An active ②-I victim: both flags set."""
    return _active(register, counter, approver)


def _amend(staff, target_id, **body):
    body.setdefault("reason", "追加の事実が判明したため")
    return token_client(staff).post(f"/api/v1/targets/{target_id}/amendments/", body, format="json")


def _decide(staff, cr_id, verb, **body):
    return token_client(staff).post(f"/api/v1/change-requests/{cr_id}/{verb}", body, format="json")


def test_adding_a_case_answers_201_with_the_pending_request_and_the_resulting_measures(one_one, counter):
    response = _amend(counter, one_one.pk, add_cases=[{"type": "2-I", "card_left": True}])
    assert response.status_code == 201, response.json()
    body = response.json()
    cr = ChangeRequest.objects.get(pk=body["change_request"]["id"])
    assert body["change_request"] == {"id": cr.pk, "status": "pending", "action": "amend"}
    assert body["required_measures"] == {"victim_flags": sorted([NO_AUTO_RESPONSE, NONDISCLOSURE]),
                                         "nondisclosure_code_on_victim": True,
                                         "nondisclosure_code_on_abusers": [ABUSER]}
    assert body["warnings"] == []
    assert cr.get_action_display() == "設定内容の変更"
    event = AuditEvent.objects.get(action="change_request.request_amend", outcome=Outcome.ALLOWED)
    assert event.target_id == one_one.pk and event.detail["cases"] == ["2-I"]
    assert one_one.cases.filter(active=True).count() == 1  # the record changes at approval only


def test_an_added_case_protects_at_the_check_while_pending_and_no_longer_after_rejection(
        one_one, counter, approver):
    assert nondisclosure_code_required(one_one.atena_no, INQUIRY) == (False, one_one.pk)
    assert not nondisclosure_code_required(NEW_ABUSER, INQUIRY)[0]
    response = _amend(counter, one_one.pk, add_cases=[{"type": "2-I", "agent_set": True},
                                                      {"type": "1-I", "abuser_atena_no": NEW_ABUSER}])
    cr_id = response.json()["change_request"]["id"]
    for direction in (INQUIRY, PROVISION):
        assert nondisclosure_code_required(one_one.atena_no, direction)[0]
        assert nondisclosure_code_required(NEW_ABUSER, direction)[0]
    assert {one_one.atena_no, NEW_ABUSER} <= protected_set().requires(INQUIRY)
    assert one_one.atena_no in notice_excluded_set()
    assert not Operation.objects.filter(change_request_id=cr_id).exists()  # flags follow approval

    rejected = _decide(approver, cr_id, "reject", reason="事実の確認が不十分")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert nondisclosure_code_required(one_one.atena_no, INQUIRY) == (False, one_one.pk)
    assert not nondisclosure_code_required(NEW_ABUSER, INQUIRY)[0]
    assert one_one.atena_no not in notice_excluded_set()
    assert AuditEvent.objects.filter(action="change_request.reject_amend", target_id=one_one.pk).exists()


def test_withdrawal_ends_the_provisional_protection_and_keeps_the_target_active(one_one, counter):
    cr_id = _amend(counter, one_one.pk, add_cases=[{"type": "1-I", "abuser_atena_no": NEW_ABUSER}]
                   ).json()["change_request"]["id"]
    assert nondisclosure_code_required(NEW_ABUSER, INQUIRY)[0]
    # Only the new abuser's protection grows: the ①-I victim is not provisionally protected.
    assert nondisclosure_code_required(one_one.atena_no, INQUIRY) == (False, one_one.pk)
    withdrawn = _decide(counter, cr_id, "withdraw", reason="誤って申請したため")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert not nondisclosure_code_required(NEW_ABUSER, INQUIRY)[0]
    one_one.refresh_from_db()
    assert one_one.status == "active"
    assert AuditEvent.objects.filter(action="change_request.withdraw_amend", target_id=one_one.pk).exists()


def test_approval_adds_the_case_and_sends_operations_for_the_new_flags_only(two_one, counter, approver):
    # ②-I set both flags already; adding ②-II needs NONDISCLOSURE, which is set: no operation.
    cr_id = _amend(counter, two_one.pk, add_cases=[{"type": "2-II", "legal_representative": "guardian"}]
                   ).json()["change_request"]["id"]
    approved = _decide(approver, cr_id, "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert sorted(two_one.cases.filter(active=True).values_list("case_type", flat=True)) == ["2-I", "2-II"]
    assert not Operation.objects.filter(change_request_id=cr_id).exists()
    event = AuditEvent.objects.get(action="change_request.approve_amend")
    assert event.detail["operation_ids"] == []


def test_approval_sends_the_difference_when_a_case_adds_flags(register, counter, approver):
    target = _active(register, counter, approver, cases=[{"type": "2-II", "legal_representative": "guardian"}])
    assert set(Operation.objects.filter(unit_key=target.atena_no).values_list("flag_kind", flat=True)) == {
        NONDISCLOSURE}
    cr_id = _amend(counter, target.pk, add_cases=[{"type": "2-I", "smartphone_left": True}]
                   ).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    ops = Operation.objects.filter(change_request_id=cr_id)
    assert [(o.flag_kind, o.action) for o in ops] == [(NO_AUTO_RESPONSE, "set")]


def test_four_eyes_the_requester_and_a_counter_may_not_approve(register, counter, approver, approver2):
    target = _active(register, counter, approver2)
    cr_id = _amend(approver, target.pk, add_cases=[{"type": "1-I", "abuser_atena_no": NEW_ABUSER}]
                   ).json()["change_request"]["id"]
    assert _decide(approver, cr_id, "approve").status_code == 403
    assert _decide(counter, cr_id, "approve").status_code == 403
    assert ChangeRequest.objects.get(pk=cr_id).status == ChangeStatus.PENDING
    assert _decide(approver2, cr_id, "approve").status_code == 200


def test_other_and_granted_departments_get_404_audited(two_one, approver, other_counter, other_approver):
    assert _amend(other_counter, two_one.pk, personal={"name_kana": "ヤマダ　ハナ"}).status_code == 404
    target_grant_department(actor=approver, target_id=two_one.pk, department_code="zeimu")
    assert token_client(other_counter).get(f"/api/v1/targets/{two_one.pk}/").status_code == 200
    response = _amend(other_approver, two_one.pk, personal={"name_kana": "ヤマダ　ハナ"})
    assert response.status_code == 404
    assert not ChangeRequest.objects.filter(target=two_one, action="amend").exists()
    assert AuditEvent.objects.filter(action="target.lock", outcome=Outcome.DENIED, target_id=two_one.pk,
                                     actor_id=other_approver.pk).exists()
    assert _amend(other_counter, 10 ** 12, personal={"name_kana": "ア"}).status_code == 404


def test_a_second_pending_amendment_is_409_in_japanese(two_one, counter):
    assert _amend(counter, two_one.pk, personal={"name_kana": "ヤマダ　ハナ"}).status_code == 201
    second = _amend(counter, two_one.pk, personal={"name": "山田　華子"})
    assert second.status_code == 409
    assert "承認待ちの設定内容の変更があります" in second.json()["detail"]


def test_only_an_active_target_is_amended(register, counter, approver):
    pending, _ = register(counter)
    response = _amend(counter, pending.pk, personal={"name_kana": "ヤマダ　ハナ"})
    assert response.status_code == 409 and "設定中（承認済み）の対象者のみ" in response.json()["detail"]


@pytest.mark.parametrize(("body", "field", "text"), [
    ({}, "non_field", "変更する内容がありません"),
    ({"personal": {"name_kana": "ヤマダ　ハナコ", "birth_date": "1990-04-01"}}, "non_field",
     "変更する内容がありません"),
    ({"reason": "", "personal": {"name_kana": "ヤマダ　ハナ"}}, "reason", "変更の理由を入力してください"),
    ({"personal": {"name_kana": "yamada"}}, "personal.name_kana", "カタカナ"),
    ({"personal": {"birth_date": "2999-01-01"}}, "personal.birth_date", "未来"),
    ({"add_cases": [{"type": "1-I", "abuser_atena_no": "123"}]}, "add_cases[0].abuser_atena_no", "15桁"),
    ({"add_cases": [{"type": "2-I", "card_left": True}]}, "add_cases[0].type", "既に登録されています"),
    ({"jumin_support": {"active": True}}, "jumin_support.start", "開始日を入力してください"),
])
def test_invalid_or_empty_amendments_are_400_per_field_in_japanese(two_one, counter, body, field, text):
    response = _amend(counter, two_one.pk, **body)
    assert response.status_code == 400, response.json()
    assert text in str(response.json()["errors"][field])
    assert not ChangeRequest.objects.filter(target=two_one, action="amend").exists()
    assert AuditEvent.objects.filter(action="change_request.request_amend", outcome=Outcome.DENIED).exists()


def test_an_approved_correction_keeps_before_and_after_and_tells_no_one(two_one, counter, approver):
    cr_id = _amend(counter, two_one.pk, personal={"name_kana": "やまだ　はな"},
                   jumin_support={"active": True, "start": "2026-04-01", "end": "2027-03-31"}
                   ).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    two_one.refresh_from_db()
    assert two_one.name_kana == "ヤマダ　ハナ" and two_one.jumin_support_active
    amendment = Amendment.objects.get(change_request_id=cr_id)
    assert amendment.before == {"personal": {"name_kana": "ヤマダ　ハナコ"},
                                "jumin_support": {"active": False, "start": None, "end": None}}
    assert amendment.after == {"personal": {"name_kana": "ヤマダ　ハナ"},
                               "jumin_support": {"active": True, "start": "2026-04-01", "end": "2027-03-31"}}
    # A kana typo changes nothing for the other linkage departments.
    assert not Notice.objects.filter(change_request_id=cr_id).exists()


def test_an_approved_added_case_is_an_amend_notice_without_the_case_or_abuser(one_one, counter, approver,
                                                                            other_counter):
    cr_id = _amend(counter, one_one.pk, add_cases=[{"type": "1-I", "abuser_atena_no": NEW_ABUSER,
                                                     "abuser_name": "加害　太郎"}]).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    notice = Notice.objects.get(change_request_id=cr_id)
    assert (notice.department.code, notice.kind) == ("zeimu", NoticeKind.AMEND)
    listed = token_client(other_counter).get("/api/v1/notices/").content.decode()
    assert str(notice.pk) in listed
    assert NEW_ABUSER not in listed and "加害" not in listed and "1-I" not in listed
    assert nondisclosure_code_required(NEW_ABUSER, INQUIRY)[0]  # now by the approved case


def test_a_birth_date_correction_moves_the_majority_reminder(register, counter, approver):
    target = _active(register, counter, approver, birth_date=born_aged(10),
                     cases=[{"type": "2-II", "legal_representative": "parent"}])
    corrected = datetime.date.fromisoformat(born_aged(12))
    cr_id = _amend(counter, target.pk, personal={"birth_date": corrected.isoformat()}).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    due = [r.due_on for r in reminders_for(actor=counter, until=majority_date(corrected))
           if r.kind == ReminderKind.MAJORITY and r.target_id == target.pk]
    assert due == [majority_date(corrected)]
    # The majority moved: the other linkage departments are told (no case named).
    assert Notice.objects.filter(change_request_id=cr_id, kind=NoticeKind.AMEND).count() == 1


def test_a_correction_that_makes_a_parent_represented_person_an_adult_is_taken_and_due_at_once(
        register, counter, approver):
    target = _active(register, counter, approver, birth_date=born_aged(16),
                     cases=[{"type": "2-II", "legal_representative": "parent"}])
    response = _amend(counter, target.pk, personal={"birth_date": born_aged(20)})
    assert response.status_code == 201
    assert "18歳以上" in response.json()["warnings"][0]
    _decide(approver, response.json()["change_request"]["id"], "approve")
    target.refresh_from_db()
    # Protection stays until a release is decided (a removal only after approval)…
    assert target.cases.filter(active=True, case_type="2-II").exists()
    assert nondisclosure_code_required(target.atena_no, INQUIRY)[0]
    # …and the review of the ②-II case is due today.
    assert [r.kind for r in reminders_for(actor=counter) if r.target_id == target.pk] == [ReminderKind.MAJORITY]


def test_an_added_parent_case_is_judged_on_the_corrected_birth_date(two_one, counter):
    response = _amend(counter, two_one.pk, personal={"birth_date": born_aged(30)},
                      add_cases=[{"type": "2-II", "legal_representative": "parent"}])
    assert response.status_code == 400
    assert "親権者は法定代理人ではありません" in response.json()["errors"]["add_cases[0].legal_representative"][0]
    minor = _amend(counter, two_one.pk, personal={"birth_date": born_aged(15)},
                   add_cases=[{"type": "2-II", "legal_representative": "parent"}])
    assert minor.status_code == 201, minor.json()


def test_the_history_shows_before_and_after_to_the_owning_department_only(
        client, two_one, counter, approver, other_counter):
    cr_id = _amend(counter, two_one.pk, personal={"name": "山田　華子"}).json()["change_request"]["id"]
    client.force_login(counter)
    page = client.get(f"/targets/{two_one.pk}/").content.decode()
    assert "承認待ちの設定内容の変更" in page
    _decide(approver, cr_id, "approve")
    target_grant_department(actor=approver, target_id=two_one.pk, department_code="zeimu")
    page = client.get(f"/targets/{two_one.pk}/").content.decode()
    assert "設定内容の変更の履歴" in page and "山田　花子" in page and "山田　華子" in page
    # Each showing of the amendments (pending, then approved) is a read of the person.
    reads = AuditEvent.objects.filter(action="amendment.history_read", target_id=two_one.pk, actor_id=counter.pk)
    assert reads.count() == 2
    client.force_login(other_counter)
    granted_page = client.get(f"/targets/{two_one.pk}/").content.decode()
    assert "設定内容の変更の履歴" not in granted_page and "山田　花子" not in granted_page
    assert not AuditEvent.objects.filter(action="amendment.history_read", actor_id=other_counter.pk).exists()


def test_the_slip_of_an_amendment_shows_before_after_and_the_resulting_measures(client, one_one, counter, approver):
    cr_id = _amend(counter, one_one.pk, personal={"name_kana": "ヤマダ　ハナ"},
                   add_cases=[{"type": "2-I", "card_left": True}]).json()["change_request"]["id"]
    client.force_login(approver)
    pending = client.get(f"/flags/requests/{cr_id}/slip/").content.decode()
    assert "設定内容の変更" in pending and "②-I" in pending and "ヤマダ　ハナ" in pending
    _decide(approver, cr_id, "approve")
    slip = client.get(f"/flags/requests/{cr_id}/slip/").content.decode()
    assert "変更前" in slip and "ヤマダ　ハナコ" in slip and "ヤマダ　ハナ" in slip
    assert "不開示該当フラグ" in slip or NONDISCLOSURE in slip
    assert "追加の事実が判明したため" in slip
    assert AuditEvent.objects.filter(action="change_request.slip", target_id=one_one.pk).count() == 2


def test_the_amend_screen_confirms_the_measures_then_submits(client, one_one, counter):
    client.force_login(counter)
    form = client.get(f"/targets/{one_one.pk}/amend/")
    assert form.status_code == 200 and "設定内容の変更" in form.content.decode()
    post = {"reason": "カードの残置が判明", "add_type": "2-I", "add_card_left": "on"}
    confirm = client.post(f"/targets/{one_one.pk}/amend/", {**post, "step": "confirm"})
    assert confirm.status_code == 200
    assert "不開示該当フラグ" in confirm.content.decode() or NONDISCLOSURE in confirm.content.decode()
    assert not ChangeRequest.objects.filter(target=one_one, action="amend").exists()
    done = client.post(f"/targets/{one_one.pk}/amend/", {**post, "step": "submit"})
    assert done.status_code == 302 and done["Location"] == f"/targets/{one_one.pk}/"
    assert ChangeRequest.objects.get(target=one_one, action="amend").status == "pending"


def test_the_amend_screen_shows_errors_next_to_the_fields(client, two_one, counter, other_counter):
    client.force_login(counter)
    bad = client.post(f"/targets/{two_one.pk}/amend/", {"reason": "", "name_kana": "abc", "step": "confirm"})
    assert bad.status_code == 400
    page = bad.content.decode()
    assert "変更の理由を入力してください" in page and "カタカナ" in page and 'aria-describedby="' in page
    client.force_login(other_counter)
    assert client.get(f"/targets/{two_one.pk}/amend/").status_code == 404


def test_audit_records_the_request_and_decision_without_personal_data(two_one, counter, approver):
    cr_id = _amend(counter, two_one.pk, personal={"name": "山田　華子"}).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    for action in ("change_request.request_amend", "change_request.approve_amend"):
        event = AuditEvent.objects.get(action=action)
        assert "山田" not in str(event.detail) and event.target_id == two_one.pk


def test_the_history_api_is_the_owning_departments_only(two_one, counter, approver, other_counter):
    cr_id = _amend(counter, two_one.pk, personal={"birth_date": "1990-05-01"}).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    history = token_client(counter).get(f"/api/v1/targets/{two_one.pk}/amendments/")
    assert history.status_code == 200
    [row] = history.json()
    assert row["change_request"] == {"id": cr_id, "status": "approved", "action": "amend"}
    assert (row["before"], row["after"]) == ({"personal": {"birth_date": "1990-04-01"}},
                                             {"personal": {"birth_date": "1990-05-01"}})
    assert AuditEvent.objects.filter(action="amendment.history_read", detail__via="api").count() == 1
    target_grant_department(actor=approver, target_id=two_one.pk, department_code="zeimu")
    assert token_client(other_counter).get(f"/api/v1/targets/{two_one.pk}/amendments/").status_code == 404
    assert AuditEvent.objects.filter(action="amendment.history_read", outcome=Outcome.DENIED,
                                     actor_id=other_counter.pk).count() == 1


def test_a_granted_departments_slip_has_no_before_and_after(client, two_one, counter, approver, other_counter):
    cr_id = _amend(counter, two_one.pk, personal={"name": "山田　華子"}).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    target_grant_department(actor=approver, target_id=two_one.pk, department_code="zeimu")
    client.force_login(other_counter)
    slip = client.get(f"/flags/requests/{cr_id}/slip/")
    assert slip.status_code == 200
    assert "変更の内容" not in slip.content.decode() and "山田　花子" not in slip.content.decode()


def test_a_case_added_after_a_reopening_belongs_to_the_current_period(two_one, counter, approver, approver2):
    release = release_request_create(actor=counter, target_id=two_one.pk, reason="wish", case_ids=None)
    change_request_approve(actor=approver, change_request_id=release.pk)
    registration_submit(actor=counter, payload=intake_payload(atena_no=two_one.atena_no), today=timezone.localdate())
    change_request_approve(actor=approver2, change_request_id=ChangeRequest.objects.get(
        target=two_one, action="set", status="pending").pk)
    cr_id = _amend(counter, two_one.pk, add_cases=[{"type": "1-I", "abuser_atena_no": NEW_ABUSER}]
                   ).json()["change_request"]["id"]
    _decide(approver, cr_id, "approve")
    added = Amendment.objects.get(change_request_id=cr_id).added_cases.get()
    assert added.period is not None and added.period.number == 2

import pytest

from audit.models import AuditEvent
from checks import protection, selectors
from core.errors import Conflict, DomainError, Forbidden, NotFound
from flags.models import ChangeStatus
from intermediary.models import FlagState, Operation
from tests.conftest import born_aged
from victims import services
from victims.models import Notice, Target, TargetStatus
from victims.services import case_confirm_procedure


def ops_for(target):
    return sorted((o.flag_kind, o.action) for o in Operation.objects.filter(unit_key=target.atena_no))


def test_registration_protects_before_approval_and_sends_nothing(counter, register):
    target, cr = register(counter)
    assert target.status == TargetStatus.PENDING
    assert cr.status == ChangeStatus.PENDING
    assert protection.nondisclosure_code_required(target.atena_no, "inquiry")[0] is True
    assert Operation.objects.count() == 0
    assert not FlagState.objects.filter(desired=True).exists()


def test_approval_of_2_I_sets_both_flags_and_writes_outbox(counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    target.refresh_from_db()
    assert target.status == TargetStatus.ACTIVE
    assert ops_for(target) == [("NONDISCLOSURE", "set"), ("NO_AUTO_RESPONSE", "set")]
    desired = {s.flag_kind: s.desired for s in FlagState.objects.filter(unit_key=target.atena_no)}
    assert desired == {"NONDISCLOSURE": True, "NO_AUTO_RESPONSE": True}


def test_approval_of_2_II_sets_nondisclosure_only(counter, approver, register):
    target, cr = register(counter, birth_date=born_aged(11),
                          cases=[{"type": "2-II", "legal_representative": "parent"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    assert ops_for(target) == [("NONDISCLOSURE", "set")]


def test_approval_of_1_I_sets_no_flags_but_protects_the_abuser(counter, approver, register, other_counter):
    abuser = "200000000000001"
    target, cr = register(counter, cases=[{"type": "1-I", "abuser_atena_no": abuser}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    assert ops_for(target) == []
    assert selectors.inquiry_check(actor=other_counter, atena_no=abuser, direction="inquiry") is True
    assert selectors.inquiry_check(actor=other_counter, atena_no=target.atena_no, direction="inquiry") is False


def test_requester_cannot_approve_own_request(approver, approver2, register):
    target, cr = register(approver)
    with pytest.raises(Forbidden):
        services.change_request_approve(actor=approver, change_request_id=cr.pk)
    services.change_request_approve(actor=approver2, change_request_id=cr.pk)


def test_counter_and_other_department_cannot_approve(counter, register, other_approver, make_staff):
    target, cr = register(counter)
    counter2 = make_staff("counter2", "kodomo", "counter")
    with pytest.raises(Forbidden):
        services.change_request_approve(actor=counter2, change_request_id=cr.pk)
    with pytest.raises(NotFound):
        services.change_request_approve(actor=other_approver, change_request_id=cr.pk)
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.PENDING


def test_second_approval_conflicts(counter, approver, approver2, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    with pytest.raises(Conflict):
        services.change_request_approve(actor=approver2, change_request_id=cr.pk)
    assert Operation.objects.count() == 2


def test_release_after_2_I_procedures_complete(counter, approver, register, today):
    target, cr = register(counter, cases=[{"type": "2-I", "card_left": True, "agent_set": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case = target.cases.get()
    with pytest.raises(DomainError):
        services.release_request_create(actor=counter, target_id=target.pk, reason="2-I_complete", case_ids=[case.pk])
    case_confirm_procedure(actor=counter, case_id=case.pk, procedure="card", confirmed_on=today)
    case_confirm_procedure(actor=counter, case_id=case.pk, procedure="agent", confirmed_on=today)
    rr = services.release_request_create(actor=counter, target_id=target.pk, reason="2-I_complete", case_ids=[case.pk])
    services.change_request_approve(actor=approver, change_request_id=rr.pk)
    target.refresh_from_db()
    assert target.status == TargetStatus.RELEASED
    assert ops_for(target) == [("NONDISCLOSURE", "release"), ("NONDISCLOSURE", "set"),
                               ("NO_AUTO_RESPONSE", "release"), ("NO_AUTO_RESPONSE", "set")]
    assert protection.nondisclosure_code_required(target.atena_no, "inquiry")[0] is False


def test_rejection_needs_a_reason_and_ends_protection_of_a_new_registration(counter, approver, register):
    target, cr = register(counter)
    with pytest.raises(DomainError):
        services.change_request_reject(actor=approver, change_request_id=cr.pk, reason=" ")
    services.change_request_reject(actor=approver, change_request_id=cr.pk, reason="要件イを確認できない")
    target.refresh_from_db()
    assert target.status == TargetStatus.REJECTED
    assert Operation.objects.count() == 0
    assert protection.nondisclosure_code_required(target.atena_no, "inquiry")[0] is False


def test_withdrawn_registration_sends_nothing(counter, approver, register):
    target, cr = register(counter)
    services.change_request_withdraw(actor=counter, change_request_id=cr.pk)  # asks (ADR 0016)
    services.change_request_withdraw(actor=approver, change_request_id=cr.pk)  # a head completes it
    target.refresh_from_db()
    assert target.status == TargetStatus.WITHDRAWN and Operation.objects.count() == 0


def test_partial_release_keeps_the_remaining_case(counter, approver, register, other_counter):
    abuser = "200000000000002"
    target, cr = register(counter, cases=[{"type": "2-I", "card_left": True},
                                          {"type": "1-I", "abuser_atena_no": abuser}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case_2_i = target.cases.get(case_type="2-I")
    rr = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=[case_2_i.pk])
    services.change_request_approve(actor=approver, change_request_id=rr.pk)
    target.refresh_from_db()
    assert target.status == TargetStatus.ACTIVE
    assert selectors.inquiry_check(actor=other_counter, atena_no=abuser, direction="inquiry") is True
    assert selectors.inquiry_check(actor=other_counter, atena_no=target.atena_no, direction="inquiry") is False
    assert {o.action for o in Operation.objects.filter(change_request=rr)} == {"release"}
    # Still a target, so not a 解除 notice: the other linkage department is told the protection changed (ADR 0027).
    assert list(Notice.objects.filter(change_request=rr).values_list("department__code", "kind")) == [
        ("zeimu", "amend")]


def test_full_release_tells_every_linkage_department(counter, approver, register):

    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    rr = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    services.change_request_approve(actor=approver, change_request_id=rr.pk)
    # Every linkage department but the owner (子ども家庭支援課), which made the change (ADR 0027).
    assert list(Notice.objects.filter(change_request=rr).values_list("department__code", "kind")) == [
        ("zeimu", "release")]


def test_release_is_rechecked_against_the_live_record_at_approval(counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    rr = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    Target.objects.filter(pk=target.pk).update(jumin_support_active=True)  # 支援措置 started meanwhile
    with pytest.raises(DomainError, match="住基DV等支援措置"):
        services.change_request_approve(actor=approver, change_request_id=rr.pk)
    rr.refresh_from_db()
    assert rr.status == ChangeStatus.PENDING
    assert not Operation.objects.filter(action="release").exists()


def test_release_refused_while_jumin_support_active(counter, approver, register):
    target, cr = register(counter, jumin_support={"active": True, "start": "2026-01-01"})
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    with pytest.raises(DomainError, match="住基DV等支援措置"):
        services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)


def test_only_one_pending_request_at_a_time(counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    with pytest.raises(Conflict):
        services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)


def test_approval_is_audited_with_its_operations_in_the_same_transaction(counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    event = AuditEvent.objects.get(action="change_request.approve_set")
    assert event.target_id == target.pk and event.actor_id == approver.pk
    assert sorted(event.detail["operation_ids"]) == sorted(str(o.id) for o in Operation.objects.all())


def test_stricter_policy_sets_both_flags_for_a_2_II_victim(counter, approver, register, settings):
    settings.FLAG_POLICY = {"both_flags_for_every_victim": True, "code_on_victim_for_case_1_1": False}
    target, cr = register(counter, birth_date=born_aged(11), cases=[{"type": "2-II", "legal_representative": "parent"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    assert ops_for(target) == [("NONDISCLOSURE", "set"), ("NO_AUTO_RESPONSE", "set")]


def test_provision_check_for_a_2_II_victim(counter, approver, register, other_counter):
    target, cr = register(counter, birth_date=born_aged(11),
                          cases=[{"type": "2-II", "legal_representative": "guardian"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    assert selectors.inquiry_check(actor=other_counter, atena_no=target.atena_no, direction="provision") is True
    assert selectors.inquiry_check(actor=other_counter, atena_no="999999999999999", direction="provision") is False

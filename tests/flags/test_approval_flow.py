import pytest

from config.errors import Conflict, DomainError, Forbidden, NotFound
from flags import selectors, services
from flags.models import ChangeRequest, ChangeStatus, FlagState
from intermediary.models import Operation
from victims.models import TargetStatus


def ops_for(target):
    return sorted((o.flag_kind, o.action) for o in Operation.objects.filter(unit_key=target.atena_no))


def test_registration_protects_before_approval_and_sends_nothing(counter, register):
    target, cr = register(counter)
    assert target.status == TargetStatus.PENDING
    assert cr.status == ChangeStatus.PENDING
    assert selectors.nondisclosure_code_required(target.atena_no, "inquiry")[0] is True
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
    target, cr = register(counter, birth_date="2015-01-01",
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
    from victims.services import case_confirm_procedure

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
    assert selectors.nondisclosure_code_required(target.atena_no, "inquiry")[0] is False

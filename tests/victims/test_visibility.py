"""Who sees what: owning department, granted departments, other linkage departments, nobody else."""
import pytest

from audit.models import AuditEvent
from checks import selectors
from core.errors import Forbidden, NotFound
from victims import selectors as vs
from victims.services import target_grant_department


def test_owning_department_reads_and_the_read_is_audited(counter, approver, register):
    target, _ = register(counter)
    assert vs.target_get_for_user(actor=approver, target_id=target.pk).pk == target.pk
    event = AuditEvent.objects.filter(action="target.read").last()
    assert (event.actor_id, event.target_id, event.outcome) == (approver.pk, target.pk, "allowed")


@pytest.mark.parametrize("who", ["other_counter", "nonlinkage_counter", "sysadmin", "auditor"])
def test_everyone_else_gets_not_found_and_a_denied_event(counter, register, request, who):
    actor = request.getfixturevalue(who)
    target, _ = register(counter)
    with pytest.raises(NotFound):
        vs.target_get_for_user(actor=actor, target_id=target.pk)
    assert AuditEvent.objects.filter(action="target.read", actor_id=actor.pk, outcome="denied",
                                     target_id=target.pk).exists()


def test_absent_and_hidden_look_the_same(counter, other_counter, register):
    target, _ = register(counter)
    errors = []
    for target_id in (target.pk, 999_999, "abc"):
        with pytest.raises(NotFound) as exc:
            vs.target_get_for_user(actor=other_counter, target_id=target_id)
        errors.append(exc.value.message)
    assert len(set(errors)) == 1


def test_search_never_reveals_another_departments_target(counter, other_counter, register):
    target, _ = register(counter)
    assert vs.target_search_by_atena(actor=other_counter, atena_no=target.atena_no) is None
    assert vs.target_search_by_atena(actor=counter, atena_no=target.atena_no).pk == target.pk


def test_granted_department_sees_the_full_record(counter, approver, other_counter, register):
    target, _ = register(counter)
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    assert vs.target_get_for_user(actor=other_counter, target_id=target.pk).pk == target.pk


def test_other_linkage_department_gets_only_the_minimal_list_and_the_check(counter, other_counter, register):
    target, _ = register(counter)
    rows = list(vs.target_shared_list(actor=other_counter))
    assert rows == [{"atena_no": target.atena_no, "name": target.name, "is_target": True}]
    assert selectors.inquiry_check(actor=other_counter, atena_no=target.atena_no, direction="inquiry") is True


@pytest.mark.parametrize("who", ["nonlinkage_counter", "sysadmin", "auditor"])
def test_non_linkage_and_non_victim_roles_cannot_check_or_list(counter, register, request, who):
    actor = request.getfixturevalue(who)
    target, _ = register(counter)
    with pytest.raises(Forbidden):
        selectors.inquiry_check(actor=actor, atena_no=target.atena_no, direction="inquiry")
    with pytest.raises(Forbidden):
        vs.target_shared_list(actor=actor)
    assert AuditEvent.objects.filter(action="inquiry.check", actor_id=actor.pk, outcome="denied").exists()


def test_deactivated_staff_sees_nothing(counter, register):
    target, _ = register(counter)
    counter.is_active = False
    counter.save()
    with pytest.raises(NotFound):
        vs.target_get_for_user(actor=counter, target_id=target.pk)

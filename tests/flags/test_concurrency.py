"""Two approvers pressing 承認 at the same moment: exactly one approval, one set of operations."""
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import Conflict
from flags.models import ChangeRequest, ChangeStatus
from intermediary.models import Operation
from victims import services


@pytest.mark.parametrize("rounds", [5])
def test_simultaneous_approvals_give_one_approval(live_db, counter, approver, approver2, register, rounds):
    results = {"approved": 0, "conflict": 0, "other": []}
    for _ in range(rounds):
        _, cr = register(counter)
        barrier = threading.Barrier(2)

        def approve(actor, barrier=barrier, cr=cr):  # bound now: each round has its own
            try:
                barrier.wait()
                services.change_request_approve(actor=actor, change_request_id=cr.pk)
                results["approved"] += 1
            except Conflict:
                results["conflict"] += 1
            except Exception as exc:  # noqa: BLE001 - reported below
                results["other"].append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=approve, args=(a,)) for a in (approver, approver2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        cr.refresh_from_db()
        assert cr.status == ChangeStatus.APPROVED
        assert cr.operations.count() == 2
    print(f"rounds={rounds} approved={results['approved']} conflicts={results['conflict']} "
          f"operations={Operation.objects.count()}")
    assert results["other"] == []
    assert results["approved"] == rounds and results["conflict"] == rounds
    assert Operation.objects.count() == 2 * rounds
    assert ChangeRequest.objects.filter(status=ChangeStatus.APPROVED).count() == rounds


def test_database_refuses_self_approval_even_without_the_service(counter, register):
    _, cr = register(counter)
    cr.status, cr.decided_by, cr.decided_department = "approved", counter, counter.department
    cr.decided_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        cr.save()


def test_database_refuses_approval_by_another_department(counter, other_approver, register):
    _, cr = register(counter)
    cr.status, cr.decided_by, cr.decided_department, cr.decided_at = (
        "approved", other_approver, other_approver.department, timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        cr.save()

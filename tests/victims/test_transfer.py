"""Transfer of ownership (ADR 0034): the owning department asks, a head of the receiving
department decides (four eyes across the two), the owner changes and the old owner keeps
its access as a recorded grant. Refusals are audited; the 決裁票 prints the transfer."""
import pytest

from accounts.models import Role
from audit.models import AuditEvent, Outcome
from flags.models import ChangeAction, ChangeRequest, ChangeStatus
from tests.conftest import VerifiedClient
from victims.models import GrantKind, GrantRecord, Target
from victims.services import change_request_approve, target_grant_department

from .test_registration_no_oracle import token_client


@pytest.fixture
def target(counter, approver, register):
    target, change_request = register(counter)
    change_request_approve(actor=approver, change_request_id=change_request.pk)
    return target


def _ask(staff, target_id, department="zeimu", reason="転居に伴い税務課で対応を継続するため"):
    return token_client(staff).post(f"/api/v1/targets/{target_id}/transfers/",
                                    {"department": department, "reason": reason}, format="json")


def _login(staff) -> VerifiedClient:
    client = VerifiedClient()
    client.force_login(staff)
    return client


def _events(action, outcome=Outcome.ALLOWED):
    return list(AuditEvent.objects.filter(action=action, outcome=outcome).order_by("id"))


def test_owner_asks_and_the_receiving_head_approves(target, counter, other_approver, other_counter):
    asked = _ask(counter, target.pk)
    assert asked.status_code == 201, asked.json()
    body = asked.json()["change_request"]
    assert {k: body[k] for k in ("status", "action")} == {"status": "pending", "action": "transfer"}
    change_request = ChangeRequest.objects.get(pk=body["id"])
    assert change_request.deciding_department.code == "zeimu" and change_request.transfer_to.code == "zeimu"
    assert change_request.department.code == "kodomo"

    approved = token_client(other_approver).post(f"/api/v1/change-requests/{body['id']}/approve", {}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    target.refresh_from_db()
    assert target.owning_department.code == "zeimu"
    assert token_client(other_counter).get(f"/api/v1/targets/{target.pk}/").status_code == 200
    [event] = _events("change_request.approve_transfer")
    assert event.target_id == target.pk and event.detail["from"] == "kodomo" and event.detail["to"] == "zeimu"
    assert _events("change_request.request_transfer")[0].detail["department"] == "zeimu"


def test_the_old_owner_keeps_full_access_as_a_recorded_grant(target, counter, other_approver):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    token_client(other_approver).post(f"/api/v1/change-requests/{change_request_id}/approve", {}, format="json")
    client = token_client(counter)
    assert client.get(f"/api/v1/targets/{target.pk}/").status_code == 200
    assert any(t["id"] == target.pk for t in client.get("/api/v1/targets/").json()["results"])
    [kept] = GrantRecord.objects.filter(target=target)
    assert (kept.kind, kept.department.code, kept.by, kept.by_department.code, kept.change_request_id) == (
        GrantKind.GRANTED, "kodomo", other_approver, "zeimu", change_request_id)
    grants = token_client(other_approver).get(f"/api/v1/targets/{target.pk}/").status_code
    assert grants == 200


def test_the_owners_head_may_ask_too(target, approver):
    assert _ask(approver, target.pk).status_code == 201


def test_the_owners_head_cannot_decide_its_own_transfer(target, counter, approver):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    refused = token_client(approver).post(f"/api/v1/change-requests/{change_request_id}/approve", {}, format="json")
    assert refused.status_code == 403
    assert "決裁する所属の所属長" in refused.json()["detail"]
    assert _events("change_request.decide", Outcome.DENIED)[-1].target_id == target.pk
    assert ChangeRequest.objects.get(pk=change_request_id).status == ChangeStatus.PENDING


def test_a_head_of_another_department_gets_404(target, counter, make_staff):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    koho_head = make_staff("koho_head", "koho", Role.APPROVER)
    response = token_client(koho_head).post(f"/api/v1/change-requests/{change_request_id}/approve", {},
                                            format="json")
    assert response.status_code == 404
    assert _events("change_request.decide", Outcome.DENIED)[-1].detail == {"change_request_id": change_request_id}


def test_a_counter_of_the_receiving_department_cannot_decide(target, counter, other_counter):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    response = token_client(other_counter).post(f"/api/v1/change-requests/{change_request_id}/approve", {},
                                                format="json")
    assert response.status_code == 404  # it neither sees the target nor decides the request


def test_a_granted_department_is_not_the_owner_refused_and_audited(target, approver, other_counter):
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    response = _ask(other_counter, target.pk, department="koho")
    assert response.status_code == 403
    assert "所管する所属の職員のみ" in response.json()["detail"]
    [event] = _events("change_request.request_transfer", Outcome.DENIED)
    assert event.target_id == target.pk and event.detail == {"department": "koho", "reason": "not_owner"}
    assert not ChangeRequest.objects.filter(action=ChangeAction.TRANSFER).exists()


def test_a_department_that_cannot_see_the_target_gets_404(target, other_counter):
    hidden = _ask(other_counter, target.pk)
    absent = _ask(other_counter, 999999)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["detail"] == absent.json()["detail"]


@pytest.mark.parametrize(("department", "reason", "field"), [
    ("kodomo", "理由", "department"), ("nosuch", "理由", "department"), ("zeimu", "  ", "reason")])
def test_own_unknown_department_or_no_reason_is_a_400(target, counter, department, reason, field):
    response = _ask(counter, target.pk, department=department, reason=reason)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_second_pending_request_is_refused(target, counter):
    assert _ask(counter, target.pk).status_code == 201
    again = _ask(counter, target.pk, department="koho")
    assert again.status_code == 409
    assert ChangeRequest.objects.filter(target=target, status=ChangeStatus.PENDING).count() == 1


def test_rejected_the_owner_stays_and_the_receiver_loses_sight(target, counter, other_approver):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    head = token_client(other_approver)
    assert head.get(f"/api/v1/targets/{target.pk}/").status_code == 200  # reads what it decides
    rejected = head.post(f"/api/v1/change-requests/{change_request_id}/reject", {"reason": "受入れ体制がないため"},
                         format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert Target.objects.get(pk=target.pk).owning_department.code == "kodomo"
    assert head.get(f"/api/v1/targets/{target.pk}/").status_code == 404
    assert not GrantRecord.objects.exists()
    assert _events("change_request.reject_transfer")[0].target_id == target.pk


def test_only_the_asking_side_withdraws(target, counter, other_approver):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    refused = token_client(other_approver).post(f"/api/v1/change-requests/{change_request_id}/withdraw", {},
                                                format="json")
    assert refused.status_code == 403
    assert _events("change_request.withdraw_transfer", Outcome.DENIED)[0].target_id == target.pk
    withdrawn = token_client(counter).post(f"/api/v1/change-requests/{change_request_id}/withdraw", {},
                                           format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert _events("change_request.withdraw_transfer")[0].target_id == target.pk


def test_on_screens_owner_asks_and_receiving_head_approves_from_its_queue(target, counter, other_approver):
    owner = _login(counter)
    detail = owner.get(f"/targets/{target.pk}/").content.decode()
    assert f'href="/targets/{target.pk}/transfer/"' in detail
    form = owner.get(f"/targets/{target.pk}/transfer/")
    assert form.status_code == 200 and 'name="department"' in form.content.decode()
    missing = owner.post(f"/targets/{target.pk}/transfer/", {"department": "zeimu", "reason": ""})
    assert missing.status_code == 400 and 'aria-describedby="error-reason"' in missing.content.decode()
    asked = owner.post(f"/targets/{target.pk}/transfer/", {"department": "zeimu", "reason": "転居のため"})
    assert asked.status_code == 302
    change_request = ChangeRequest.objects.get(target=target, action=ChangeAction.TRANSFER)

    head = _login(other_approver)
    assert head.get("/").context["queue_count"] == 1
    queue = head.get("/flags/approvals/").content.decode()
    assert "所管の移管" in queue and "子ども家庭支援課 → <strong>税務課</strong>" in queue
    assert head.post(f"/flags/requests/{change_request.pk}/approve/").status_code == 302
    assert Target.objects.get(pk=target.pk).owning_department.code == "zeimu"


def test_the_slip_of_a_transfer(target, counter, other_approver):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    slip = _login(other_approver).get(f"/flags/requests/{change_request_id}/slip/")
    assert slip.status_code == 200
    html = slip.content.decode()
    assert "件名：設定対象者の所管の移管" in html and "移管先の所属" in html and "税務課" in html
    assert "転居に伴い税務課で対応を継続するため" in html
    assert _events("change_request.slip")[-1].detail["change_request_id"] == change_request_id


def test_the_slip_is_404_for_a_department_that_neither_sees_nor_decides(target, counter, make_staff):
    change_request_id = _ask(counter, target.pk).json()["change_request"]["id"]
    koho = make_staff("koho_head", "koho", Role.APPROVER)
    assert _login(koho).get(f"/flags/requests/{change_request_id}/slip/").status_code == 404


def test_the_deciding_head_reads_the_page_without_the_case_work(target, counter, other_approver):
    _ask(counter, target.pk)
    html = _login(other_approver).get(f"/targets/{target.pk}/").content.decode()
    assert 'id="deciding-only"' in html
    assert "/confirm/" not in html and "/corrections/" not in html and "/withdraw/" not in html
    owner = _login(counter).get(f"/targets/{target.pk}/").content.decode()
    assert 'id="deciding-only"' not in owner and "/confirm/" in owner and "/withdraw/" in owner

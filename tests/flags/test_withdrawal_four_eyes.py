"""No one person ends a protection (issue 10 item 2, ADR 0016).

A registration (pending set request) is withdrawn only by two people, and neither
withdrawn nor rejected while the 住基DV等支援措置 is active; throughout, the inquiry-time
check keeps answering "required"."""
import pytest
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import api_token_issue
from audit.models import AuditEvent, Outcome
from checks.protection import nondisclosure_code_required
from core.errors import DomainError, Forbidden
from flags.models import ChangeRequest, ChangeStatus
from intermediary.models import Operation
from tests.conftest import VerifiedClient, system_client_key
from victims import services
from victims.models import Target, TargetStatus

JUMIN_PERSON = {"atena_no": "810000000000001", "event": "start", "start": "2025-04-01", "end": "2026-03-31",
                "name": "住基　花子", "name_kana": "ジュウキ　ハナコ", "birth_date": "1985-05-05"}


def required(atena_no: str) -> bool:
    return nondisclosure_code_required(atena_no, "inquiry")[0]


@pytest.fixture
def jumin_registration(departments):
    """The 住民記録 push creates a pending registration of a 支援措置 person."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"System {system_client_key('juki', 'kodomo', 'jumin_push')}")
    response = client.post("/api/v1/jumin-support-measures/", {"measures": [JUMIN_PERSON]}, format="json")
    assert response.status_code == 200, response.content
    target = Target.objects.get(atena_no=JUMIN_PERSON["atena_no"])
    assert target.status == TargetStatus.PENDING and target.jumin_support_active
    return target, ChangeRequest.objects.get(target=target, status=ChangeStatus.PENDING)


@pytest.fixture
def login(db):
    def do(staff) -> VerifiedClient:
        client = VerifiedClient()
        client.force_login(staff)
        return client
    return do


def token_client(staff) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=staff)}")
    return client


def test_a_jumin_registration_can_be_neither_withdrawn_nor_rejected(jumin_registration, counter, approver, login):
    target, cr = jumin_registration
    assert required(target.atena_no)

    screen = login(counter).post(f"/flags/requests/{cr.pk}/withdraw/", {"target": target.pk}, follow=True)
    assert "住基DV等支援措置の対象者は登録の取下げできません" in screen.content.decode()
    api = token_client(counter).post(f"/api/v1/change-requests/{cr.pk}/withdraw", {}, format="json")
    assert api.status_code == 400 and "住基DV等支援措置の対象者は登録の取下げできません" in api.json()["detail"]
    refused = AuditEvent.objects.filter(action="change_request.withdraw_set", outcome=Outcome.DENIED)
    assert refused.count() == 2 and set(refused.values_list("target_id", flat=True)) == {target.pk}

    with pytest.raises(DomainError, match="住基DV等支援措置の対象者は登録の却下できません"):
        services.change_request_reject(actor=approver, change_request_id=cr.pk, reason="確認できない")
    rejected = token_client(approver).post(f"/api/v1/change-requests/{cr.pk}/reject", {"reason": "確認できない"},
                                           format="json")
    assert rejected.status_code == 400
    assert AuditEvent.objects.filter(action="change_request.reject_set", outcome=Outcome.DENIED,
                                     target_id=target.pk).count() == 2

    target.refresh_from_db()
    cr.refresh_from_db()
    assert target.status == TargetStatus.PENDING and cr.status == ChangeStatus.PENDING
    assert cr.withdrawal_requested_by_id is None
    assert required(target.atena_no)


def test_a_counter_withdrawal_waits_for_a_different_head(counter, approver, approver2, register, login):
    target, cr = register(counter)
    response = login(counter).post(f"/flags/requests/{cr.pk}/withdraw/", {"target": target.pk}, follow=True)
    assert "登録の取下げを申し出ました" in response.content.decode()
    target.refresh_from_db()
    cr.refresh_from_db()
    assert target.status == TargetStatus.PENDING and cr.status == ChangeStatus.PENDING
    assert cr.withdrawal_requested_by_id == counter.pk
    assert required(target.atena_no)  # still protected until a second person agrees
    assert AuditEvent.objects.filter(action="change_request.request_withdrawal", target_id=target.pk).exists()

    # The asker cannot complete it, by screen or API; neither can a head of another department.
    again = login(counter).post(f"/flags/requests/{cr.pk}/withdraw/", {"target": target.pk}, follow=True)
    assert "申し出た方以外の所属長の承認をお待ちください" in again.content.decode()
    assert token_client(counter).post(f"/api/v1/change-requests/{cr.pk}/withdraw", {},
                                      format="json").status_code == 403
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING and required(target.atena_no)

    # The approval queue shows it; a different head completes it there.
    queue = login(approver).get("/flags/approvals/").content.decode()
    assert "登録の取下げの申出があります" in queue and "取下げを承認する" in queue
    done = login(approver).post(f"/flags/requests/{cr.pk}/withdraw/", {"next": "queue"})
    assert done.status_code == 302 and done["Location"] == "/flags/approvals/"
    target.refresh_from_db()
    cr.refresh_from_db()
    assert target.status == TargetStatus.WITHDRAWN and cr.status == ChangeStatus.WITHDRAWN
    assert cr.decided_by_id == approver.pk
    assert not required(target.atena_no) and Operation.objects.count() == 0


def test_an_approver_cannot_approve_the_withdrawal_they_asked_for(counter, approver, approver2, register):
    target, cr = register(counter)
    asked = token_client(approver).post(f"/api/v1/change-requests/{cr.pk}/withdraw", {"reason": "本人の意向"},
                                        format="json")
    assert asked.status_code == 202 and asked.json()["status"] == "pending"
    assert asked.json()["withdrawal_requested_at"] is not None
    with pytest.raises(Forbidden, match="二者確認"):
        services.change_request_withdraw(actor=approver, change_request_id=cr.pk)
    assert AuditEvent.objects.filter(action="change_request.decide", outcome=Outcome.DENIED,
                                     target_id=target.pk).exists()
    assert Target.objects.get(pk=target.pk).status == TargetStatus.PENDING and required(target.atena_no)
    done = token_client(approver2).post(f"/api/v1/change-requests/{cr.pk}/withdraw", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"


def test_the_registrant_head_cannot_complete_a_withdrawal_of_their_own_registration(
        approver, approver2, counter, register):
    target, cr = register(approver)
    services.change_request_withdraw(actor=counter, change_request_id=cr.pk)
    with pytest.raises(Forbidden, match="登録を申請した本人"):
        services.change_request_withdraw(actor=approver, change_request_id=cr.pk)
    services.change_request_withdraw(actor=approver2, change_request_id=cr.pk)
    assert Target.objects.get(pk=target.pk).status == TargetStatus.WITHDRAWN


def test_a_release_request_is_still_withdrawn_at_once(counter, approver, register, make_staff):
    """Withdrawing a release keeps the protection: one person may do it."""
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    release = services.release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    other = make_staff("counter2", "kodomo", Role.COUNTER)
    services.change_request_withdraw(actor=other, change_request_id=release.pk)
    assert ChangeRequest.objects.get(pk=release.pk).status == ChangeStatus.WITHDRAWN
    assert Target.objects.get(pk=target.pk).status == TargetStatus.ACTIVE

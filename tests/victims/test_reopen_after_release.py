"""Protected again after release (issue 11, ADR 0029): the owning department registering its
own released, withdrawn or rejected person reopens the same target for a new protection
period; the earlier periods stay in the history. Other departments still get the receipt
(ADR 0015); a pending or active target still gets the clear 400."""
import pytest
from django.utils import timezone

from audit.models import AuditEvent, Outcome
from checks.selectors import inquiry_check
from flags.models import ChangeRequest
from flags.rules import INQUIRY
from tests.conftest import intake_payload
from tests.web.test_intake import confirm, register_from
from victims.models import CaseAssessment, ProtectionPeriod, Registration, Target, TargetStatus
from victims.services import (
    change_request_approve,
    change_request_reject,
    change_request_withdraw,
    registration_submit,
    release_request_create,
)

from .test_registration_no_oracle import token_client

ABUSER = "290000000000123"


@pytest.fixture
def released(counter, approver, register):
    target, change_request = register(counter)
    change_request_approve(actor=approver, change_request_id=change_request.pk)
    release = release_request_create(actor=counter, target_id=target.pk, reason="wish", case_ids=None)
    change_request_approve(actor=approver, change_request_id=release.pk)
    target.refresh_from_db()
    assert target.status == TargetStatus.RELEASED
    return target


def _again(target, **overrides) -> dict:
    return intake_payload(atena_no=target.atena_no, cases=[{"type": "1-I", "abuser_atena_no": ABUSER}], **overrides)


def test_the_owner_registering_a_released_person_reopens_the_same_target(released, counter, other_counter):
    assert not inquiry_check(actor=other_counter, atena_no=released.atena_no, direction=INQUIRY)
    old_case = released.cases.get()
    response = token_client(counter).post("/api/v1/targets/", _again(released), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    change_request = ChangeRequest.objects.get(target=released, status="pending")
    assert body["id"] == released.pk and body["status"] == "pending" and body["period"] == 2
    assert body["change_request"] == {"id": change_request.pk, "status": "pending", "action": "set"}
    assert response["Location"] == f"/api/v1/targets/{released.pk}/"
    assert Target.objects.count() == 1
    released.refresh_from_db()
    assert released.status == TargetStatus.PENDING
    # Protected at the check from now, with the new period's cases.
    assert inquiry_check(actor=other_counter, atena_no=released.atena_no, direction=INQUIRY)
    first, second = ProtectionPeriod.objects.filter(target=released).order_by("number")
    assert first.ended_at is not None and second.ended_at is None
    assert second.opened_by_registration_id == body["registration"]["id"]
    assert list(first.cases.values_list("pk", "active")) == [(old_case.pk, False)]
    assert list(second.cases.values_list("case_type", "abuser_atena_no", "active")) == [("1-I", ABUSER, True)]
    detail = token_client(counter).get(f"/api/v1/targets/{released.pk}/").json()
    assert {c["type"] for c in detail["cases"] if c["active"]} == {"1-I"}
    assert AuditEvent.objects.filter(action="target.reopen", target_id=released.pk, outcome=Outcome.ALLOWED,
                                     detail__period=2).exists()
    assert AuditEvent.objects.filter(action="registration.submit", target_id=released.pk,
                                     detail__outcome="reopened").exists()


def test_every_earlier_period_is_kept(released, counter, approver):
    for period in (2, 3):
        registration_submit(actor=counter, payload=_again(released), today=timezone.localdate())
        change_request_approve(actor=approver, change_request_id=ChangeRequest.objects.get(
            target=released, status="pending").pk)
        release = release_request_create(actor=counter, target_id=released.pk, reason="wish", case_ids=None)
        change_request_approve(actor=approver, change_request_id=release.pk)
        assert ProtectionPeriod.objects.filter(target=released).count() == period
    assert not CaseAssessment.objects.filter(target=released, active=True).exists()
    assert list(ProtectionPeriod.objects.filter(target=released).values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.parametrize("ending", ["withdraw", "reject"])
def test_a_withdrawn_or_rejected_registration_is_reopened_too(counter, approver, approver2, register, ending):
    target, change_request = register(counter)
    if ending == "reject":
        change_request_reject(actor=approver, change_request_id=change_request.pk, reason="要件の確認が不十分")
    else:
        change_request_withdraw(actor=counter, change_request_id=change_request.pk, reason="本人の申出")
        change_request_withdraw(actor=approver, change_request_id=change_request.pk)
    target.refresh_from_db()
    assert target.status in (TargetStatus.REJECTED, TargetStatus.WITHDRAWN)
    response = token_client(counter).post("/api/v1/targets/", _again(target), format="json")
    assert response.status_code == 201 and response.json()["id"] == target.pk
    # The cases of the registration that never started ended with their period.
    assert list(target.cases.filter(active=True).values_list("case_type", flat=True)) == ["1-I"]


def test_other_departments_still_get_the_receipt(released, other_counter):
    response = token_client(other_counter).post("/api/v1/targets/", _again(released), format="json")
    assert response.status_code == 202 and set(response.json()) == {"registration", "detail"}
    released.refresh_from_db()
    assert released.status == TargetStatus.RELEASED
    assert not ProtectionPeriod.objects.exists()


def test_an_active_or_pending_own_target_keeps_the_clear_400(counter, register):
    target, _ = register(counter)
    response = token_client(counter).post("/api/v1/targets/", _again(target), format="json")
    assert response.status_code == 400 and "既に所属の設定対象者" in str(response.json())
    assert not ProtectionPeriod.objects.exists() and not Registration.objects.exists()


def test_the_intake_screen_reopens_and_the_target_page_shows_the_periods(
        client, released, counter, other_counter, approver):
    client.force_login(counter)
    response = register_from(client, confirm(client, atena_no=released.atena_no))
    assert response.status_code == 302 and response["Location"] == f"/targets/{released.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "新しい保護の期間として登録しました" in page
    assert "保護の期間" in page and "第1期" in page and "第2期" in page and "（現在の期間）" in page
    # A department granted the record reads it, but not the owner's periods.
    token_client(approver).post(f"/api/v1/targets/{released.pk}/grants/", {"department": "zeimu"},
                                format="json")
    client.force_login(other_counter)
    assert "第1期" not in client.get(f"/targets/{released.pk}/").content.decode()

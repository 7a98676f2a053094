"""Grant records (ADR 0025, 0034): every grant and revoke of another department's access is
a GrantRecord with a printable 決裁票 at /targets/grant-records/{id}/slip/, for the owning
department only (anything else: the same 404), audited as a read (grant_record.slip)."""
import pytest
from django.utils import timezone

from audit.models import AuditEvent, Outcome
from tests.conftest import VerifiedClient, intake_payload
from victims.models import GrantKind, GrantRecord, ReviewTask
from victims.services import (
    change_request_approve,
    registration_submit,
    review_task_grant,
    target_grant_department,
    target_revoke_department,
)

from .test_registration_no_oracle import token_client


@pytest.fixture
def target(counter, approver, register):
    target, change_request = register(counter)
    change_request_approve(actor=approver, change_request_id=change_request.pk)
    return target


def _login(staff) -> VerifiedClient:
    client = VerifiedClient()
    client.force_login(staff)
    return client


def test_grant_and_revoke_each_leave_a_record(target, approver):
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu", reason="支援の連携のため")
    target_revoke_department(actor=approver, target_id=target.pk, department_code="zeimu")
    granted, revoked = GrantRecord.objects.filter(target=target).order_by("id")
    assert (granted.kind, granted.department.code, granted.by, granted.by_department.code, granted.reason) == (
        GrantKind.GRANTED, "zeimu", approver, "kodomo", "支援の連携のため")
    assert (revoked.kind, revoked.department.code, revoked.reason) == (GrantKind.REVOKED, "zeimu", "")
    events = AuditEvent.objects.filter(action__in=["target.grant", "target.revoke"], outcome=Outcome.ALLOWED)
    assert [e.detail["grant_record_id"] for e in events.order_by("id")] == [granted.pk, revoked.pk]


def test_the_grant_screen_records_the_reason(target, approver):
    response = _login(approver).post(f"/targets/{target.pk}/grants/", {"department": "zeimu", "reason": "連携"})
    assert response.status_code == 302
    assert GrantRecord.objects.get(target=target).reason == "連携"


def test_a_refused_grant_leaves_no_record(target, counter):
    response = _login(counter).post(f"/targets/{target.pk}/grants/", {"department": "zeimu"})
    assert response.status_code == 403
    assert not GrantRecord.objects.exists()


def test_the_slip_prints_the_decision_for_the_owner(target, approver, counter):
    approver.display_name = "子ども　課長"
    approver.save(update_fields=["display_name"])
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu", reason="支援の連携のため")
    record = GrantRecord.objects.get(target=target)
    response = _login(counter).get(f"/targets/grant-records/{record.pk}/slip/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "件名：他の所属への閲覧の許可" in html and "税務課" in html and "子ども　課長" in html
    assert "支援の連携のため" in html and f"<title>決裁票 kessai-grant-{record.pk}" in html
    event = AuditEvent.objects.filter(action="grant_record.slip", outcome=Outcome.ALLOWED).get()
    assert event.target_id == target.pk and event.detail == {"grant_record_id": record.pk, "via": "screen"}


def test_the_revoke_slip_has_its_own_title(target, approver):
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    target_revoke_department(actor=approver, target_id=target.pk, department_code="zeimu", reason="支援終了")
    record = GrantRecord.objects.filter(target=target, kind=GrantKind.REVOKED).get()
    html = _login(approver).get(f"/targets/grant-records/{record.pk}/slip/").content.decode()
    assert "件名：他の所属への閲覧の許可の取消し" in html and "許可を取り消した所属" in html and "支援終了" in html


def test_the_granted_department_and_others_get_the_404_of_a_missing_record(target, approver, other_counter):
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    record = GrantRecord.objects.get(target=target)
    client = _login(other_counter)
    assert client.get(f"/targets/{target.pk}/").status_code == 200  # it reads the record itself
    hidden = client.get(f"/targets/grant-records/{record.pk}/slip/")
    absent = client.get("/targets/grant-records/999999/slip/")
    assert hidden.status_code == absent.status_code == 404
    denied = AuditEvent.objects.filter(action="grant_record.slip", outcome=Outcome.DENIED).order_by("id")
    assert [e.detail for e in denied] == [{"grant_record_id": record.pk}, {"grant_record_id": 999999}]


def test_the_grants_section_links_each_slip(target, approver):
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    record = GrantRecord.objects.get(target=target)
    html = _login(approver).get(f"/targets/{target.pk}/").content.decode()
    assert f'href="/targets/grant-records/{record.pk}/slip/"' in html and "許可・取消しの記録" in html


def test_the_one_click_grant_from_a_task_is_recorded(target, approver, other_counter, departments):
    registration_submit(actor=other_counter, payload=intake_payload(atena_no=target.atena_no),
                        today=timezone.localdate())
    task = ReviewTask.objects.get(target=target, kind="also_supported")
    review_task_grant(actor=approver, task_id=task.pk)
    assert GrantRecord.objects.get(target=target).department.code == "zeimu"


def test_the_grant_api_takes_an_optional_reason(target, approver):
    response = token_client(approver).post(f"/api/v1/targets/{target.pk}/grants/",
                                           {"department": "zeimu", "reason": "連携のため"}, format="json")
    assert response.status_code == 201
    assert GrantRecord.objects.get(target=target).reason == "連携のため"

"""Departments that share a case (issue 11): the owning department's head grants another
department the full record and revokes it, through the API and the target page; a duplicate
registration's task grants the registering department in one click. Every grant, revoke and
refusal is audited; the granted department sees the record at once and loses it at once."""
import pytest
from django.utils import timezone

from audit.models import AuditEvent, Outcome
from checks.protection import protected_set
from flags.rules import INQUIRY
from tests.conftest import intake_payload
from victims.models import GrantRecord, ReviewTask, ReviewTaskKind, ReviewTaskStatus
from victims.services import change_request_approve, registration_submit

from .test_registration_no_oracle import token_client


def _sees(staff, target_id: int) -> tuple[int, bool]:
    """What `staff` gets for the target's record and whether it is in the department's own list."""
    client = token_client(staff)
    listed = any(t["id"] == target_id for t in client.get("/api/v1/targets/").json()["results"])
    return client.get(f"/api/v1/targets/{target_id}/").status_code, listed


@pytest.fixture
def target(counter, approver, register):
    target, change_request = register(counter)
    change_request_approve(actor=approver, change_request_id=change_request.pk)
    return target


def test_grant_and_revoke_through_the_api_take_effect_at_once(target, approver, other_counter):
    assert _sees(other_counter, target.pk) == (404, False)
    head = token_client(approver)
    granted = head.post(f"/api/v1/targets/{target.pk}/grants/", {"department": "zeimu"}, format="json")
    assert granted.status_code == 201, granted.json()
    assert granted.json() == {"target_id": target.pk, "departments": [{"code": "zeimu", "name": "税務課"}]}
    assert _sees(other_counter, target.pk) == (200, True)

    revoked = head.delete(f"/api/v1/targets/{target.pk}/grants/zeimu")
    assert revoked.status_code == 200 and revoked.json()["departments"] == []
    assert _sees(other_counter, target.pk) == (404, False)
    events = AuditEvent.objects.filter(action__in=["target.grant", "target.revoke"], outcome=Outcome.ALLOWED)
    records = list(GrantRecord.objects.filter(target=target).order_by("id").values_list("pk", flat=True))
    assert [(e.action, e.target_id, e.detail) for e in events.order_by("id")] == [
        ("target.grant", target.pk, {"department": "zeimu", "grant_record_id": records[0]}),
        ("target.revoke", target.pk, {"department": "zeimu", "grant_record_id": records[1]})]


@pytest.mark.parametrize(("who", "department", "status", "text"), [
    ("counter", "zeimu", 403, "所属長（承認者）のみ"),
    ("approver", "nosuch", 400, "所属が見つかりません"),
    ("approver", "kodomo", 400, "登録した所属は常に閲覧できます"),
])
def test_refusals_are_answered_in_japanese_and_audited(target, request, who, department, status, text):
    actor = request.getfixturevalue(who)
    response = token_client(actor).post(f"/api/v1/targets/{target.pk}/grants/", {"department": department},
                                        format="json")
    assert response.status_code == status and text in str(response.json())
    event = AuditEvent.objects.filter(action="target.grant", outcome=Outcome.DENIED).get()
    assert event.target_id == target.pk and event.actor_id == actor.pk


def test_a_granted_departments_head_may_not_share_further(target, approver, other_approver, make_staff):
    token_client(approver).post(f"/api/v1/targets/{target.pk}/grants/", {"department": "zeimu"}, format="json")
    response = token_client(other_approver).post(f"/api/v1/targets/{target.pk}/grants/", {"department": "koho"},
                                                 format="json")
    assert response.status_code == 403 and "登録した所属の所属長のみ" in response.json()["detail"]
    revoke = token_client(other_approver).delete(f"/api/v1/targets/{target.pk}/grants/zeimu")
    assert revoke.status_code == 403
    assert AuditEvent.objects.filter(action__in=["target.grant", "target.revoke"], outcome=Outcome.DENIED,
                                     actor_id=other_approver.pk).count() == 2


def test_a_target_the_actor_cannot_see_is_a_404(target, other_approver):
    client = token_client(other_approver)
    hidden = client.post(f"/api/v1/targets/{target.pk}/grants/", {"department": "zeimu"}, format="json")
    absent = client.post("/api/v1/targets/999999/grants/", {"department": "zeimu"}, format="json")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["detail"] == absent.json()["detail"]
    assert client.delete(f"/api/v1/targets/{target.pk}/grants/zeimu").status_code == 404


def test_revoking_a_department_never_granted_is_refused(target, approver):
    response = token_client(approver).delete(f"/api/v1/targets/{target.pk}/grants/zeimu")
    assert response.status_code == 400 and "閲覧を許可していません" in str(response.json())
    assert AuditEvent.objects.filter(action="target.revoke", outcome=Outcome.DENIED).count() == 1


def test_the_target_page_shares_and_unshares_for_the_owners_head(client, target, approver, counter, other_counter):
    client.force_login(approver)
    page = client.get(f"/targets/{target.pk}/").content.decode()
    assert "他の所属への閲覧の許可" in page and '<option value="zeimu">税務課</option>' in page
    assert '<option value="kodomo">' not in page
    response = client.post(f"/targets/{target.pk}/grants/", {"department": "zeimu"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "閲覧を許可しました" in page and f"/targets/{target.pk}/grants/zeimu/revoke/" in page
    assert _sees(other_counter, target.pk) == (200, True)

    response = client.post(f"/targets/{target.pk}/grants/zeimu/revoke/")
    assert "閲覧の許可を取り消しました" in client.get(response["Location"]).content.decode()
    assert _sees(other_counter, target.pk) == (404, False)

    refused = client.post(f"/targets/{target.pk}/grants/", {"department": "kodomo"})
    assert "登録した所属は常に閲覧できます" in client.get(refused["Location"]).content.decode()
    client.force_login(counter)
    assert "他の所属への閲覧の許可" not in client.get(f"/targets/{target.pk}/").content.decode()
    assert client.post(f"/targets/{target.pk}/grants/", {"department": "zeimu"}).status_code == 403


def test_the_target_page_grant_is_a_404_for_a_hidden_target(client, target, other_approver):
    client.force_login(other_approver)
    assert client.post(f"/targets/{target.pk}/grants/", {"department": "zeimu"}).status_code == 404
    assert client.post(f"/targets/{target.pk}/grants/zeimu/revoke/").status_code == 404


def _duplicate(target, other_counter) -> ReviewTask:
    receipt = registration_submit(actor=other_counter, payload=intake_payload(atena_no=target.atena_no),
                                  today=timezone.localdate())
    assert receipt.review_task is not None and receipt.review_task.kind == ReviewTaskKind.ALSO_SUPPORTED
    return receipt.review_task


def test_the_also_supported_task_grants_the_registering_department_in_one_call(
        target, approver, counter, other_counter):
    task = _duplicate(target, other_counter)
    assert target.atena_no in protected_set().requires(INQUIRY)
    assert token_client(counter).post(f"/api/v1/review-tasks/{task.pk}/grant").status_code == 403
    response = token_client(approver).post(f"/api/v1/review-tasks/{task.pk}/grant")
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert _sees(other_counter, target.pk) == (200, True)
    task.refresh_from_db()
    assert task.status == ReviewTaskStatus.DONE and task.closed_by_id == approver.pk
    grant = AuditEvent.objects.get(action="target.grant", outcome=Outcome.ALLOWED)
    assert grant.detail["department"] == "zeimu" and grant.detail["review_task_id"] == task.pk
    assert AuditEvent.objects.filter(action="review_task.close", target_id=target.pk).exists()
    # Closing the task ended the provisional protection (ADR 0024); the active record still protects.
    assert not ReviewTask.objects.filter(pk=task.pk, status=ReviewTaskStatus.OPEN).exists()
    assert token_client(approver).post(f"/api/v1/review-tasks/{task.pk}/grant").status_code == 400


def test_a_task_of_another_kind_grants_nobody(target, approver, counter):
    task = ReviewTask.objects.create(target=target, department=target.owning_department,
                                     kind=ReviewTaskKind.JUMIN_ENDED, created_at=timezone.now(), created_by=counter)
    response = token_client(approver).post(f"/api/v1/review-tasks/{task.pk}/grant")
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == ReviewTaskStatus.OPEN


def test_the_review_task_screen_grants_in_one_click(client, target, approver, counter, other_counter):
    task = _duplicate(target, other_counter)
    client.force_login(counter)
    assert "この所属に閲覧を許可する" not in client.get("/integration/review-tasks/").content.decode()
    client.force_login(approver)
    page = client.get("/integration/review-tasks/").content.decode()
    assert "この所属に閲覧を許可する" in page and f"/integration/review-tasks/{task.pk}/grant/" in page
    response = client.post(f"/integration/review-tasks/{task.pk}/grant/")
    assert response.status_code == 302
    assert "申出をした所属に閲覧を許可し" in client.get(response["Location"]).content.decode()
    assert _sees(other_counter, target.pk) == (200, True)
    client.force_login(other_counter)
    assert client.post(f"/integration/review-tasks/{task.pk}/grant/").status_code == 404

"""GET /api/v1/notices/ and POST /api/v1/notices/{id}/acknowledge (issue 11)."""
import pytest

from audit.actions import AuditAction
from audit.models import AuditEvent
from victims import services
from victims.models import Notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(register, counter, approver):
    def make(**overrides):
        target, cr = register(counter, **overrides)
        services.change_request_approve(actor=approver, change_request_id=cr.pk)
        return target
    return make


def test_the_recipient_lists_its_notices_newest_first_without_case_or_abuser(api, approved, other_counter):
    first = approved(cases=[{"type": "1-I", "abuser_atena_no": "200000000000041", "abuser_name": "加害　太郎"}])
    second = approved()
    resp = api(other_counter).get("/api/v1/notices/")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["count"] == 2
    assert [r["atena_no"] for r in body["results"]] == [second.atena_no, first.atena_no]
    row = body["results"][1]
    assert set(row) == {"id", "kind", "kind_display", "atena_no", "name", "message", "created_at",
                        "acknowledged_at", "acknowledged_by", "overdue"}
    assert row["kind"] == "set" and row["name"] == "山田　花子" and row["acknowledged_at"] is None
    assert "200000000000041" not in resp.content.decode() and "加害" not in resp.content.decode()
    event = AuditEvent.objects.filter(action=AuditAction.NOTICE_LIST).latest("id")
    assert sorted(event.detail["target_ids"]) == sorted([first.pk, second.pk])


def test_the_owner_gets_none_of_its_own_and_a_nonlinkage_department_is_refused(api, approved, counter,
                                                                              nonlinkage_counter):
    approved()
    assert api(counter).get("/api/v1/notices/").json()["count"] == 0
    assert api(nonlinkage_counter).get("/api/v1/notices/").status_code == 403


def test_acknowledge_is_idempotent_and_another_departments_notice_is_404(api, approved, other_counter,
                                                                         other_approver, approver2):
    approved()
    notice = Notice.objects.get()
    url = f"/api/v1/notices/{notice.pk}/acknowledge"
    first = api(other_counter).post(url)
    assert first.status_code == 200, first.content
    assert first.json()["acknowledged_by"] == other_counter.username
    again = api(other_approver).post(url)
    assert again.status_code == 200
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    assert again.json()["acknowledged_by"] == other_counter.username
    assert api(approver2).post(url).status_code == 404  # the owning department is not the recipient
    assert api(other_counter).post("/api/v1/notices/999999999/acknowledge").status_code == 404
    listed = api(other_counter).get("/api/v1/notices/").json()["results"][0]
    assert listed["acknowledged_at"] == first.json()["acknowledged_at"]

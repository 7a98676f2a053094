"""Approval queue: four eyes through the screen, reject needs a reason."""
import re

import pytest

from audit.models import AuditEvent
from flags.models import ChangeStatus
from intermediary.models import FlagState
from victims import decisions
from victims.models import TargetStatus

pytestmark = pytest.mark.django_db


def error_of(response) -> str:
    return " ".join(re.findall(r'<p class="field-error" role="alert">(.*?)</p>', response.content.decode()))


def test_queue_lists_own_department_with_requester_and_link(login, counter, approver, other_counter, register):
    target, cr = register(counter)
    register(other_counter)  # another department's request stays out of our queue
    html = login(approver).get("/flags/approvals/").content.decode()
    assert "1件" in html and "counter1" in html
    assert f'href="/targets/{target.pk}/"' in html
    assert "山田" not in html  # the queue lists ids and kinds; the detail page is the audited read


def test_approve_through_the_screen_sets_desired_flags(login, counter, approver2, register):
    target, cr = register(counter)
    client = login(approver2)
    response = client.post(f"/flags/requests/{cr.pk}/approve/", follow=True)
    assert "承認しました" in response.content.decode()
    target.refresh_from_db()
    assert target.status == TargetStatus.ACTIVE
    desired = FlagState.objects.filter(unit_key=target.atena_no, desired=True).values_list("flag_kind", flat=True)
    assert set(desired) == {"NONDISCLOSURE", "NO_AUTO_RESPONSE"}
    assert "承認待ちの申請はありません" in response.content.decode()


def test_requester_cannot_approve_own_request_and_sees_why(login, approver, register):
    target, cr = register(approver)
    client = login(approver)
    assert "自分の申請" in client.get("/flags/approvals/").content.decode()
    response = client.post(f"/flags/requests/{cr.pk}/approve/")
    assert response.status_code == 400
    assert error_of(response) == "申請者本人は承認・却下できません（二者確認）。"
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.PENDING


def test_reject_requires_a_reason(login, counter, approver, register):
    target, cr = register(counter)
    client = login(approver)
    response = client.post(f"/flags/requests/{cr.pk}/reject/", {"reason": "  "})
    assert response.status_code == 400 and error_of(response) == "却下の理由を入力してください。"
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.PENDING

    response = client.post(f"/flags/requests/{cr.pk}/reject/", {"reason": "イの事実が確認できない"}, follow=True)
    assert "却下しました" in response.content.decode()
    cr.refresh_from_db()
    target.refresh_from_db()
    assert cr.status == ChangeStatus.REJECTED and cr.decision_reason == "イの事実が確認できない"
    assert target.status == TargetStatus.REJECTED


def test_second_decision_on_a_decided_request_is_an_error(login, counter, approver, approver2, register):
    target, cr = register(counter)
    login(approver).post(f"/flags/requests/{cr.pk}/approve/")
    response = login(approver2).post(f"/flags/requests/{cr.pk}/reject/", {"reason": "重複"})
    assert response.status_code == 400 and "この申請は既に「承認済み」です。" in error_of(response)


def test_other_department_approver_and_counter_cannot_decide(login, counter, other_approver, register, make_staff):
    target, cr = register(counter)
    assert login(other_approver).post(f"/flags/requests/{cr.pk}/approve/").status_code == 404
    counter2 = make_staff("counter2", "kodomo", "counter")
    assert login(counter2).post(f"/flags/requests/{cr.pk}/approve/").status_code == 403
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.PENDING


def test_decisions_are_post_only(login, counter, approver, register):
    target, cr = register(counter)
    assert login(approver).get(f"/flags/requests/{cr.pk}/approve/").status_code == 405


def test_queue_is_paged_and_the_event_names_the_page_only(login, counter, approver, register, monkeypatch):
    """2,000 pending were 1.9 MB on one page (issue 14): a page at a time, previews for it only."""
    monkeypatch.setattr(decisions, "QUEUE_PAGE_SIZE", 2)
    crs = [register(counter)[1] for _ in range(3)]
    client = login(approver)
    first = client.get("/flags/approvals/").content.decode()
    assert "3件" in first and first.count('class="card request"') == 2 and "page=2" in first
    second = client.get("/flags/approvals/", {"page": 2}).content.decode()
    assert second.count('class="card request"') == 1 and f'id="request-{crs[2].pk}"' in second
    event = AuditEvent.objects.filter(action="change_request.queue").latest("id")
    assert event.detail["target_ids"] == [crs[2].target_id] and event.detail["total"] == 3

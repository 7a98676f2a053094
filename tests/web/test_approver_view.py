"""The approver's view (issue 12): the queue and the confirmation page restate the cases, the
measures and what changes at the intermediate server; approve or reject from either."""
import pytest

from audit.actions import AuditAction
from audit.models import AuditEvent
from flags import rules
from flags.models import ChangeStatus
from intermediary.models import FlagState
from victims import services
from victims.models import TargetStatus

pytestmark = pytest.mark.django_db


def test_queue_shows_cases_measures_and_flags_to_set(login, counter, approver, register):
    target, cr = register(counter)
    html = login(approver).get("/flags/approvals/").content.decode()
    section = html.split(f'id="request-{cr.pk}"')[1]
    assert "承認後の類型：②-I" in section
    assert "不開示該当フラグを設定" in section and "自動応答不可フラグを設定" in section
    assert f'href="/flags/requests/{cr.pk}/decide/"' in section
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE_REQUEST_QUEUE).latest("pk")
    assert event.detail["target_ids"] == [target.pk]


def test_queue_hides_abuser_numbers_but_counts_them(login, counter, approver, register):
    abuser = "200000000000077"
    register(counter, cases=[{"type": "1-I", "abuser_atena_no": abuser}])
    html = login(approver).get("/flags/approvals/").content.decode()
    assert abuser not in html and "必要（加害者1名）" in html
    assert "自治体中間サーバーでの変更：なし" in html  # ①-I sets no flag


def test_release_preview_says_which_flags_are_cleared(login, counter, approver, approver2, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case = target.cases.get()
    release = services.release_request_create(actor=counter, target_id=target.pk, case_ids=[case.pk],
                                              reason=rules.RELEASE_WISH)
    html = login(approver2).get(f"/flags/requests/{release.pk}/decide/").content.decode()
    assert "解除する類型：②-I" in html and "なし（設定対象者から外れます）" in html
    assert "不開示該当フラグを解除" in html and "自動応答不可フラグを解除" in html


def test_decide_page_restates_and_approves(login, counter, approver2, register):
    abuser = "200000000000078"
    target, cr = register(counter, cases=[{"type": "2-I", "card_left": True},
                                          {"type": "1-I", "abuser_atena_no": abuser}])
    client = login(approver2)
    page = client.get(f"/flags/requests/{cr.pk}/decide/")
    html = page.content.decode()
    assert page.status_code == 200 and "承認すると、次のとおり変わります" in html
    assert abuser in html  # the confirmation is an audited read of the person
    assert AuditEvent.objects.filter(action=AuditAction.TARGET_READ, target_id=target.pk,
                                     detail__via="decision").exists()
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING  # showing it decides nothing
    response = client.post(f"/flags/requests/{cr.pk}/approve/", {"next": "decide"}, follow=True)
    assert "承認しました" in response.content.decode()
    assert set(FlagState.objects.filter(unit_key=target.atena_no, desired=True)
               .values_list("flag_kind", flat=True)) == {"NONDISCLOSURE", "NO_AUTO_RESPONSE"}


def test_decide_page_keeps_the_errors_next_to_their_form(login, approver, register):
    target, cr = register(approver)
    client = login(approver)
    response = client.post(f"/flags/requests/{cr.pk}/approve/", {"next": "decide"})
    assert response.status_code == 400 and "承認すると、次のとおり変わります" in response.content.decode()
    assert 'id="approve-error"' in response.content.decode()
    response = client.post(f"/flags/requests/{cr.pk}/reject/", {"next": "decide", "reason": " "})
    assert response.status_code == 400 and 'aria-describedby="reason-error"' in response.content.decode()
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.PENDING


def test_decide_page_is_404_for_others_and_for_decided_requests(login, counter, approver, other_approver,
                                                                register):
    target, cr = register(counter)
    assert login(other_approver).get(f"/flags/requests/{cr.pk}/decide/").status_code == 404
    assert login(counter).get(f"/flags/requests/{cr.pk}/decide/").status_code == 403
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    assert login(approver).get(f"/flags/requests/{cr.pk}/decide/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE_REQUEST_DECIDE, outcome="denied").count() == 2


def test_detail_page_offers_the_decision_to_its_approver_only(login, counter, approver, register):
    target, cr = register(counter)
    link = f'href="/flags/requests/{cr.pk}/decide/"'
    assert link in login(approver).get(f"/targets/{target.pk}/").content.decode()
    assert link not in login(counter).get(f"/targets/{target.pk}/").content.decode()

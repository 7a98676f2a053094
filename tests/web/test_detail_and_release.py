"""Target detail: facts, cases, measures, desired vs reflected flags, history; procedure
confirmation, release request and withdrawal through the screen."""
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from flags.models import ChangeAction, ChangeRequest, ChangeStatus
from tests.conftest import born_aged
from victims import services
from victims.models import TargetStatus

from .conftest import field_error

pytestmark = pytest.mark.django_db


def flag_cells(html: str, kind: str) -> str:
    start = html.index(f'data-flag="{kind}"')
    return html[start:html.index("</tr>", start)]


def test_owner_sees_facts_cases_measures_and_history(login, counter, register):
    target, _ = register(counter, notes="加害者は夜間に来庁することがある")
    response = login(counter).get(f"/targets/{target.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert target.atena_no in html and "山田　花子" in html
    assert "配偶者等からの暴力（DV）" in html and "counter1" in html
    assert timezone.localtime(target.is_victim_confirmed_at).strftime("%H:%M") in html  # Japan time
    assert "②-I カード・証明書搭載スマホの残置" in html and "マイナンバーカードの利用停止・失効" in html
    assert "加害者は夜間に来庁することがある" in html
    assert "登録承認待ち" in html and "承認待ち" in html
    assert "未反映" in flag_cells(html, "NONDISCLOSURE") and "OFF" in flag_cells(html, "NONDISCLOSURE")
    assert AuditEvent.objects.filter(action="target.read", target_id=target.pk, actor_id=counter.pk).exists()


def test_detail_shows_desired_flags_on_after_approval(login, counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    html = login(counter).get(f"/targets/{target.pk}/").content.decode()
    for kind in ("NONDISCLOSURE", "NO_AUTO_RESPONSE"):
        cells = flag_cells(html, kind)
        assert '<td class="desired"><span class="badge on">ON</span>' in cells and "反映待ち" in cells
    assert "承認済み" in html and "approver1" in html


@pytest.mark.parametrize("who", ["other_counter", "nonlinkage_counter", "other_approver"])
def test_target_of_another_department_is_404_like_a_missing_one(request, login, counter, register, who):
    target, _ = register(counter)
    client = login(request.getfixturevalue(who))
    assert client.get(f"/targets/{target.pk}/").status_code == 404
    assert client.get("/targets/999999/").status_code == 404
    assert AuditEvent.objects.filter(action="target.read", target_id=target.pk, outcome="denied").exists()


def test_confirm_card_suspension_then_release_via_screens(login, counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case = target.cases.get()
    client = login(counter)

    future = client.post(f"/targets/{target.pk}/cases/{case.pk}/confirm/",
                         {"procedure": "card", "confirmed_on": "2999-01-01"})
    assert future.status_code == 400 and "確認日が未来の日付です。" in future.content.decode()

    done = client.post(f"/targets/{target.pk}/cases/{case.pk}/confirm/",
                       {"procedure": "card", "confirmed_on": timezone.localdate().isoformat()})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.card_suspension_confirmed_by == counter
    html = client.get(f"/targets/{target.pk}/").content.decode()
    assert "解除理由「②-I 手続完了」で解除を申請できます" in html
    assert "マイナポータルでの自己情報表示ややりとり履歴の閲覧制限が解除されます" in html  # what release lifts

    response = client.post(f"/targets/{target.pk}/release/", {"reason": "2-I_complete", "cases": [case.pk]})
    assert response.status_code == 302
    release = ChangeRequest.objects.get(target=target, action=ChangeAction.RELEASE)
    assert release.status == ChangeStatus.PENDING and list(release.release_cases.all()) == [case]
    html = client.get(f"/targets/{target.pk}/").content.decode()
    assert "解除を申請しました" in html and "②-I カード利用停止等の手続がすべて完了したことを確認" in html
    assert 'id="release"' not in html  # no second request while one is pending


def test_release_errors_are_shown_next_to_the_fields_and_nothing_saved(login, counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case = target.cases.get()
    client = login(counter)

    missing = client.post(f"/targets/{target.pk}/release/", {})
    assert missing.status_code == 400
    assert field_error(missing, "reason") == "解除理由を選択してください。"
    assert field_error(missing, "cases") == "解除する類型を選択してください。"

    not_done = client.post(f"/targets/{target.pk}/release/", {"reason": "2-I_complete", "cases": [case.pk]})
    assert "手続の完了が確認されていません" in field_error(not_done, "reason")
    assert not ChangeRequest.objects.filter(action=ChangeAction.RELEASE).exists()


def test_release_is_refused_while_jumin_support_is_active(login, counter, approver, register):
    target, cr = register(counter, jumin_support={"active": True, "start": "2026-01-05"})
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    response = login(counter).post(f"/targets/{target.pk}/release/",
                                   {"reason": "wish", "cases": [target.cases.get().pk]})
    assert "住基DV等支援措置の対象者は解除できません" in field_error(response, "reason")
    assert not ChangeRequest.objects.filter(action=ChangeAction.RELEASE).exists()


def test_pending_registration_can_be_withdrawn_from_the_detail(login, counter, approver, register):
    target, cr = register(counter)
    client = login(counter)
    assert "登録の取下げを申し出る" in client.get(f"/targets/{target.pk}/").content.decode()
    response = client.post(f"/flags/requests/{cr.pk}/withdraw/", {"target": target.pk})
    assert response.status_code == 302 and response["Location"] == f"/targets/{target.pk}/"
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING  # asked; a head completes it (ADR 0016)
    assert "所属長の承認待ちです" in client.get(f"/targets/{target.pk}/").content.decode()
    login(approver).post(f"/flags/requests/{cr.pk}/withdraw/", {"target": target.pk})
    target.refresh_from_db()
    assert target.status == TargetStatus.WITHDRAWN
    again = client.post(f"/flags/requests/{cr.pk}/withdraw/", {"target": target.pk}, follow=True)
    assert "この申請は既に「取下げ」です。" in again.content.decode()


def test_other_department_cannot_withdraw_or_release(login, counter, other_counter, register):
    target, cr = register(counter)
    client = login(other_counter)
    assert client.post(f"/flags/requests/{cr.pk}/withdraw/").status_code == 404
    assert client.post(f"/targets/{target.pk}/release/", {"reason": "wish"}).status_code == 404
    assert ChangeRequest.objects.get(pk=cr.pk).status == ChangeStatus.PENDING


def test_2_II_end_confirmed_then_release_approved_from_the_queue(login, counter, approver, approver2, register):
    target, cr = register(counter, birth_date=born_aged(14),
                          cases=[{"type": "2-II", "legal_representative": "parent", "end_condition": "18歳到達"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case = target.cases.get()
    client = login(counter)
    html = client.get(f"/targets/{target.pk}/").content.decode()
    assert "加害者の法定代理権の終了" in html and "親権者（未成年者の法定代理人）" in html and "18歳到達" in html

    confirmed = client.post(f"/targets/{target.pk}/cases/{case.pk}/confirm/",
                            {"procedure": "representation", "confirmed_on": timezone.localdate().isoformat()})
    assert confirmed.status_code == 302
    requested = client.post(f"/targets/{target.pk}/release/", {"reason": "2-II_ended", "cases": [case.pk]})
    assert requested.status_code == 302
    release = ChangeRequest.objects.get(target=target, action=ChangeAction.RELEASE)

    queue = login(approver2).get("/flags/approvals/").content.decode()
    assert "解除の申請" in queue and "②-II 加害者の法定代理権が終了したことを確認" in queue
    login(approver2).post(f"/flags/requests/{release.pk}/approve/")
    target.refresh_from_db()
    assert target.status == TargetStatus.RELEASED
    html = client.get(f"/targets/{target.pk}/").content.decode()
    assert "解除済み" in html and "終了（" in html
    assert '<td class="desired"><span class="badge">OFF</span>' in flag_cells(html, "NONDISCLOSURE")


def test_procedure_confirmation_needs_a_date(login, counter, approver, register):
    target, cr = register(counter)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case = target.cases.get()
    response = login(counter).post(f"/targets/{target.pk}/cases/{case.pk}/confirm/", {"procedure": "card"})
    assert response.status_code == 400 and "完了を確認した日を入力してください。" in response.content.decode()
    case.refresh_from_db()
    assert case.card_suspension_confirmed_on is None

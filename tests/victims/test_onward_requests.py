"""転出 設定依頼 (ADR 0040): the owning department asks the municipality the person moves to
to set its measures, prints the letter, records the confirmation; a reminder follows it up;
protection here stays; anyone else gets the 404 of a target that does not exist."""
import datetime
import html
import re

import pytest
import time_machine

from audit.actions import AuditAction
from audit.models import AuditEvent
from flags.models import ChangeRequest
from tests.conftest import VerifiedClient
from victims.models import OnwardRequest, TargetStatus
from victims.reminders import department_reminders
from victims.services import change_request_approve, target_grant_department

from .test_registration_no_oracle import token_client

pytestmark = pytest.mark.django_db
JST = datetime.timezone(datetime.timedelta(hours=9))
NOW = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=JST)
ABUSER = "299999999999990"
REQUEST = {"municipality_name": "大阪府大阪市", "municipality_code": "271004", "moved_on": "2026-06-20",
           "note": "本人は6月下旬に転入の予定です。"}


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def target(register, counter, approver):
    """An active target with ②-I and ①-I (both flags, the code on the victim and on the abuser)."""
    person, cr = register(counter, harm_types=["dv", "stalking"], cases=[
        {"type": "2-I", "card_left": True}, {"type": "1-I", "abuser_atena_no": ABUSER, "abuser_name": "加害　太郎"}])
    change_request_approve(actor=approver, change_request_id=cr.pk)
    person.refresh_from_db()
    return person


def _url(target, *rest) -> str:
    return "/".join([f"/api/v1/targets/{target.pk}/onward-requests", *rest]) + ("/" if not rest else "")


def _text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_issue_list_and_confirm_through_the_api(counter, approver, target):
    client = token_client(counter)
    created = client.post(_url(target), REQUEST, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["municipality_name"] == "大阪府大阪市" and body["moved_on"] == "2026-06-20"
    assert body["issued_by"] == "counter1" and body["confirmed_at"] is None
    assert [o["id"] for o in client.get(_url(target)).json()] == [body["id"]]

    confirmed = token_client(approver).post(_url(target, str(body["id"]), "confirm"))
    assert confirmed.status_code == 200 and confirmed.json()["confirmed_by"] == "approver1"
    again = client.post(_url(target, str(body["id"]), "confirm"))
    assert again.json()["confirmed_by"] == "approver1"  # the first confirmation stays
    assert AuditEvent.objects.filter(action=AuditAction.ONWARD_REQUEST_CONFIRM).count() == 1

    # Protection here stays: nothing released, no new request.
    target.refresh_from_db()
    assert target.status == TargetStatus.ACTIVE and all(c.active for c in target.cases.all())
    assert ChangeRequest.objects.filter(target=target).count() == 1


def test_the_audit_log_never_names_the_municipality(counter, target):
    client = token_client(counter)
    onward_id = client.post(_url(target), REQUEST, format="json").json()["id"]
    client.get(_url(target))
    events = AuditEvent.objects.filter(action__startswith="onward_request.")
    assert {e.action for e in events} == {"onward_request.issue", "onward_request.list"}
    assert all(e.target_id == target.pk for e in events)
    assert all("大阪" not in str(e.detail) and "271004" not in str(e.detail) for e in events)
    assert events.get(action="onward_request.issue").detail == {"onward_request_id": onward_id}


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"municipality_name", "moved_on"}),
    ({"municipality_name": "  ", "moved_on": "2026-06-20"}, {"municipality_name"}),
    ({"municipality_name": "大阪市", "moved_on": "20/06/2026"}, {"moved_on"}),
    ({"municipality_name": "大阪市", "moved_on": "2026-06-20", "municipality_code": "27100"}, {"municipality_code"}),
    ({"municipality_name": ["大阪市"], "moved_on": "2026-06-20"}, {"municipality_name"}),
    ({"municipality_name": "大阪市", "moved_on": "2026-06-20", "note": "あ" * 1001}, {"note"}),
])
def test_invalid_requests_are_refused_in_japanese(counter, target, payload, fields):
    response = token_client(counter).post(_url(target), payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == fields
    assert not OnwardRequest.objects.exists()


def test_a_released_person_gets_no_new_request(register, counter, approver, approver2):
    person, cr = register(counter)
    change_request_approve(actor=approver, change_request_id=cr.pk)
    client = token_client(counter)
    release = client.post(f"/api/v1/targets/{person.pk}/release-requests/", {"reason": "wish"}, format="json")
    change_request_approve(actor=approver2, change_request_id=release.json()["id"])
    refused = client.post(_url(person), REQUEST, format="json")
    assert refused.status_code == 400 and "設定中または承認待ち" in refused.json()["detail"]


def test_only_the_owning_department_sees_them_even_when_granted(counter, other_counter, approver, target,
                                                                  nonlinkage_counter):
    onward_id = token_client(counter).post(_url(target), REQUEST, format="json").json()["id"]
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    for staff in (other_counter, nonlinkage_counter):
        client = token_client(staff)
        assert client.get(_url(target)).status_code == 404
        assert client.post(_url(target), REQUEST, format="json").status_code == 404
        assert client.post(_url(target, str(onward_id), "confirm")).status_code == 404
        assert token_client(staff).get("/api/v1/targets/999999/onward-requests/").status_code == 404
    # A request id of another target is not found either.
    assert token_client(counter).post(f"/api/v1/targets/{target.pk}/onward-requests/999/confirm").status_code == 404
    web = VerifiedClient()
    web.force_login(other_counter)
    assert web.get(f"/targets/{target.pk}/onward/").status_code == 404
    assert web.get(f"/targets/{target.pk}/onward/{onward_id}/letter/").status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.ONWARD_REQUEST_LETTER, outcome="denied").exists()


def test_the_follow_up_reminder_is_due_thirty_days_after_issue_until_confirmed(counter, target, settings):
    assert settings.REMINDER_ONWARD_FOLLOWUP_DAYS == 30
    client = token_client(counter)
    onward_id = client.post(_url(target), REQUEST, format="json").json()["id"]

    def onward_due(days: int) -> list[tuple[int, str]]:
        until = (NOW + datetime.timedelta(days=days)).date()
        return [(r.target_id, r.due_on.isoformat()) for r in department_reminders(
            target.owning_department_id, until=until, for_approvers=False) if r.kind == "onward_followup"]

    assert onward_due(29) == []
    assert onward_due(30) == [(target.pk, "2026-07-01")]
    with time_machine.travel(NOW + datetime.timedelta(days=30), tick=False):
        listed = client.get("/api/v1/reminders/").json()
        web = VerifiedClient()
        web.force_login(counter)
        home = web.get("/").content.decode()
    assert f'href="/targets/{target.pk}/onward/"' in home and "設定済みの連絡がありません" in home
    assert {"kind": "onward_followup", "target_id": target.pk} in [
        {"kind": r["kind"], "target_id": r["target_id"]} for r in listed]
    client.post(_url(target, str(onward_id), "confirm"))
    assert onward_due(30) == []


def test_the_screens_issue_a_request_and_open_its_letter(counter, target, settings):
    settings.MUNICIPALITY_NAME = "新宿区"
    web = VerifiedClient()
    web.force_login(counter)
    assert "転出先の市区町村への設定依頼" in _text(web.get(f"/targets/{target.pk}/"))
    listing = web.get(f"/targets/{target.pk}/onward/")
    assert listing.status_code == 200 and "設定依頼はありません" in _text(listing)
    bad = web.post(f"/targets/{target.pk}/onward/", {"municipality_name": "", "moved_on": ""})
    assert bad.status_code == 400
    assert 'id="error-municipality_name"' in bad.content.decode() and 'id="error-moved_on"' in bad.content.decode()

    made = web.post(f"/targets/{target.pk}/onward/", REQUEST)
    onward = OnwardRequest.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/targets/{target.pk}/onward/{onward.pk}/letter/"
    letter = web.get(made["Location"])
    page = letter.content.decode()
    assert f"<title>設定依頼 settei-irai-{onward.pk} |" in page  # a saved PDF's name: the id only
    text = _text(letter)
    assert "大阪府大阪市 御中" in text and "新宿区" in text and "山田 花子" in text and "ヤマダ ハナコ" in text
    assert "本人の団体内統合宛名番号への不開示該当フラグ：設定が必要" in text
    assert "本人の団体内統合宛名番号への自動応答不可フラグ：設定が必要" in text
    assert "本人に関する情報照会のたびの不開示コード：設定が必要" in text
    assert "加害者に関する情報照会のたびの不開示コード：設定が必要" in text
    # Nothing the receiving municipality does not need: no abuser, no harm, no case, no number of ours.
    for secret in (ABUSER, "加害 太郎", "太郎", "配偶者等からの暴力", "ストーカー", "①-I", "②-I", target.atena_no):
        assert secret not in text, secret
    read = AuditEvent.objects.filter(action=AuditAction.ONWARD_REQUEST_LETTER).latest("id")
    assert read.target_id == target.pk and read.detail["onward_request_id"] == onward.pk

    confirmed = web.post(f"/targets/{target.pk}/onward/{onward.pk}/confirm/")
    assert confirmed.status_code == 302
    assert "設定済み（" in _text(web.get(f"/targets/{target.pk}/onward/"))

"""Manual-provision decisions (issue 11, DOMAIN §5 and §7 Point 5; ADR 0036, 0037): the
情報連携 contact point records, by hand, whether to provide on an inquiry about a person under
自動応答不可; its head approves (four eyes); the record always carries 不開示; the owning
department and auditors list the decisions; everyone else gets the 404 of a decision that does
not exist. A number that is not such a target is answered exactly like one never registered.
Every read and every refusal is audited."""
import datetime
import re

import pytest
import time_machine
from django.conf import settings

from accounts.models import Role
from accounts.services import department_create
from audit.models import AuditEvent, Outcome
from tests.conftest import VerifiedClient, intake_payload, new_atena
from victims.models import ProvisionDecision
from victims.services import change_request_approve, registration_submit, release_request_create

from .test_registration_no_oracle import token_client

JST = datetime.timezone(datetime.timedelta(hours=9))
NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=JST)
RECEIVED = "2026-12-01T09:30:00+09:00"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def contact(departments, make_staff):
    """情報連携推進課, the contact point: a clerk and two heads."""
    department_create(actor=None, code="renkei", name="情報連携推進課", does_linkage=True, contact_point=True)
    return {"clerk": make_staff("renkei1", "renkei", Role.COUNTER),
            "head": make_staff("renkei_head", "renkei", Role.APPROVER),
            "head2": make_staff("renkei_head2", "renkei", Role.APPROVER)}


def _register(counter, approver, approve=True, **overrides):
    receipt = registration_submit(actor=counter, payload=intake_payload(**overrides),
                                  today=datetime.date(2026, 12, 1))
    target = receipt.created_target
    if approve:
        change_request_approve(actor=approver, change_request_id=target.change_requests.get().pk)
    target.refresh_from_db()
    return target


@pytest.fixture
def target(counter, approver):
    """子ども家庭支援課's ②-I person: under 不開示該当 and 自動応答不可."""
    return _register(counter, approver)


def _body(atena_no, **overrides):
    body = {"atena_no": atena_no, "inquirer": "○○市 子ども家庭課", "info_code": "TM00000000000003",
            "received_at": RECEIVED, "decision": "provide", "disclosure": "nondisclosure",
            "note": "照会者は加害者ではないことを確認"}
    body.update(overrides)
    return body


def _record(staff, atena_no, **overrides):
    return token_client(staff).post("/api/v1/provision-decisions/", _body(atena_no, **overrides), format="json")


def _events(action, outcome=Outcome.ALLOWED):
    return list(AuditEvent.objects.filter(action=action, outcome=outcome).order_by("id"))


# --- the happy path ------------------------------------------------------------------------

def test_recorded_pending_then_approved_says_nondisclosure_and_care(contact, target):
    created = _record(contact["clerk"], target.atena_no)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "pending" and body["target_id"] == target.pk and body["disclosure"] == "nondisclosure"
    assert body["provision_record_notice"] == "" and body["inquirer_notice"] == ""  # not yet decided
    assert datetime.datetime.fromisoformat(body["received_at"]) == datetime.datetime(2026, 12, 1, 0, 30,
                                                                                    tzinfo=datetime.UTC)
    assert body["requested_by"] == "renkei1"

    approved = token_client(contact["head"]).post(f"/api/v1/provision-decisions/{body['id']}/approve")
    assert approved.status_code == 200, approved.json()
    answer = approved.json()
    assert answer["status"] == "approved" and answer["decided_by"] == "renkei_head"
    assert "不開示" in answer["provision_record_notice"] and "優先" in answer["provision_record_notice"]
    assert "注意" in answer["inquirer_notice"]
    [requested] = _events("provision_decision.request")
    assert requested.target_id == target.pk
    assert requested.detail == {"decision_id": body["id"], "atena_no": target.atena_no, "found": True,
                                "decision": "provide"}
    [decided] = _events("provision_decision.approve")
    assert (decided.target_id, decided.actor_id) == (target.pk, contact["head"].pk)


def test_full_width_number_and_code_are_normalised_and_a_withhold_is_told_too(contact, target):
    wide = target.atena_no.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    created = _record(contact["clerk"], wide, info_code="ｔｍ00000000000003", decision="withhold")
    assert created.status_code == 201, created.json()
    assert created.json()["info_code"] == "TM00000000000003"
    approved = token_client(contact["head"]).post(f"/api/v1/provision-decisions/{created.json()['id']}/approve")
    assert "提供しません" in approved.json()["provision_record_notice"]
    assert "回答されない" in approved.json()["inquirer_notice"]


def test_rejection_needs_a_reason_and_a_decided_one_is_not_decided_again(contact, target):
    decision_id = _record(contact["clerk"], target.atena_no).json()["id"]
    head = token_client(contact["head"])
    no_reason = head.post(f"/api/v1/provision-decisions/{decision_id}/reject", {"reason": "   "}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    rejected = head.post(f"/api/v1/provision-decisions/{decision_id}/reject", {"reason": "照会者の確認が不十分"},
                         format="json")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "照会者の確認が不十分" and rejected.json()["inquirer_notice"] == ""
    again = token_client(contact["head2"]).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    assert again.status_code == 400 and "既に承認または却下" in again.json()["detail"]
    clerk = token_client(contact["clerk"]).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    assert clerk.status_code == 403  # not a head, decided or not
    assert ProvisionDecision.objects.get().status == "rejected"
    assert len(_events("provision_decision.approve", Outcome.DENIED)) == 2


# --- four eyes and who decides ---------------------------------------------------------------

def test_four_eyes_the_recording_head_cannot_approve_another_head_can(contact, target):
    decision_id = _record(contact["head"], target.atena_no).json()["id"]
    own = token_client(contact["head"]).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    assert own.status_code == 403 and "二者確認" in own.json()["detail"]
    clerk = token_client(contact["clerk"]).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    assert clerk.status_code == 403 and "所属長" in clerk.json()["detail"]
    assert ProvisionDecision.objects.get().status == "pending"
    other = token_client(contact["head2"]).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    assert other.status_code == 200 and other.json()["status"] == "approved"
    denied = _events("provision_decision.approve", Outcome.DENIED)
    assert [(e.actor_id, e.target_id) for e in denied] == [(contact["head"].pk, target.pk),
                                                          (contact["clerk"].pk, target.pk)]


def test_the_owning_departments_head_is_not_the_contact_points_head(contact, target, approver, other_approver):
    decision_id = _record(contact["clerk"], target.atena_no).json()["id"]
    owner_head = token_client(approver).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    assert owner_head.status_code == 403 and "情報連携の窓口" in owner_head.json()["detail"]
    stranger = token_client(other_approver).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    missing = token_client(other_approver).post("/api/v1/provision-decisions/999999/approve")
    assert stranger.status_code == missing.status_code == 404
    assert {k: v for k, v in stranger.json().items() if k != "request_id"} == \
        {k: v for k, v in missing.json().items() if k != "request_id"}
    assert ProvisionDecision.objects.get().status == "pending"
    assert len(_events("provision_decision.approve", Outcome.DENIED)) == 3


# --- what is accepted ------------------------------------------------------------------------

@pytest.mark.parametrize("disclosure", ["disclosure", "", None, "開示"])
def test_disclosure_must_be_nondisclosure(contact, target, disclosure):
    response = _record(contact["clerk"], target.atena_no, disclosure=disclosure)
    assert response.status_code == 400
    assert "「不開示」としてください" in response.json()["errors"]["disclosure"][0]
    assert not ProvisionDecision.objects.exists()
    [event] = _events("provision_decision.request", Outcome.DENIED)
    assert event.detail == {"reason": "invalid", "fields": ["disclosure"]}


def test_every_field_at_fault_is_named_at_once(contact, target):
    response = _record(contact["clerk"], "12345", inquirer="", info_code="TM123", received_at="2026-12-02T09:00",
                       decision="maybe", note="\x00")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"atena_no", "inquirer", "info_code", "received_at", "decision", "note"}
    assert "TM" in response.json()["errors"]["info_code"][0] and "未来" in response.json()["errors"]["received_at"][0]


def test_a_number_not_under_no_auto_response_is_answered_like_one_never_registered(contact, counter, approver):
    minor_parent = _register(counter, approver, birth_date="2015-04-01", cases=[
        {"type": "2-II", "legal_representative": "parent", "end_condition": "18歳到達"}])  # 不開示該当 only
    released = _register(counter, approver)
    release = release_request_create(actor=counter, target_id=released.pk, reason="wish", case_ids=None)
    change_request_approve(actor=approver, change_request_id=release.pk)
    answers = []
    for atena_no in (new_atena(), minor_parent.atena_no, released.atena_no):
        response = _record(contact["clerk"], atena_no)
        answers.append((response.status_code, {k: v for k, v in response.json().items() if k != "request_id"}))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 400 and "自動応答不可の設定対象者の宛名番号ではありません" in str(answers[0][1])
    assert not ProvisionDecision.objects.exists()
    denied = _events("provision_decision.request", Outcome.DENIED)
    assert [e.target_id for e in denied] == [None, None, None]
    assert all(e.detail["found"] is False for e in denied)


def test_a_pending_registration_already_counts(contact, counter, approver):
    """When in doubt, protect: a pending ②-I person is treated as under 自動応答不可."""
    pending = _register(counter, approver, approve=False)
    assert _record(contact["clerk"], pending.atena_no).status_code == 201


# --- who may record and who sees ---------------------------------------------------------------

def test_only_the_contact_point_records(contact, target, counter, other_counter, sysadmin, auditor):
    for staff in (counter, other_counter, auditor):
        response = _record(staff, target.atena_no)
        assert response.status_code == 403 and "情報連携の窓口" in response.json()["detail"]
    assert _record(sysadmin, target.atena_no).status_code == 403
    assert not ProvisionDecision.objects.exists()
    assert len(_events("provision_decision.request", Outcome.DENIED)) == 3
    assert len(_events("provision_decision.list", Outcome.DENIED)) == 1  # the sysadmin, at the door


def test_owner_and_auditor_list_other_departments_get_404(contact, target, counter, other_counter,
                                                          other_approver, auditor):
    zeimu_target = _register(other_counter, other_approver)
    first = _record(contact["clerk"], target.atena_no).json()["id"]
    second = _record(contact["clerk"], zeimu_target.atena_no).json()["id"]
    token_client(contact["head"]).post(f"/api/v1/provision-decisions/{first}/approve")
    third = _record(contact["clerk"], target.atena_no, decision="withhold").json()["id"]

    owner = token_client(counter)
    listed = owner.get(f"/api/v1/provision-decisions/?target={target.pk}")
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()] == [third, first]  # pending first
    assert [d["id"] for d in owner.get("/api/v1/provision-decisions/").json()] == [third, first]
    assert [d["id"] for d in token_client(auditor).get("/api/v1/provision-decisions/").json()] == [third, second,
                                                                                                   first]
    assert [d["id"] for d in token_client(contact["clerk"]).get(
        f"/api/v1/provision-decisions/?target={zeimu_target.pk}").json()] == [second]

    hidden = token_client(other_counter).get(f"/api/v1/provision-decisions/?target={target.pk}")
    absent = token_client(other_counter).get("/api/v1/provision-decisions/?target=999999")
    assert hidden.status_code == absent.status_code == 404
    assert token_client(counter).get("/api/v1/provision-decisions/?target=abc").status_code == 400

    owner_event = _events("provision_decision.list")[0]
    assert owner_event.target_id == target.pk and owner_event.detail["target_ids"] == [target.pk]
    assert owner_event.detail["decision_ids"] == [third, first]
    assert [e.target_id for e in _events("provision_decision.list", Outcome.DENIED)] == [target.pk, 999999]


# --- screens -----------------------------------------------------------------------------------

def _screen(staff):
    client = VerifiedClient()
    client.force_login(staff)
    return client


def test_screens_record_approve_and_the_owner_sees_it_on_the_target_page(contact, target, counter, other_counter):
    clerk = _screen(contact["clerk"])
    form = clerk.get("/provisions/new/")
    assert form.status_code == 200
    assert re.search(r'<form method="post" action="/provisions/new/"', form.content.decode())
    refused = clerk.post("/provisions/new/", {**_body(target.atena_no), "disclosure": ""})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "「不開示」としてください" in page and 'aria-describedby="error-disclosure help-disclosure"' in page
    created = clerk.post("/provisions/new/", _body(target.atena_no))
    assert created.status_code == 302
    decision = ProvisionDecision.objects.get()
    assert created["Location"] == f"/provisions/{decision.pk}/"
    assert target.atena_no not in created["Location"]

    head = _screen(contact["head"])
    assert "承認待ち 1件" in head.get("/").content.decode()
    listing = head.get("/provisions/").content.decode()
    assert f"判断 No.{decision.pk}" in listing and "承認待ち" in listing
    detail = head.get(f"/provisions/{decision.pk}/").content.decode()
    assert "承認する" in detail
    assert "承認する" not in clerk.get(f"/provisions/{decision.pk}/").content.decode()  # four eyes
    assert head.post(f"/provisions/{decision.pk}/approve/").status_code == 302
    approved = head.get(f"/provisions/{decision.pk}/").content.decode()
    assert "承認済み：必ず行うこと" in approved and "必ず「不開示」" in approved

    owner_page = _screen(counter).get(f"/targets/{target.pk}/").content.decode()
    assert "手動提供の判断（情報連携の窓口）" in owner_page and f"決裁票（判断 No.{decision.pk}）" in owner_page
    assert _screen(other_counter).get(f"/provisions/{decision.pk}/").status_code == 404
    assert _screen(other_counter).get("/provisions/new/").status_code == 403


def test_screen_rejection_without_reason_is_tied_to_the_field(contact, target):
    decision_id = _record(contact["clerk"], target.atena_no).json()["id"]
    response = _screen(contact["head"]).post(f"/provisions/{decision_id}/reject/", {"reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-describedby="error-reason"' in page and 'id="error-reason"' in page


def test_slip_prints_municipality_department_names_and_both_calendars(contact, target, other_counter):
    contact["clerk"].display_name, contact["head"].display_name = "連携　一子", "連携課長　二子"
    contact["clerk"].save(update_fields=["display_name"])
    contact["head"].save(update_fields=["display_name"])
    decision_id = _record(contact["clerk"], target.atena_no).json()["id"]
    token_client(contact["head"]).post(f"/api/v1/provision-decisions/{decision_id}/approve")
    response = _screen(contact["head"]).get(f"/provisions/{decision_id}/slip/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (settings.MUNICIPALITY_NAME, "情報連携推進課", "連携　一子", "連携課長　二子", "令和8年12月1日",
                 "2026年12月1日", "必ず「不開示」", "照会者は加害者ではないことを確認"):
        assert text in page, text
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert f"kessai-provision-{decision_id}" in title and target.atena_no not in title and target.name not in title
    [event] = _events("provision_decision.slip")
    assert event.target_id == target.pk and event.detail["decision_id"] == decision_id
    assert _screen(other_counter).get(f"/provisions/{decision_id}/slip/").status_code == 404
    assert len(_events("provision_decision.slip", Outcome.DENIED)) == 1

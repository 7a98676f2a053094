"""A registration tells the registering department nothing about whether the person is
already a target (issue 10 item 1, ADR 0015).

A counter of a non-linkage department and one of a linkage department register (a) a new
number, (b) a ①-I target of another department (the check answers "no" for the victim),
(c) a released one: the answers are identical but for the receipt id; the owning department
gets a task; every attempt is audited with the target id, never the number."""
import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from audit.models import AuditEvent, Outcome
from audit.selectors import anomalies
from tests.conftest import VerifiedClient, intake_payload, new_atena
from tests.web.conftest import form_data
from victims.models import Registration, ReviewTask, ReviewTaskKind, Target, TargetStatus
from victims.services import change_request_approve, registration_submit, release_request_create

ABUSER = "290000000000001"
# Headers that differ between any two responses whatever they answer.
_PER_RESPONSE = {"X-Request-ID", "Location", "Date"}


def token_client(staff) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=staff)}")
    return client


@pytest.fixture
def kodomo_targets(counter, approver, register):
    """Targets owned by 子ども家庭支援課: an active ①-I victim and a released ②-I one."""
    one_one, cr = register(counter, cases=[{"type": "1-I", "abuser_atena_no": ABUSER}])
    change_request_approve(actor=approver, change_request_id=cr.pk)
    released, cr = register(counter)
    change_request_approve(actor=approver, change_request_id=cr.pk)
    release = release_request_create(actor=counter, target_id=released.pk, reason="wish", case_ids=None)
    change_request_approve(actor=approver, change_request_id=release.pk)
    released.refresh_from_db()
    assert released.status == TargetStatus.RELEASED
    return {"one_one": one_one, "released": released}


def _shape(response) -> tuple:
    """Everything the caller sees, with the receipt id masked."""
    body = response.json()
    receipt_id = body["registration"]["id"]
    text = response.content.decode().replace(f'"id":{receipt_id},', '"id":<id>,')
    # Content-Length grows with the receipt id's digits (9 → 10); the body it measures is
    # compared above with the id masked.
    assert int(response["Content-Length"]) == len(response.content)
    headers = sorted((k, v) for k, v in response.headers.items() if k not in _PER_RESPONSE | {"Content-Length"})
    location = response["Location"].replace(f"/{receipt_id}/", "/<id>/")
    return response.status_code, sorted(body), sorted(body["registration"]), text, headers, location


@pytest.mark.parametrize("who", ["nonlinkage_counter", "other_counter"])
def test_new_existing_and_released_persons_get_the_same_answer(kodomo_targets, request, who):
    actor = request.getfixturevalue(who)
    client = token_client(actor)
    one_one, released = kodomo_targets["one_one"], kodomo_targets["released"]
    new_number = new_atena()
    answers = {name: client.post("/api/v1/targets/", intake_payload(atena_no=atena), format="json")
               for name, atena in (("new", new_number), ("one_one", one_one.atena_no),
                                   ("released", released.atena_no))}
    for name, response in answers.items():
        assert response.status_code == 202, (name, response.content)
    shapes = {name: _shape(response) for name, response in answers.items()}
    assert shapes["new"] == shapes["one_one"] == shapes["released"]
    body = answers["one_one"].json()
    assert set(body) == {"registration", "detail"} and body["registration"]["status"] == "accepted"
    assert "申出を受け付けました" in body["detail"]
    assert "kodomo" not in answers["one_one"].content.decode()
    assert "子ども家庭支援課" not in answers["one_one"].content.decode()

    # The new person is registered at once, owned by the registering department.
    created = Target.objects.get(atena_no=new_number)
    assert created.owning_department_id == actor.department_id and created.status == TargetStatus.PENDING
    # The existing ones are untouched, and their owner has a task naming who registered.
    for target, status in ((one_one, TargetStatus.ACTIVE), (released, TargetStatus.RELEASED)):
        target.refresh_from_db()
        assert target.status == status and target.owning_department.code == "kodomo"
        task = ReviewTask.objects.get(target=target, kind=ReviewTaskKind.ALSO_SUPPORTED)
        assert task.department.code == "kodomo" and task.created_by_id == actor.pk
        assert task.registration.department_id == actor.department_id

    # The receipts read back alike: what was submitted, 受付済.
    receipts = [client.get(f"/api/v1/registrations/{r.json()['registration']['id']}/").json()
                for r in answers.values()]
    assert all(r["status"] == "accepted" and r["status_display"] == "受付済" for r in receipts)
    assert [sorted(r) for r in receipts] == [sorted(receipts[0])] * 3

    # Every attempt is audited with the target id, never the number.
    events = AuditEvent.objects.filter(action="registration.submit", actor_id=actor.pk).order_by("id")
    assert [e.target_id for e in events] == [created.pk, one_one.pk, released.pk]
    assert [e.detail["outcome"] for e in events] == ["new", "duplicate", "duplicate"]
    for event in events:
        assert new_number not in str(event.detail) and one_one.atena_no not in str(event.detail)


def test_the_owner_sees_the_task_where_its_review_tasks_are(kodomo_targets, counter, other_counter):
    token_client(other_counter).post("/api/v1/targets/", intake_payload(atena_no=kodomo_targets["one_one"].atena_no),
                                     format="json")
    listed = token_client(counter).get("/api/v1/review-tasks/").json()
    task = next(t for t in listed if t["kind"] == "also_supported")
    assert task["target_id"] == kodomo_targets["one_one"].pk
    assert task["raised_by"] == other_counter.username and task["raised_by_department"] == "税務課"
    client = VerifiedClient()
    client.force_login(counter)
    page = client.get("/integration/review-tasks/").content.decode()
    assert "他の所属もこの方を支援しています" in page and "税務課" in page


def test_the_intake_screen_ends_on_the_same_receipt_either_way(kodomo_targets, nonlinkage_counter):
    client = VerifiedClient()
    client.force_login(nonlinkage_counter)
    pages = []
    for atena in (new_atena(), kodomo_targets["one_one"].atena_no):
        done = client.post("/targets/new/", {**form_data(atena_no=atena), "step": "register"})
        assert done.status_code == 302 and done["Location"].startswith("/targets/registrations/")
        receipt_id = done["Location"].rstrip("/").rsplit("/", 1)[1]
        page = client.get(done["Location"]).content.decode()
        page = page.replace(atena, "<atena>")
        page = re.sub(rf"(受付番号 |No\.){receipt_id}\b", r"\1<id>", page)
        page = re.sub(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", "<time>", page)
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
        pages.append(page)
    assert pages[0] == pages[1]
    assert "申出を受け付けました" in pages[0] and "受付済" in pages[0]


def test_a_receipt_is_only_for_the_registering_department(counter, other_counter):
    response = token_client(counter).post("/api/v1/targets/", intake_payload(), format="json")
    receipt_id = response.json()["registration"]["id"]
    assert token_client(other_counter).get(f"/api/v1/registrations/{receipt_id}/").status_code == 404
    assert token_client(other_counter).get("/api/v1/registrations/999999/").status_code == 404
    assert AuditEvent.objects.filter(action="registration.read", outcome=Outcome.DENIED).count() == 2


def test_the_owner_is_told_plainly_and_the_refusal_is_audited(kodomo_targets, counter):
    target = kodomo_targets["one_one"]
    response = token_client(counter).post("/api/v1/targets/", intake_payload(atena_no=target.atena_no), format="json")
    assert response.status_code == 400 and "atena_no" in response.json()["errors"]
    event = AuditEvent.objects.filter(action="registration.submit", outcome=Outcome.DENIED).get()
    assert event.target_id == target.pk and event.detail == {"outcome": "own_department"}
    assert not Registration.objects.exists()


def test_a_101_character_kana_is_a_400_naming_the_field_and_audited(kodomo_targets, nonlinkage_counter):
    target = kodomo_targets["one_one"]
    for atena in (new_atena(), target.atena_no):
        response = token_client(nonlinkage_counter).post(
            "/api/v1/targets/", intake_payload(atena_no=atena, name_kana="ア" * 101), format="json")
        assert response.status_code == 400
        assert response.json()["errors"] == {"name_kana": ["氏名（カナ）は100文字以内で入力してください。"]}
    events = AuditEvent.objects.filter(action="registration.submit", outcome=Outcome.DENIED).order_by("id")
    assert [e.target_id for e in events] == [None, target.pk]
    assert all(e.detail == {"outcome": "invalid", "fields": ["name_kana"]} for e in events)
    assert not Registration.objects.exists() and Target.objects.count() == 2


def test_a_value_the_intake_form_refuses_on_register_is_audited_too(kodomo_targets, nonlinkage_counter):
    client = VerifiedClient()
    client.force_login(nonlinkage_counter)
    target = kodomo_targets["one_one"]
    response = client.post("/targets/new/", {**form_data(atena_no=target.atena_no, name_kana="ア" * 101),
                                             "step": "register"})
    assert response.status_code == 400
    event = AuditEvent.objects.get(action="registration.submit", outcome=Outcome.DENIED)
    assert event.target_id == target.pk and event.detail == {"outcome": "invalid", "fields": ["name_kana"]}
    assert not ReviewTask.objects.filter(kind=ReviewTaskKind.ALSO_SUPPORTED).exists()


@pytest.mark.parametrize("field, value", [
    ("name", "山" * 101), ("cases", [{"type": "1-I", "abuser_atena_no": ABUSER, "abuser_name": "加" * 101}]),
    ("cases", [{"type": "2-II", "legal_representative": "guardian", "end_condition": "x" * 201}]),
    ("notes", "x" * 2001), ("birth_date", "1990-02-30"), ("birth_date", "99999-01-01"),
    ("jumin_support", {"active": True, "start": "2025-13-01"}), ("cases", [{"type": "3-X"}]),
    ("cases", [{"type": "2-I", "card_left": True}] * 11), ("name", "山\x00田"), ("notes", "\x00"),
])
def test_over_long_and_malformed_fields_are_400_never_500(api_counter, field, value):
    response = api_counter.post("/api/v1/targets/", intake_payload(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]
    assert not Target.objects.exists()


@pytest.fixture
def api_counter(nonlinkage_counter):
    return token_client(nonlinkage_counter)


_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_TEXT, kana=st.one_of(_TEXT, st.text(alphabet="アイウエオ　", min_size=90, max_size=120)),
       notes=st.text(max_size=2100), abuser_name=_TEXT, end_condition=_TEXT)
def test_no_field_length_or_content_gives_a_500(api_counter, name, kana, notes, abuser_name, end_condition):
    payload = intake_payload(name=name, name_kana=kana, notes=notes, cases=[
        {"type": "1-I", "abuser_atena_no": ABUSER, "abuser_name": abuser_name},
        {"type": "2-II", "legal_representative": "guardian", "end_condition": end_condition}])
    response = api_counter.post("/api/v1/targets/", payload, format="json")
    assert response.status_code in (202, 400), response.content


def test_a_clerk_registering_many_existing_targets_in_a_day_shows_in_the_anomaly_view(
        counter, approver, register, nonlinkage_counter, auditor, settings):
    """The receipt answers alike (above), so probing for who is protected shows only to the
    auditors: more duplicates by one clerk in one day than the threshold."""
    settings.AUDIT_ANOMALY = {**settings.AUDIT_ANOMALY, "max_duplicate_registrations_per_user_day": 2}
    jst = datetime.timezone(datetime.timedelta(hours=9))
    with time_machine.travel(datetime.datetime(2026, 11, 18, 10, 0, tzinfo=jst), tick=False):
        existing = [register(counter)[0] for _ in range(3)]
        for target in existing[:2]:
            registration_submit(actor=nonlinkage_counter, payload=intake_payload(atena_no=target.atena_no),
                                today=timezone.localdate())
        registration_submit(actor=nonlinkage_counter, payload=intake_payload(), today=timezone.localdate())
    day = datetime.date(2026, 11, 18)
    assert anomalies(actor=auditor, start=day, end=day).duplicate_registrations == []  # 2: at the threshold
    with time_machine.travel(datetime.datetime(2026, 11, 18, 15, 0, tzinfo=jst), tick=False):
        registration_submit(actor=nonlinkage_counter, payload=intake_payload(atena_no=existing[2].atena_no),
                            today=timezone.localdate())
    rows = anomalies(actor=auditor, start=day, end=day).duplicate_registrations
    assert [(r["actor_username"], r["department_code"], r["n"]) for r in rows] == [
        (nonlinkage_counter.username, nonlinkage_counter.department.code, 3)]

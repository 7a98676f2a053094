import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from audit.models import AuditEvent
from checks.protection import nondisclosure_code_required
from flags.models import ChangeRequest, ChangeStatus
from integration.api import JuminSupportPushApi
from integration.models import SystemClient
from intermediary.models import Operation
from tests.conftest import system_client_key
from victims import services
from victims.models import ReviewTask, Target, TargetStatus
from victims.services import case_confirm_procedure

JUMIN = "/api/v1/jumin-support-measures/"
CHECK = "/api/v1/inquiry-checks/"


def system(key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"System {key}")
    return client


@pytest.fixture
def jumin_key(departments):
    return system_client_key("juki", "kodomo", "jumin_push")


@pytest.fixture
def checker_key(departments):
    return system_client_key("zeimu-batch", "zeimu", "inquiry_check")


def push(client, *measures):
    return client.post(JUMIN, {"measures": list(measures)}, format="json")


NEW_PERSON = {"atena_no": "800000000000001", "event": "start", "start": "2025-04-01", "end": "2026-03-31",
              "name": "住基　花子", "name_kana": "ジュウキ　ハナコ", "birth_date": "1985-05-05"}


def test_system_client_is_bound_to_its_scopes_and_department(checker_key, counter, register):
    client = system(checker_key)
    register(counter, atena_no="800000000000050")
    resp = client.post(CHECK, {"atena_no": "800000000000050", "direction": "inquiry"}, format="json")
    assert resp.status_code == 200 and resp.json() == {"nondisclosure_code_required": True}
    # Not in its scopes: refused, whatever the service account's role would allow.
    assert client.post("/api/v1/targets/", {}, format="json").status_code == 403
    assert push(client, NEW_PERSON).status_code == 403
    event = AuditEvent.objects.filter(action="inquiry.check").latest("id")
    assert event.actor_username == "system:zeimu-batch" and event.department_code == "zeimu"


def test_revoked_and_unknown_system_keys_are_401_and_audited(checker_key):
    client = system(checker_key)
    assert client.post(CHECK, {"atena_no": "800000000000050", "direction": "inquiry"}, format="json").status_code == 200
    call_command("revoke_system_client", "--code", "zeimu-batch", stdout=io.StringIO())
    resp = client.post(CHECK, {"atena_no": "800000000000050", "direction": "inquiry"}, format="json")
    assert resp.status_code == 401 and set(resp.json()) == {"detail", "errors", "request_id"}
    assert system("nobody.secret").post(CHECK, {}, format="json").status_code == 401
    denied = AuditEvent.objects.filter(action="system_client.authenticate", outcome="denied")
    assert {e.detail["reason"] for e in denied} == {"revoked", "unknown"}
    assert AuditEvent.objects.filter(action="system_client.create", detail__client="zeimu-batch").exists()
    assert AuditEvent.objects.filter(action="system_client.revoke", detail__client="zeimu-batch").exists()


def test_only_the_hash_of_a_system_key_is_stored(checker_key):
    client = SystemClient.objects.get(code="zeimu-batch")
    assert checker_key not in client.key_hash and client.key_hash == SystemClient.hash_key(checker_key)
    assert not client.staff.has_usable_password()
    out = io.StringIO()
    call_command("list_system_clients", stdout=out)
    assert "zeimu-batch" in out.getvalue() and "active" in out.getvalue()
    assert checker_key.split(".", 1)[1] not in out.getvalue()


def test_staff_cannot_push_jumin(api, counter):
    assert push(api(counter), NEW_PERSON).status_code == 403


def test_jumin_start_registers_a_pending_target_that_is_protected_at_once(jumin_key, approver):
    resp = push(system(jumin_key), NEW_PERSON)
    assert resp.status_code == 200, resp.json()
    assert resp.json() == {"results": [{"atena_no": "800000000000001", "event": "start", "result": "created"}]}
    target = Target.objects.get(atena_no="800000000000001")
    assert target.status == TargetStatus.PENDING and target.jumin_support_active
    assert target.owning_department.code == "kodomo"
    cr = ChangeRequest.objects.get(target=target)
    assert cr.status == ChangeStatus.PENDING and cr.action == "set"
    assert ReviewTask.objects.get(target=target).kind == "intake_required"
    for direction in ("inquiry", "provision"):
        assert nondisclosure_code_required("800000000000001", direction)[0] is True
    assert Operation.objects.count() == 0
    # Approved without an assessed case yet, the person stays protected (when in doubt, protect).
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    assert nondisclosure_code_required("800000000000001", "inquiry")[0] is True


def test_jumin_end_creates_a_review_task_and_never_releases(jumin_key, counter, approver, register, api):
    target, cr = register(counter, atena_no="800000000000002", jumin_support={"active": True, "start": "2024-01-01"})
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    ops_before = Operation.objects.count()
    resp = push(system(jumin_key), {"atena_no": "800000000000002", "event": "end", "end": "2025-03-31"})
    assert resp.json()["results"][0]["result"] == "review_task_created"
    target.refresh_from_db()
    assert target.status == TargetStatus.ACTIVE and not target.jumin_support_active
    assert str(target.jumin_support_end) == "2025-03-31"
    assert Operation.objects.count() == ops_before
    assert not ChangeRequest.objects.filter(target=target, action="release").exists()
    assert nondisclosure_code_required("800000000000002", "inquiry")[0] is True
    tasks = api(counter).get("/api/v1/review-tasks/").json()
    assert [(t["target_id"], t["kind"]) for t in tasks] == [(target.pk, "jumin_ended")]
    resp = api(counter).post(f"/api/v1/review-tasks/{tasks[0]['id']}/close", {"note": "継続"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "done"
    assert api(counter).get("/api/v1/review-tasks/").json() == []


def test_review_tasks_of_another_department_are_invisible(jumin_key, counter, approver, register, api, other_counter):
    target, cr = register(counter, atena_no="800000000000003", jumin_support={"active": True, "start": "2024-01-01"})
    push(system(jumin_key), {"atena_no": "800000000000003", "event": "end", "end": "2025-03-31"})
    task = ReviewTask.objects.get(target=target)
    assert api(other_counter).get("/api/v1/review-tasks/").json() == []
    assert api(other_counter).post(f"/api/v1/review-tasks/{task.pk}/close", {}, format="json").status_code == 404


def test_jumin_extend_updates_an_existing_target(jumin_key, counter, register):
    target, _ = register(counter, atena_no="800000000000004")
    resp = push(system(jumin_key),
                {"atena_no": "８０００００００００００００４", "event": "extend", "end": "2027-03-31"})
    assert resp.json()["results"][0]["result"] == "updated"
    target.refresh_from_db()
    assert target.jumin_support_active and str(target.jumin_support_end) == "2027-03-31"


def test_jumin_start_reopens_a_released_target(jumin_key, counter, approver, register, today):
    target, cr = register(counter, atena_no="800000000000005")
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case_confirm_procedure(actor=counter, case_id=target.cases.get().pk, procedure="card", confirmed_on=today)
    rel = services.release_request_create(actor=counter, target_id=target.pk, reason="2-I_complete", case_ids=None)
    services.change_request_approve(actor=approver, change_request_id=rel.pk)
    assert nondisclosure_code_required("800000000000005", "inquiry")[0] is False
    resp = push(system(jumin_key), {"atena_no": "800000000000005", "event": "start", "start": "2025-06-01"})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["results"][0]["result"] == "reopened"
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING
    assert ChangeRequest.objects.filter(target=target, action="set", status="pending").exists()
    assert ReviewTask.objects.get(target=target).kind == "jumin_reopened"
    assert nondisclosure_code_required("800000000000005", "inquiry")[0] is True


def test_jumin_push_is_all_or_nothing_with_errors_per_item(jumin_key):
    resp = push(system(jumin_key), NEW_PERSON,
                {"atena_no": "800000000000006", "event": "start", "start": "2025-04-01"},  # unknown, no identity
                {"atena_no": "800000000000001", "event": "end", "end": "2025-04-01"},  # duplicate
                {"atena_no": "12", "event": "start"},
                {"atena_no": "800000000000007", "event": "pause"})
    assert resp.status_code == 400
    errors = resp.json()["errors"]
    assert {"measures[2].atena_no", "measures[3].atena_no", "measures[4].event"} <= set(errors)
    assert not Target.objects.exists()
    resp = push(system(jumin_key), NEW_PERSON,
                {"atena_no": "800000000000006", "event": "start", "start": "2025-04-01"})
    assert resp.status_code == 400 and "measures[1].name" in resp.json()["errors"]
    assert not Target.objects.exists()


def test_jumin_end_for_an_unknown_person_is_a_no_op(jumin_key):
    resp = push(system(jumin_key), {"atena_no": "800000000000099", "event": "end", "end": "2025-04-01"})
    assert resp.json()["results"][0]["result"] == "no_target"
    assert not Target.objects.exists()


def test_no_personal_data_in_jumin_audit_events(jumin_key):
    push(system(jumin_key), NEW_PERSON)
    for event in AuditEvent.objects.filter(action__startswith="jumin."):
        text = str(event.detail)
        assert "花子" not in text and "ハナコ" not in text and "1985" not in text


def test_system_client_bulk_check_and_filter_scopes(departments, counter, register):
    register(counter, atena_no="800000000000060")
    checker = system(system_client_key("bulk-sys", "zeimu", "inquiry_check"))
    resp = checker.post("/api/v1/inquiry-checks/bulk/",
                        {"atena_nos": ["800000000000060", "800000000000061"], "direction": "provision"}, format="json")
    assert resp.status_code == 200
    assert [r["nondisclosure_code_required"] for r in resp.json()["results"]] == [True, False]
    upload = io.BytesIO(b"800000000000060\n800000000000061\n")
    upload.name = "a.csv"
    assert checker.post("/api/v1/recipient-filter/", {"file": upload}, format="multipart").status_code == 403
    notices = system(system_client_key("notice-sys", "zeimu", "recipient_filter"))
    upload.seek(0)
    resp = notices.post("/api/v1/recipient-filter/", {"file": upload}, format="multipart")
    assert resp.status_code == 200 and resp.content == b"800000000000061\n"
    event = AuditEvent.objects.filter(action="recipient_filter.run").latest("id")
    assert event.actor_username == "system:notice-sys"


def test_review_task_screen_lists_and_closes(jumin_key, counter, other_counter, approver, register, client):
    target, _ = register(counter, atena_no="800000000000070", jumin_support={"active": True, "start": "2024-01-01"})
    push(system(jumin_key), {"atena_no": "800000000000070", "event": "end", "end": "2025-03-31"})
    task = ReviewTask.objects.get(target=target)
    client.force_login(other_counter)
    assert "未対応の確認事項はありません" in client.get("/integration/review-tasks/").content.decode()
    assert client.post(f"/integration/review-tasks/{task.pk}/close/").status_code == 404
    client.force_login(counter)
    page = client.get("/integration/review-tasks/").content.decode()
    assert "住基支援措置が終了" in page and f"/targets/{target.pk}/" in page
    assert client.post(f"/integration/review-tasks/{task.pk}/close/", {"note": "継続"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done" and task.note == "継続"


@pytest.mark.parametrize("who", ["sysadmin", "auditor"])
def test_review_task_screen_is_for_victim_staff_only(db, client, request, who):
    anonymous = client.get("/integration/review-tasks/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(request.getfixturevalue(who))
    assert client.get("/integration/review-tasks/").status_code == 403


def test_a_full_size_push_is_accepted_and_an_oversize_one_refused_as_json(jumin_key, monkeypatch):
    measures = [{"atena_no": f"{810000000000000 + i}", "event": "end", "end": "2025-03-31",
                 "note": "x" * 900} for i in range(3_000)]  # > 2.5 MB of JSON
    resp = push(system(jumin_key), *measures)
    assert resp.status_code == 200, resp.content[:300]
    assert len(resp.json()["results"]) == 3_000
    event = AuditEvent.objects.filter(action="jumin.push").latest("id")
    assert event.detail == {"items": 3000, "results": {"no_target": 3000}}
    monkeypatch.setattr(JuminSupportPushApi, "max_body_bytes", 1000)
    resp = push(system(jumin_key), *measures[:10])
    assert resp.status_code == 413 and set(resp.json()) == {"detail", "errors", "request_id"}

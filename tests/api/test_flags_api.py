
from audit.models import AuditEvent
from flags.models import ChangeRequest, ChangeStatus
from intermediary.models import Operation
from tests.conftest import register_via_api
from victims.models import Target, TargetStatus


def register(client, **overrides):
    return register_via_api(client, **overrides)


def approve(client, cr_id):
    return client.post(f"/api/v1/change-requests/{cr_id}/approve", {}, format="json")


def check(client, atena_no, direction="inquiry"):
    return client.post("/api/v1/inquiry-checks/", {"atena_no": atena_no, "direction": direction}, format="json")


def test_four_eyes_via_api(api, approver, approver2):
    body = register(api(approver))
    cr_id = body["change_request"]["id"]
    resp = approve(api(approver), cr_id)
    assert resp.status_code == 403
    assert "二者確認" in resp.json()["detail"]
    assert ChangeRequest.objects.get(pk=cr_id).status == ChangeStatus.PENDING
    resp = approve(api(approver2), cr_id)
    assert resp.status_code == 200
    assert resp.json()["status"] == "approved" and resp.json()["action"] == "set"
    assert Operation.objects.filter(unit_key=Target.objects.get(pk=body["id"]).atena_no).count() == 2
    again = approve(api(approver2), cr_id)
    assert again.status_code == 409
    assert Operation.objects.count() == 2


def test_counter_cannot_approve_and_other_department_sees_404(api, counter, other_approver, make_staff):
    cr_id = register(api(counter))["change_request"]["id"]
    counter2 = make_staff("counter2", "kodomo", "counter")
    assert approve(api(counter2), cr_id).status_code == 403
    assert approve(api(other_approver), cr_id).status_code == 404
    assert approve(api(other_approver), 999999).status_code == 404


def test_reject_requires_reason_and_records_it(api, counter, approver):
    body = register(api(counter))
    cr_id = body["change_request"]["id"]
    resp = api(approver).post(f"/api/v1/change-requests/{cr_id}/reject", {}, format="json")
    assert resp.status_code == 400 and "reason" in resp.json()["errors"]
    resp = api(approver).post(f"/api/v1/change-requests/{cr_id}/reject", {"reason": "  "}, format="json")
    assert resp.status_code == 400 and "reason" in resp.json()["errors"]
    resp = api(approver).post(f"/api/v1/change-requests/{cr_id}/reject", {"reason": "確認不足"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"
    assert ChangeRequest.objects.get(pk=cr_id).decision_reason == "確認不足"
    assert Target.objects.get(pk=body["id"]).status == TargetStatus.REJECTED


def _active_target(api, counter, approver, **overrides):
    body = register(api(counter), **overrides)
    assert approve(api(approver), body["change_request"]["id"]).status_code == 200
    return body


def test_release_refused_while_jumin_support_active(api, counter, approver):
    body = _active_target(api, counter, approver, jumin_support={"active": True, "start": "2025-04-01"})
    resp = api(counter).post(f"/api/v1/targets/{body['id']}/release-requests/", {"reason": "wish"}, format="json")
    assert resp.status_code == 400
    assert "住基DV等支援措置" in resp.json()["detail"]
    assert "reason" in resp.json()["errors"]
    assert not ChangeRequest.objects.filter(target_id=body["id"], action="release").exists()


def test_release_2_I_after_confirmations_through_the_api(api, counter, approver, today):
    body = _active_target(api, counter, approver, cases=[{"type": "2-I", "card_left": True, "agent_set": True}])
    detail = api(counter).get(f"/api/v1/targets/{body['id']}/").json()
    case_id = detail["cases"][0]["id"]
    url = f"/api/v1/targets/{body['id']}/release-requests/"
    resp = api(counter).post(url, {"reason": "2-I_complete", "cases": [case_id]}, format="json")
    assert resp.status_code == 400  # procedures not yet confirmed
    for procedure in ("card", "agent"):
        resp = api(counter).post(f"/api/v1/cases/{case_id}/confirmations",
                                 {"procedure": procedure, "confirmed_on": today.isoformat()}, format="json")
        assert resp.status_code == 201, resp.json()
        assert resp.json() == {"case_id": case_id, "procedure": procedure, "confirmed_on": today.isoformat()}
    resp = api(counter).post(url, {"reason": "2-I_complete", "cases": [case_id]}, format="json")
    assert resp.status_code == 201, resp.json()
    cr_id = resp.json()["id"]
    assert resp.json()["action"] == "release" and resp.json()["status"] == "pending"
    assert approve(api(approver), cr_id).status_code == 200
    assert Target.objects.get(pk=body["id"]).status == TargetStatus.RELEASED
    assert set(Operation.objects.filter(action="release").values_list("flag_kind", flat=True)) == {
        "NONDISCLOSURE", "NO_AUTO_RESPONSE"}


def test_confirmation_rejects_bad_procedure_and_hidden_case(api, counter, other_counter, approver):
    body = _active_target(api, counter, approver)
    case_id = api(counter).get(f"/api/v1/targets/{body['id']}/").json()["cases"][0]["id"]
    resp = api(counter).post(f"/api/v1/cases/{case_id}/confirmations",
                             {"procedure": "teleport", "confirmed_on": "2025-01-01"}, format="json")
    assert resp.status_code == 400 and "procedure" in resp.json()["errors"]
    resp = api(counter).post(f"/api/v1/cases/{case_id}/confirmations",
                             {"procedure": "representation", "confirmed_on": "2025-01-01"}, format="json")
    assert resp.status_code == 400 and "procedure" in resp.json()["errors"]
    resp = api(other_counter).post(f"/api/v1/cases/{case_id}/confirmations",
                                   {"procedure": "card", "confirmed_on": "2025-01-01"}, format="json")
    assert resp.status_code == 404


def test_release_with_unknown_case_id_is_400(api, counter, approver):
    body = _active_target(api, counter, approver)
    resp = api(counter).post(f"/api/v1/targets/{body['id']}/release-requests/",
                             {"reason": "wish", "cases": [987654]}, format="json")
    assert resp.status_code == 400 and "cases" in resp.json()["errors"]


def test_inquiry_check_pending_protects_and_never_says_why(api, counter, other_counter):
    register(api(counter), atena_no="400000000000001")
    resp = check(api(other_counter), "400000000000001")
    assert resp.status_code == 200
    assert resp.json() == {"nondisclosure_code_required": True}
    assert check(api(other_counter), "400000000000002").json() == {"nondisclosure_code_required": False}
    event = AuditEvent.objects.filter(action="inquiry.check").latest("id")
    assert event.detail["required"] is False


def test_inquiry_check_accepts_full_width_and_rejects_malformed(api, counter, other_counter):
    register(api(counter), atena_no="400000000000011")
    resp = check(api(other_counter), "４０００００００００００ ０１１")
    assert resp.json() == {"nondisclosure_code_required": True}
    resp = check(api(other_counter), "4000-bad")
    assert resp.status_code == 400 and list(resp.json()["errors"]) == ["atena_no"]
    resp = check(api(other_counter), "400000000000011", direction="sideways")
    assert resp.status_code == 400 and "direction" in resp.json()["errors"]


def test_provision_vs_inquiry_direction(api, counter, approver, other_counter, settings):
    # ①-I with the local policy "both flags for every victim": the victim carries the
    # 不開示該当フラグ, so a manual provision needs 不開示 but an inquiry about her does not.
    settings.FLAG_POLICY = {"both_flags_for_every_victim": True, "code_on_victim_for_case_1_1": False}
    _active_target(api, counter, approver, atena_no="400000000000021",
                          cases=[{"type": "1-I", "abuser_atena_no": "400000000000022"}])
    client = api(other_counter)
    assert check(client, "400000000000021", "inquiry").json()["nondisclosure_code_required"] is False
    assert check(client, "400000000000021", "provision").json()["nondisclosure_code_required"] is True
    assert check(client, "400000000000022", "inquiry").json()["nondisclosure_code_required"] is True


def test_non_linkage_department_gets_403_on_check(api, nonlinkage_counter):
    resp = check(api(nonlinkage_counter), "400000000000001")
    assert resp.status_code == 403
    assert set(resp.json()) == {"detail", "errors", "request_id"}
    assert AuditEvent.objects.filter(action="inquiry.check", outcome="denied").exists()


def test_approval_via_api_is_audited_with_request_id(api, counter, approver, settings):
    # The proxy's request id is kept only because the test client's address is a trusted proxy
    # (ADR 0020); tests/audit/test_proxy_headers.py covers a client that sends one itself.
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    cr_id = register(api(counter))["change_request"]["id"]
    api(approver).post(f"/api/v1/change-requests/{cr_id}/approve", {}, format="json", HTTP_X_REQUEST_ID="req-12345")
    event = AuditEvent.objects.get(action="change_request.approve_set")
    assert event.request_id == "req-12345" and event.channel == "api"

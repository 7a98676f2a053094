import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.authentication import active_token_staff
from accounts.models import ApiToken
from accounts.services import api_token_issue
from audit.models import AuditEvent
from flags.models import ChangeRequest
from intermediary.models import Operation
from tests.conftest import intake_payload, register_via_api, verify_second_factor
from victims.models import Registration, Target, TargetStatus


def create(client, **overrides):
    return client.post("/api/v1/targets/", intake_payload(**overrides), format="json")


def test_register_answers_a_receipt_and_the_target_is_in_the_department_list(api, counter):
    abuser = "200000000000077"
    resp = create(api(counter), cases=[{"type": "2-I", "card_left": True}, {"type": "1-I", "abuser_atena_no": abuser}])
    assert resp.status_code == 202, resp.json()
    body = resp.json()
    assert set(body) == {"registration", "detail"}
    assert body["registration"]["status"] == "accepted" and "申出を受け付けました" in body["detail"]
    assert resp["Location"] == f"/api/v1/registrations/{body['registration']['id']}/"
    target = Registration.objects.get(pk=body["registration"]["id"]).created_target
    assert target.status == TargetStatus.PENDING
    assert ChangeRequest.objects.get(target=target).status == "pending"
    listed = api(counter).get("/api/v1/targets/").json()
    assert listed["count"] == 1 and listed["page"] == 1 and listed["page_size"] == 50
    assert [t["id"] for t in listed["results"]] == [target.pk]
    assert Operation.objects.count() == 0  # nothing leaves before approval
    receipt = api(counter).get(f"/api/v1/registrations/{body['registration']['id']}/").json()
    assert receipt["status"] == "accepted" and receipt["status_display"] == "受付済"
    assert receipt["intake"]["cases"][1]["abuser_atena_no"] == abuser


def test_full_width_digits_and_spaces_are_accepted(api, counter):
    body = register_via_api(api(counter), atena_no="１２３４５ ６７８９０　１２３４５")
    assert Target.objects.get(pk=body["id"]).atena_no == "123456789012345"


@pytest.mark.parametrize("bad", ["12345", "12345678901234X", "", "1234567890123456"])
def test_malformed_atena_no_is_400_naming_the_field(api, counter, bad):
    resp = create(api(counter), atena_no=bad)
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"detail", "errors", "request_id"}
    assert list(body["errors"]) == ["atena_no"]
    assert isinstance(body["errors"]["atena_no"], list) and body["errors"]["atena_no"][0]
    assert Target.objects.count() == 0


def test_every_bad_field_is_reported_at_once(api, counter):
    resp = create(api(counter), name="", basis="maybe", cases=[{"type": "1-I", "abuser_atena_no": "1"}])
    assert resp.status_code == 400
    assert {"name", "basis", "cases[0].abuser_atena_no"} <= set(resp.json()["errors"])


def test_non_object_body_is_400(api, counter):
    resp = api(counter).post("/api/v1/targets/", [1, 2], format="json")
    assert resp.status_code == 400
    assert "errors" in resp.json()


def test_the_owning_department_registering_its_own_target_again_is_told_400(api, counter):
    client = api(counter)
    assert create(client, atena_no="300000000000001").status_code == 202
    resp = create(client, atena_no="300000000000001")
    assert resp.status_code == 400 and "atena_no" in resp.json()["errors"]


def test_detail_for_owner_and_404_for_another_department(api, counter, other_counter):
    target_id = register_via_api(api(counter))["id"]
    resp = api(counter).get(f"/api/v1/targets/{target_id}/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] == target_id and body["owning_department"] == "kodomo"
    assert body["cases"][0]["type"] == "2-I" and body["cases"][0]["card_left"] is True
    assert body["jumin_support"] == {"active": False, "start": None, "end": None}
    other = api(other_counter)
    hidden = other.get(f"/api/v1/targets/{target_id}/")
    absent = other.get("/api/v1/targets/999999/")
    assert hidden.status_code == absent.status_code == 404
    per_request = {"request_id"}  # differs by request, not by whether the target exists
    assert {k: v for k, v in hidden.json().items() if k not in per_request} == \
        {k: v for k, v in absent.json().items() if k not in per_request}
    assert other.get(f"/api/v1/targets/{target_id}/flags/").status_code == 404
    assert AuditEvent.objects.filter(action="target.read", target_id=target_id, outcome="denied").exists()
    assert AuditEvent.objects.filter(action="target.read", target_id=target_id, outcome="allowed",
                                     detail__via="api").exists()


@pytest.mark.parametrize("who", ["sysadmin", "auditor"])
def test_sysadmin_and_auditor_get_403_on_victim_endpoints(api, counter, request, who):
    target_id = register_via_api(api(counter))["id"]
    client = api(request.getfixturevalue(who))
    assert client.get(f"/api/v1/targets/{target_id}/").status_code == 403
    assert client.get(f"/api/v1/targets/{target_id}/flags/").status_code == 403
    assert create(client).status_code == 403
    resp = client.post("/api/v1/inquiry-checks/", {"atena_no": "123456789012345", "direction": "inquiry"},
                       format="json")
    assert resp.status_code == 403
    assert set(resp.json()) == {"detail", "errors", "request_id"}


def test_flags_show_desired_and_reflected(api, counter, approver):
    body = register_via_api(api(counter))
    flags = api(counter).get(f"/api/v1/targets/{body['id']}/flags/").json()["flags"]
    assert {f["flag_kind"]: f["desired"] for f in flags} == {"NONDISCLOSURE": False, "NO_AUTO_RESPONSE": False}
    assert api(approver).post(f"/api/v1/change-requests/{body['change_request']['id']}/approve").status_code == 200
    flags = api(counter).get(f"/api/v1/targets/{body['id']}/flags/").json()["flags"]
    by_kind = {f["flag_kind"]: f for f in flags}
    assert by_kind["NONDISCLOSURE"]["desired"] is True and by_kind["NONDISCLOSURE"]["desired_at"]
    assert by_kind["NONDISCLOSURE"]["reflected"] is None and by_kind["NONDISCLOSURE"]["reflected_at"] is None


def test_token_from_management_command_works_and_revoked_token_is_rejected(counter):
    out = io.StringIO()
    call_command("issue_api_token", "--username", counter.username, stdout=out)
    token = out.getvalue().split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert create(client).status_code == 202
    ApiToken.objects.filter(key_hash=ApiToken.hash_key(token)).update(revoked_at=timezone.now())
    resp = create(client)
    assert resp.status_code == 401
    assert set(resp.json()) == {"detail", "errors", "request_id"}
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert create(client).status_code == 401


def test_no_credentials_is_401_everywhere(api):
    client = api()
    for method, url in [("post", "/api/v1/targets/"), ("get", "/api/v1/targets/1/"),
                        ("get", "/api/v1/targets/1/flags/"),
                        ("post", "/api/v1/change-requests/1/approve"), ("post", "/api/v1/change-requests/1/reject"),
                        ("post", "/api/v1/targets/1/release-requests/"), ("post", "/api/v1/inquiry-checks/"),
                        ("post", "/api/v1/cases/1/confirmations"), ("get", "/api/v1/no-such-thing/")]:
        resp = getattr(client, method)(url, {}, format="json")
        assert resp.status_code == 401, url
        assert resp.json() == {"detail": "認証が必要です。", "errors": {}, "request_id": resp["X-Request-ID"]}


def test_session_auth_works(client, counter):
    session = APIClient()
    session.force_login(counter)  # a real session cookie; the password flow is tested with the login screen
    verify_second_factor(session, counter)
    assert create(session).status_code == 202


def test_session_auth_enforces_csrf(counter):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(counter)  # a real session cookie; the password flow is tested with the login screen
    verify_second_factor(session, counter)
    resp = create(session)
    assert "CSRF" in resp.json()["detail"]
    assert resp.status_code == 403
    assert set(resp.json()) == {"detail", "errors", "request_id"}


def test_unknown_api_path_is_a_json_404(api, counter):
    resp = api(counter).get("/api/v1/targets/abc/")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "対象が見つかりません。", "errors": {}, "request_id": resp["X-Request-ID"]}


def test_token_of_deactivated_staff_is_rejected_at_once(counter):
    """The token lookup is hand-written SQL (no cache): deactivation counts on the next call,
    and the staff it returns carries its department, as the ORM's would."""
    token = api_token_issue(actor=None, staff=counter)
    staff, _ = active_token_staff(ApiToken.hash_key(token))
    assert (staff.pk, staff.department.code, staff.role) == (counter.pk, counter.department.code, counter.role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert create(client).status_code == 202
    type(counter).objects.filter(pk=counter.pk).update(is_active=False)
    assert create(client).status_code == 401

"""Every API route requires credentials and the right role or system scope. A new route
fails this test until it is added to ACCESS (deny by default)."""
import io

from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from config import api_urls

VICTIM = {"counter", "approver", "nonlinkage_counter"}
LINKAGE = {"counter", "approver"}
CALLERS = ["counter", "approver", "nonlinkage_counter", "sysadmin", "auditor", "sys_check", "sys_jumin"]

# route name → (method, callers that get past the gate)
ACCESS = {
    "api-targets": ("post", VICTIM),
    "api-target-detail": ("get", VICTIM),
    "api-target-flags": ("get", VICTIM),
    "api-target-release-requests": ("post", VICTIM),
    "api-case-confirmations": ("post", VICTIM),
    "api-change-request-approve": ("post", {"approver"}),
    "api-change-request-reject": ("post", {"approver"}),
    "api-inquiry-checks": ("post", LINKAGE | {"sys_check"}),
    "api-inquiry-checks-bulk": ("post", LINKAGE | {"sys_check"}),
    "api-recipient-filter": ("post", LINKAGE),
    "api-jumin-support-measures": ("post", {"sys_jumin"}),
    "api-review-tasks": ("get", VICTIM),
    "api-review-task-close": ("post", VICTIM),
}


def routes():
    return [p for p in api_urls.urlpatterns if p.name != "api-unknown"]


def test_every_api_route_is_in_the_access_table():
    names = {p.name for p in routes()}
    assert names == set(ACCESS), f"add to ACCESS with its roles: {sorted(names - set(ACCESS))}"


def _system_client(code, department, scope):
    out = io.StringIO()
    call_command("create_system_client", "--code", code, "--name", code, "--department", department,
                 "--scope", scope, stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"System {out.getvalue().split()[-1]}")
    return client


def test_every_api_route_requires_credentials_and_the_right_caller(request, counter, approver, approver2,
                                                                   nonlinkage_counter, sysadmin, auditor, register):
    from flags.services import change_request_reject

    target, change_request = register(counter)
    _, decided = register(counter)
    change_request_reject(actor=approver2, change_request_id=decided.pk, reason="テスト")
    # A decided request: the approver passes the gate and meets 409, so nothing changes.
    ids = {"target_id": target.pk, "change_request_id": decided.pk, "case_id": target.cases.get().pk,
           "task_id": 999999}
    clients = {}
    for name in ("counter", "approver", "nonlinkage_counter", "sysadmin", "auditor"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=request.getfixturevalue(name))}")
        clients[name] = client
    clients["sys_check"] = _system_client("check-sys", "zeimu", "inquiry_check")
    clients["sys_jumin"] = _system_client("jumin-sys", "kodomo", "jumin_push")

    for pattern in routes():
        method, allowed = ACCESS[pattern.name]
        url = "/api/v1/" + str(pattern.pattern)
        for key, value in ids.items():
            url = url.replace(f"<int:{key}>", str(value))
        body = {"reason": "理由"} if pattern.name == "api-change-request-reject" else {}
        anonymous = getattr(APIClient(), method)(url, body, format="json")
        assert anonymous.status_code == 401, pattern.name
        for caller in CALLERS:
            status = getattr(clients[caller], method)(url, body, format="json").status_code
            if caller in allowed:
                assert status not in (401, 403), f"{caller} should pass the gate of {pattern.name}, got {status}"
            else:
                # 403 from the role gate; 404 where the object is hidden from another department.
                assert status in (403, 404), f"{caller} must be refused by {pattern.name}, got {status}"
                if caller in ("sysadmin", "auditor", "sys_check", "sys_jumin") or pattern.name in (
                        "api-inquiry-checks", "api-inquiry-checks-bulk", "api-recipient-filter",
                        "api-jumin-support-measures", "api-targets"):
                    assert status == 403, f"{caller} must get 403 from {pattern.name}, got {status}"
    change_request.refresh_from_db()
    assert change_request.status == "pending"  # no refused call changed anything

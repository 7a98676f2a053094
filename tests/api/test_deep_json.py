"""A JSON body nested deeper than Python's recursion limit ("[" * 100000) is a bad request,
not a server error: 400 in the one error shape, for every endpoint that reads JSON (DRF's
parser and the streamed parser of the bulk check and the 住基 push alike).

The endpoints are found from config.api_urls, not listed by hand, so a new one is covered."""
import re

import pytest
from rest_framework.test import APIClient

from accounts.api_permissions import SystemClientOnly
from accounts.services import api_token_issue
from config import api_urls
from tests.conftest import system_client_key

BODY_METHODS = ("post", "put", "patch", "delete")
DEEP_BODIES = {
    "arrays": "[" * 100_000,
    "objects": '{"a":' * 100_000,
    "closed": "[" * 50_000 + "]" * 50_000,  # well-formed, still too deep
}
# Deep, yet within what the parser reads: the views' validation must refuse them, not crash.
PARSEABLE_BODIES = {
    "nested-value": '{"atena_no": ' + "[" * 400 + "]" * 400 + ', "measures": ' + "[" * 400 + "]" * 400
                    + ', "atena_nos": ' + "[" * 400 + "]" * 400
                    + ', "reason": ' + "{\"a\":" * 400 + "1" + "}" * 400 + "}",
    "huge-number": '{"atena_no": ' + "1" * 100_000 + "}",  # past int's digit limit: ValueError
}


def _json_endpoints():
    for pattern in api_urls.urlpatterns:
        if pattern.name == "api-unknown":
            continue
        view = pattern.callback.view_class
        if not any(getattr(p, "media_type", "") == "application/json" for p in view().get_parsers()):
            continue
        for method in BODY_METHODS:
            if hasattr(view, method):
                yield pytest.param(pattern, method, id=f"{method.upper()} {pattern.pattern}")


JSON_ENDPOINTS = list(_json_endpoints())


def test_the_json_endpoints_are_found():
    names = {param.values[0].name for param in JSON_ENDPOINTS}
    # the three kinds of parser: DRF's (targets), the streamed bulk check and the 住基 push
    assert {"api-targets", "api-inquiry-checks", "api-inquiry-checks-bulk", "api-jumin-support-measures",
            "api-change-request-approve", "api-review-task-close"} <= names


def _url(pattern, ids) -> str:
    return "/api/v1/" + re.sub(r"<int:(\w+)>", lambda m: str(ids[m.group(1)]), str(pattern.pattern))


@pytest.fixture
def ids(counter, register):
    target, change_request = register(counter)
    return {"target_id": target.pk, "case_id": target.cases.first().pk, "change_request_id": change_request.pk,
            "task_id": 1, "decision_id": 1}


@pytest.fixture
def callers(counter, departments):
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=counter)}")
    system = APIClient()
    key = system_client_key("juki", "kodomo", "jumin_push", "inquiry_check")
    system.credentials(HTTP_AUTHORIZATION=f"System {key}")
    for client in (staff, system):
        client.raise_request_exception = False  # a 500 is the failure being looked for
    return {"staff": staff, "system": system}


@pytest.mark.django_db
@pytest.mark.parametrize("shape", list(DEEP_BODIES))
@pytest.mark.parametrize("pattern,method", JSON_ENDPOINTS)
def test_a_too_deeply_nested_json_body_is_a_400_in_the_one_error_shape(pattern, method, shape, ids, callers):
    view = pattern.callback.view_class
    caller = callers["system" if SystemClientOnly in view.permission_classes else "staff"]
    resp = getattr(caller, method)(_url(pattern, ids), DEEP_BODIES[shape], content_type="application/json")
    assert resp.status_code == 400, (resp.status_code, resp.content[:300])
    assert resp["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == {"detail", "errors", "request_id"} and body["request_id"] == resp["X-Request-ID"]
    assert "JSON" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("shape", list(PARSEABLE_BODIES))
@pytest.mark.parametrize("pattern,method", JSON_ENDPOINTS)
def test_deep_but_parseable_bodies_are_refused_not_crashed_on(pattern, method, shape, ids, callers):
    view = pattern.callback.view_class
    caller = callers["system" if SystemClientOnly in view.permission_classes else "staff"]
    resp = getattr(caller, method)(_url(pattern, ids), PARSEABLE_BODIES[shape], content_type="application/json")
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.content[:300])
    assert set(resp.json()) == {"detail", "errors", "request_id"}

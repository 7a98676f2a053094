"""Every refused attempt on a victim's object writes exactly one denied audit event, and it
survives the rollback of the transaction that refused it. An object of another department
and an id that does not exist take the same queries and get the same response.

Each path is called twice by someone who may not see the object: once on a real object of
another department, once on an id that names nothing. Both must answer alike (status,
body, number of queries) and each must leave exactly one DENIED event."""
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from audit.models import AuditEvent, Outcome
from core.errors import Forbidden, NotFound
from tests.conftest import intake_payload
from victims import services
from victims.models import CaseAssessment, ReviewTask, ReviewTaskKind

ABSENT = 987654321
PAST = datetime.date(2020, 1, 6).isoformat()


@pytest.fixture
def objects(counter, approver, register):
    """A pending request, an active target with a ②-I case and a review task, all of 子ども家庭支援課."""
    pending_target, pending = register(counter)
    active, set_request = register(counter)
    services.change_request_approve(actor=approver, change_request_id=set_request.pk)
    case = CaseAssessment.objects.get(target=active)
    task = ReviewTask.objects.create(target=active, department=active.owning_department,
                                     kind=ReviewTaskKind.JUMIN_ENDED, created_at=set_request.requested_at,
                                     created_by=counter)
    receipt = services.registration_submit(actor=counter, payload=intake_payload(), today=timezone.localdate())
    return {"change_request": pending.pk, "target": active.pk, "case": case.pk, "task": task.pk,
            "registration": receipt.pk}


def _api(staff):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=staff)}")
    # A token's first call of a minute also records its last use (ADR 0019), whatever the object:
    # made here, so the two calls compared below cost the same.
    assert client.get("/api/v1/no-such-route/").status_code == 404
    return client


def _denied_count() -> int:
    return AuditEvent.objects.filter(outcome=Outcome.DENIED).count()


def _call(send):
    """(status, body, queries, denied events written) of one refused call."""
    before = _denied_count()
    with CaptureQueriesContext(connection) as queries:
        response = send()
    # The logout form's CSRF token is masked afresh on every page, and every API error names
    # its own request's id; nothing else may differ.
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
    body = re.sub(rb'"request_id":"[^"]*"', b"", body)
    return response.status_code, body, len(queries), _denied_count() - before


def _assert_alike(hidden, absent, expected_status):
    assert hidden[0] == absent[0] == expected_status, (hidden[0], absent[0])
    assert hidden[1] == absent[1], "the response tells a hidden object from an absent one"
    assert hidden[2] == absent[2], f"queries differ: hidden {hidden[2]}, absent {absent[2]}"
    assert hidden[3] == absent[3] == 1, f"denied events: hidden {hidden[3]}, absent {absent[3]} (want exactly 1 each)"


API_PATHS = [
    # (caller fixture, method, url template, key of the object, body)
    ("other_approver", "post", "/api/v1/change-requests/{}/approve", "change_request", {}),
    ("other_approver", "post", "/api/v1/change-requests/{}/reject", "change_request", {"reason": "確認不足"}),
    ("other_counter", "post", "/api/v1/change-requests/{}/withdraw", "change_request", {}),
    ("other_counter", "get", "/api/v1/registrations/{}/", "registration", None),
    ("other_counter", "post", "/api/v1/targets/{}/release-requests/", "target", {"reason": "wish"}),
    ("other_counter", "post", "/api/v1/cases/{}/confirmations", "case", {"procedure": "card", "confirmed_on": PAST}),
    ("other_counter", "post", "/api/v1/review-tasks/{}/close", "task", {"note": "x"}),
    ("other_counter", "get", "/api/v1/targets/{}/", "target", None),
    ("other_counter", "get", "/api/v1/targets/{}/flags/", "target", None),
]


@pytest.mark.parametrize(("who", "method", "url", "key", "body"), API_PATHS,
                         ids=[f"{m.upper()} {u}" for _, m, u, _, _ in API_PATHS])
def test_api_refusals_are_audited_and_look_like_absence(request, objects, who, method, url, key, body):
    client = _api(request.getfixturevalue(who))

    def send(object_id):
        if body is None:
            return lambda: getattr(client, method)(url.format(object_id))
        return lambda: getattr(client, method)(url.format(object_id), body, format="json")

    hidden = _call(send(objects[key]))
    absent = _call(send(ABSENT))
    _assert_alike(hidden, absent, 404)


SCREEN_PATHS = [
    ("other_approver", "/flags/requests/{}/approve/", "change_request", {}),
    ("other_approver", "/flags/requests/{}/reject/", "change_request", {"reason": "確認不足"}),
    ("other_counter", "/flags/requests/{}/withdraw/", "change_request", {}),
    ("other_counter", "/targets/{}/release/", "target", {"reason": "wish"}),
    ("other_counter", "/targets/{}/corrections/", "target", {}),
    ("other_counter", "/integration/review-tasks/{}/close/", "task", {"note": "x"}),
]


@pytest.mark.parametrize(("who", "url", "key", "data"), SCREEN_PATHS, ids=[u for _, u, _, _ in SCREEN_PATHS])
def test_screen_refusals_are_audited_and_look_like_absence(request, client, objects, who, url, key, data):
    client.force_login(request.getfixturevalue(who))
    hidden = _call(lambda: client.post(url.format(objects[key]), data))
    absent = _call(lambda: client.post(url.format(ABSENT), data))
    _assert_alike(hidden, absent, 404)


def test_another_departments_receipt_screen_looks_like_absence(client, objects, other_counter):
    client.force_login(other_counter)
    hidden = _call(lambda: client.get(f"/targets/registrations/{objects['registration']}/"))
    absent = _call(lambda: client.get(f"/targets/registrations/{ABSENT}/"))
    _assert_alike(hidden, absent, 404)


def test_case_confirmation_screen_refusal_is_audited(client, objects, other_counter):
    client.force_login(other_counter)
    data = {"procedure": "card", "confirmed_on": PAST}
    hidden = _call(lambda: client.post(f"/targets/{objects['target']}/cases/{objects['case']}/confirm/", data))
    absent = _call(lambda: client.post(f"/targets/{ABSENT}/cases/{ABSENT}/confirm/", data))
    _assert_alike(hidden, absent, 404)


def test_grant_refused_to_another_departments_head_is_audited(objects, other_approver):
    before = _denied_count()
    with pytest.raises(NotFound):
        services.target_grant_department(actor=other_approver, target_id=objects["target"], department_code="zeimu")
    assert _denied_count() - before == 1


def test_a_four_eyes_refusal_is_audited_too(objects, counter, approver):
    """The requester's own head may decide, but not the requester: refused, 403, audited once."""
    before = _denied_count()
    with pytest.raises(Forbidden):
        services.change_request_approve(actor=counter, change_request_id=objects["change_request"])
    event = AuditEvent.objects.filter(outcome=Outcome.DENIED).order_by("-id").first()
    assert _denied_count() - before == 1
    assert event.action == "change_request.decide" and event.actor_username == "counter1"


@pytest.mark.parametrize(("who", "url"), [
    ("sysadmin", "/targets/{}/release/"),
    ("auditor", "/targets/{}/corrections/"),
    ("nonlinkage_counter", "/flags/requests/{}/approve/"),
])
def test_a_screen_refused_by_role_is_audited_once(request, client, objects, who, url):
    """Refused by the screen gate itself (403, before the view runs): still one denied event,
    with ids only."""
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    key = "change_request" if "requests" in url else "target"
    before = _denied_count()
    response = client.post(url.format(objects[key]), {"reason": "wish"})
    assert response.status_code == 403
    assert _denied_count() - before == 1
    event = AuditEvent.objects.filter(outcome=Outcome.DENIED).order_by("-id").first()
    assert event.action == "screen.denied" and event.actor_id == actor.pk
    assert event.detail["method"] == "POST" and event.detail["args"] == {"pk": objects[key]}

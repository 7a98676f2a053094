"""Structured logs (ADR 0066): one JSON object a line, each with the request id (the one the
response echoes), the acting user's and department's ids, and a task's id and operation id."""
import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.log_context import FIELDS
from intermediary.models import Operation, OperationStatus
from intermediary.tasks import deliver_operation
from tests.conftest import verify_second_factor
from tests.json_log_capture import json_logs


def _only(lines: list[dict], logger: str) -> dict:
    found = [line for line in lines if line["logger"] == logger]
    assert len(found) == 1, lines
    return found[0]


def test_every_line_is_json_with_every_context_field(db):
    with json_logs() as log:
        response = Client().get("/no-such-page/")
    assert response.status_code == 404
    line = _only(log.lines, "django.request")
    assert set(FIELDS) <= set(line) and {"timestamp", "level", "message"} <= set(line)
    assert line["request_id"] == response["X-Request-ID"]
    assert (line["user_id"], line["department_id"], line["task_id"]) == ("-", "-", "-")
    assert "request" not in line  # Django's request object: its repr would carry the query string


def test_a_signed_in_screen_request_names_the_user_and_department_by_id(web, counter, other_counter, register):
    target, _ = register(counter)
    with json_logs() as log:
        response = web(other_counter).get(f"/targets/{target.pk}/")  # another department's: 404
    assert response.status_code == 404
    line = _only(log.lines, "django.request")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == str(other_counter.pk)
    assert line["department_id"] == str(other_counter.department_id)


def test_an_api_caller_is_named_once_the_api_authenticated_it(counter):
    api = APIClient()
    api.force_login(counter)
    verify_second_factor(api, counter)
    with json_logs() as log:
        response = api.get("/api/v1/targets/999999999/")
    assert response.status_code == 404
    line = _only(log.lines, "django.request")
    assert (line["user_id"], line["department_id"]) == (str(counter.pk), str(counter.department_id))


def test_the_proxys_request_id_is_kept_logged_and_echoed(settings, db):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    with json_logs() as log:
        response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="nginx-0123456789abcdef")
    assert response["X-Request-ID"] == "nginx-0123456789abcdef"
    assert _only(log.lines, "django.request")["request_id"] == "nginx-0123456789abcdef"


def test_an_untrusted_request_id_is_replaced(settings, db):
    settings.TRUSTED_PROXIES = []
    with json_logs() as log:
        response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="forged-0123456789abcdef")
    assert response["X-Request-ID"] != "forged-0123456789abcdef"
    assert _only(log.lines, "django.request")["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_a_task_line_names_the_task_and_the_operation():
    op = Operation.objects.create(unit_type="atena", unit_key="100000000000001", flag_kind="NONDISCLOSURE",
                                  action="set", unit_seq=1, status=OperationStatus.REFLECTED)  # nothing to deliver
    with json_logs() as log:
        result = deliver_operation.apply(args=(str(op.pk),), task_id="task-0123456789")
    assert result.get() == "skipped"
    line = _only(log.lines, "intermediary.tasks")
    assert (line["task_id"], line["operation_id"]) == ("task-0123456789", str(op.pk))
    assert "100000000000001" not in log.text  # the operation's 宛名番号 is not in its log line

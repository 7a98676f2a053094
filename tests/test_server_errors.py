"""Unexpected exceptions: under /api/ the one JSON error shape with the request id (DRF views,
plain Django views, handler500), the Japanese 500 page on screens; never a traceback; logged
once with the request id and without the exception's message (which may quote personal data)."""
import logging
import sys

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient
from rest_framework.views import APIView

import victims.api
from accounts.services import api_token_issue
from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns
from core.api_errors import server_error

SECRET = "123456789012345 山田　花子"  # stands for the personal data a database error may quote
DB_MESSAGE = f"duplicate key value violates unique constraint DETAIL: Key (atena_no)=({SECRET})"


class Boom(RuntimeError):
    pass


class _BoomApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    schema = None

    def get(self, request):
        raise Boom(SECRET)


def _boom_plain(request):
    raise Boom(SECRET)


def _boom_chained(request):
    try:
        {}["x"]
    except KeyError as exc:
        raise Boom(SECRET) from exc


def _fine(request):
    return HttpResponse("ok")


# This module is the ROOT_URLCONF of the tests below: the project's routes and handlers plus
# views that fail (before the API's catch-all, which would answer them 404).
urlpatterns = [
    path("api/v1/test-boom-drf/", _BoomApi.as_view()),
    path("api/v1/test-boom-plain/", _boom_plain),
    path("api/v1/test-boom-chained/", _boom_chained),
    path("test-boom/", _boom_plain),
    *project_urlpatterns,
]

as_root = override_settings(ROOT_URLCONF=__name__, DEBUG=False)


def _assert_api_500(resp, caplog):
    assert resp.status_code == 500
    assert resp["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == {"detail", "errors", "request_id"}
    assert body["errors"] == {} and body["detail"]
    assert body["request_id"] and body["request_id"] == resp["X-Request-ID"]
    text = resp.content.decode()
    assert "Traceback" not in text and "Boom" not in text and SECRET not in text
    _assert_logged_once(caplog, body["request_id"])
    return body


def _assert_logged_once(caplog, request_id):
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]  # ours, not Django's as well
    record = errors[0]
    logged = record.getMessage() + (record.exc_text or "")
    assert request_id in logged and "Boom" in logged and "test_server_errors.py" in logged  # which code failed
    assert record.exc_info is None
    assert SECRET not in logged and "123456789012345" not in logged


@pytest.fixture
def api():
    def make(staff=None):
        client = APIClient()
        if staff is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=staff)}")
        return client
    return make


@pytest.fixture
def raw_client():
    return Client(raise_request_exception=False)


@as_root
@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/test-boom-drf/", "/api/v1/test-boom-plain/", "/api/v1/test-boom-chained/"])
def test_an_unexpected_exception_under_api_answers_the_one_json_error_shape(raw_client, caplog, url, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the request id of a trusted proxy is the one answered (ADR 0020)
    caplog.set_level(logging.INFO)
    resp = raw_client.get(url, HTTP_X_REQUEST_ID="req-test-500")
    body = _assert_api_500(resp, caplog)
    assert body["request_id"] == "req-test-500"


@as_root
@pytest.mark.django_db
def test_the_chained_cause_is_logged_too(raw_client, caplog):
    caplog.set_level(logging.INFO)
    raw_client.get("/api/v1/test-boom-chained/")
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "KeyError" in record.getMessage() and "Boom" in record.getMessage()


@pytest.mark.django_db
def test_a_real_api_view_failing_answers_500_in_the_shape_without_the_message(api, counter, register, caplog,
                                                                           monkeypatch, settings):
    settings.DEBUG = False

    def failing(**kwargs):
        raise Boom(DB_MESSAGE)

    monkeypatch.setattr(victims.api, "target_get_for_user", failing)
    target, _ = register(counter)
    client = api(counter)
    client.raise_request_exception = False
    caplog.set_level(logging.INFO)
    resp = client.get(f"/api/v1/targets/{target.pk}/")
    assert resp.status_code == 500 and resp["Content-Type"] == "application/json"
    body = resp.json()
    assert set(body) == {"detail", "errors", "request_id"} and body["request_id"] == resp["X-Request-ID"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and body["request_id"] in errors[0].getMessage()
    assert "api-target-detail" in errors[0].getMessage()
    assert "123456789012345" not in errors[0].getMessage() and "山田" not in errors[0].getMessage()
    assert "violates" not in errors[0].getMessage()


@as_root
@pytest.mark.django_db
def test_a_screen_failing_shows_the_japanese_500_page(raw_client, caplog):
    caplog.set_level(logging.INFO)
    resp = raw_client.get("/test-boom/")
    assert resp.status_code == 500
    assert resp["Content-Type"].startswith("text/html")
    html = resp.content.decode()
    assert '<html lang="ja">' in html and "システムエラー" in html and "/static/css/app.css" in html
    assert resp["X-Request-ID"] in html  # the number to quote to the administrator
    assert "Traceback" not in html and "Boom" not in html and SECRET not in html
    _assert_logged_once(caplog, resp["X-Request-ID"])


def test_the_500_page_needs_no_database_nor_context_processors():
    """No django_db mark: any query would raise. A bare request: no user, session or messages."""

    request = RequestFactory().get("/somewhere/")
    request.request_id = "rid-1"
    try:
        raise Boom(SECRET)
    except Boom:
        assert sys.exc_info()[0] is Boom
        resp = server_error(request)
    assert resp.status_code == 500 and "rid-1" in resp.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/nope/", "/api/v1/targets/"])
def test_every_api_error_carries_the_request_id(api, counter, url):
    resp = api(counter).get(url) if url.endswith("nope/") else api().get(url)
    assert resp.status_code in (401, 404)
    body = resp.json()
    assert set(body) == {"detail", "errors", "request_id"} and body["request_id"] == resp["X-Request-ID"]


@pytest.mark.django_db
def test_a_session_without_the_second_factor_gets_the_shape_with_the_request_id(counter):
    client = Client()
    client.force_login(counter)  # password only
    resp = client.get("/api/v1/review-tasks/")
    assert resp.status_code == 403
    assert set(resp.json()) == {"detail", "errors", "request_id"} and resp.json()["request_id"] == resp["X-Request-ID"]


@pytest.mark.django_db
def test_django_refusals_under_api_answer_the_shape(api, counter, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3  # a SuspiciousOperation DRF never sees
    client = api(counter)
    client.raise_request_exception = False
    resp = client.post("/api/v1/inquiry-checks/bulk/", {f"f{i}": "x" for i in range(5)}, format="multipart")
    assert resp.status_code == 400, resp.content
    assert set(resp.json()) == {"detail", "errors", "request_id"}

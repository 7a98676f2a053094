import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory, force_authenticate

from audit.hits import hits_digest
from audit.models import AuditEvent
from checks.api import BulkInquiryCheckApi
from checks.protection import nondisclosure_code_required, protected_set
from tests.conftest import born_aged
from victims import services
from victims.services import case_confirm_procedure

URL = "/api/v1/inquiry-checks/bulk/"


def upload(client, content: bytes, direction="inquiry", name="numbers.csv", **extra):
    f = io.BytesIO(content)
    f.name = name
    return client.post(URL, {"file": f, "direction": direction}, format="multipart", **extra)


@pytest.fixture
def population(counter, approver, register, today):
    """Targets in every state the rule distinguishes."""
    made = {}
    made["pending"], _ = register(counter, atena_no="500000000000001")
    t, cr = register(counter, atena_no="500000000000002", cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["2-I"] = t
    t, cr = register(counter, atena_no="500000000000003", birth_date=born_aged(11),
                     cases=[{"type": "2-II", "legal_representative": "parent"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["2-II"] = t
    t, cr = register(counter, atena_no="500000000000004", cases=[{"type": "1-I", "abuser_atena_no": "500000000000005"}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    made["1-I"] = t
    t, cr = register(counter, atena_no="500000000000006", cases=[{"type": "2-I", "card_left": True}])
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    case_confirm_procedure(actor=counter, case_id=t.cases.get().pk, procedure="card", confirmed_on=today)
    rel = services.release_request_create(actor=counter, target_id=t.pk, reason="2-I_complete", case_ids=None)
    services.change_request_approve(actor=approver, change_request_id=rel.pk)
    made["released"] = t
    t, cr = register(counter, atena_no="500000000000007")
    services.change_request_reject(actor=approver, change_request_id=cr.pk, reason="誤登録")
    made["rejected"] = t
    return made


ALL = [f"5000000000000{i:02d}" for i in range(1, 10)]


@pytest.mark.parametrize("policy", [
    {"both_flags_for_every_victim": False, "code_on_victim_for_case_1_1": False},
    {"both_flags_for_every_victim": True, "code_on_victim_for_case_1_1": False},
    {"both_flags_for_every_victim": False, "code_on_victim_for_case_1_1": True},
])
def test_bulk_and_single_answer_identically(population, settings, policy):
    settings.FLAG_POLICY = policy
    for direction in ("inquiry", "provision"):
        bulk = protected_set([direction]).requires(direction)
        single = {a for a in ALL if nondisclosure_code_required(a, direction)[0]}
        assert bulk == single, direction


def test_expected_answers_default_policy(population):
    inquiry = protected_set(["inquiry"]).requires("inquiry")
    # pending, 2-I, 2-II victims and the ①-I abuser; not the ①-I victim, released, rejected, strangers.
    assert sorted(inquiry) == ["500000000000001", "500000000000002", "500000000000003", "500000000000005"]


def test_json_bulk_results_in_input_order_with_duplicates(api, population, other_counter):
    numbers = ["500000000000009", "５０００００００００００００２", "500000000000005", "500000000000009",
               "500000000000004"]
    resp = api(other_counter).post(URL, {"atena_nos": numbers, "direction": "inquiry"}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert [(r["atena_no"], r["nondisclosure_code_required"]) for r in body["results"]] == [
        ("500000000000009", False), ("500000000000002", True), ("500000000000005", True),
        ("500000000000009", False), ("500000000000004", False)]
    assert body["count"] == 5 and body["required_count"] == 2
    assert body["duplicates"] == {"count": 1, "indexes": [3]}
    event = AuditEvent.objects.get(action="inquiry.bulk_check")
    # counts, and the matched targets (②-I victim, ①-I victim) by count and digest; their ids are rows (ADR 0017)
    assert event.detail == {"direction": "inquiry", "source": "json", "count": 5, "required_count": 2,
                            "duplicate_count": 1, **hits_digest(sorted([population["2-I"].pk, population["1-I"].pk]))}
    assert "500000000000002" not in str(event.detail)


def test_bulk_uses_a_constant_number_of_queries(api, population, other_counter):
    client = api(other_counter)
    counts = []
    for n in (10, 2000):
        numbers = [f"{600000000000000 + i}" for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            assert client.post(URL, {"atena_nos": numbers, "direction": "inquiry"}, format="json").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[1] < 15


def test_malformed_number_refuses_the_whole_call(api, population, other_counter):
    resp = api(other_counter).post(URL, {"atena_nos": ["500000000000002", "5000", 500000000000003],
                                         "direction": "inquiry"}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()["errors"]) == {"atena_nos[1]", "atena_nos[2]"}
    assert not AuditEvent.objects.filter(action="inquiry.bulk_check").exists()


@pytest.mark.parametrize("body", [{"direction": "inquiry"}, {"atena_nos": [], "direction": "inquiry"},
                                  {"atena_nos": ["500000000000002"], "direction": "both"}, ["500000000000002"]])
def test_bad_json_shapes_are_400(api, population, other_counter, body):
    resp = api(other_counter).post(URL, body, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"detail", "errors", "request_id"} and resp.json()["errors"]


def test_too_many_numbers_is_refused(api, population, other_counter, settings):
    settings.BULK_MAX_NUMBERS = 3
    resp = api(other_counter).post(URL, {"atena_nos": ["500000000000001"] * 4, "direction": "inquiry"}, format="json")
    assert resp.status_code == 400 and "atena_nos" in resp.json()["errors"]


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp932", b"")])
def test_file_upload_in_each_accepted_encoding(api, population, other_counter, encoding, bom):
    text = "宛名番号,備考\r\n500000000000002,あ\r\n５０００００００００００００５,い\r\n\r\n500000000000009,う\r\n"
    resp = upload(api(other_counter), bom + text.encode(encoding), direction="provision")
    assert resp.status_code == 200, resp.content
    assert [(r["atena_no"], r["nondisclosure_code_required"]) for r in resp.json()["results"]] == [
        ("500000000000002", True), ("500000000000005", True), ("500000000000009", False)]


def test_file_csv_response(api, population, other_counter):
    resp = upload(api(other_counter), b"500000000000002\n500000000000009", HTTP_ACCEPT="text/csv")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert resp.content.decode() == ("atena_no,nondisclosure_code_required\r\n"
                                     "500000000000002,1\r\n500000000000009,0\r\n")


@pytest.mark.parametrize("content,needle", [
    ("500000000000002\n".encode("utf-16"), "文字コード"),
    (b"\x00\x01\x02binary", "バイナリ"),
    (b"500000000000002\n\x82\xa0\x81\x7f\n", "文字コード"),
    (b"", "空"),
])
def test_unreadable_uploads_are_a_clear_400(api, population, other_counter, content, needle):
    resp = upload(api(other_counter), content)
    assert resp.status_code == 400
    assert needle in " ".join(resp.json()["errors"]["file"])


def test_malformed_lines_are_reported_by_line_number(api, population, other_counter):
    resp = upload(api(other_counter), b"500000000000002\n50000000000000X\n500000000000009\n123\n")
    assert resp.status_code == 400
    errors = resp.json()["errors"]
    assert "file:2" in errors and "file:4" in errors and "file:1" not in errors
    # A system client's file is refused whole (ADR 0050), said without 「（行番号は errors のキー）」.
    assert errors["file"] == ["形式に誤りのある行が 2 行あるため、ファイル全体を受け付けませんでした。"]
    assert not AuditEvent.objects.filter(action="inquiry.bulk_check").exists()


def test_oversize_upload_is_refused_before_the_body_is_read(population, other_counter, settings):
    settings.BULK_MAX_UPLOAD_BYTES = 1000

    class Untouchable(io.RawIOBase):
        def read(self, *a):
            raise AssertionError("the body was read")

        readline = readinto = read

    request = APIRequestFactory().post(URL, data=b"", content_type="multipart/form-data; boundary=x")
    request.META["CONTENT_LENGTH"] = "5000000"
    request.META["wsgi.input"] = Untouchable()
    request._stream = Untouchable()
    force_authenticate(request, user=other_counter)
    response = BulkInquiryCheckApi.as_view()(request)
    assert response.status_code == 413
    assert "file" in response.data["errors"]


def test_oversize_through_the_client_is_413(api, population, other_counter, settings):
    settings.BULK_MAX_UPLOAD_BYTES = 1000
    resp = upload(api(other_counter), b"500000000000002\n" * 200)
    assert resp.status_code == 413
    resp = api(other_counter).post(URL, {"atena_nos": ["500000000000002"] * 200, "direction": "inquiry"},
                                   format="json")
    assert resp.status_code == 413


def test_non_linkage_and_sysadmin_are_refused(api, population, nonlinkage_counter, sysadmin):
    body = {"atena_nos": ["500000000000002"], "direction": "inquiry"}
    assert api(nonlinkage_counter).post(URL, body, format="json").status_code == 403
    assert api(sysadmin).post(URL, body, format="json").status_code == 403
    assert api().post(URL, body, format="json").status_code == 401
    assert AuditEvent.objects.filter(action="inquiry.bulk_check", outcome="denied").exists()

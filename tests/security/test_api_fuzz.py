"""Schemathesis against the OpenAPI schema drf-spectacular generates, in-process (WSGI) on
real PostgreSQL data: every documented operation, valid and invalid inputs.

Checks on every response: no 5xx; the status code is documented for the operation; the
content type is one the operation documents for that status; the body matches the
documented schema (errors in the one Error shape); documented response headers conform.

Each operation is called by a caller that may use it (a counter's API token, the head's
token for approve/reject, system clients for the checks and the 住基 push). Valid inputs
are sometimes steered onto real data (ids of existing objects, atena numbers of registered
people, readable CSV uploads), so the fuzzer reaches the services and not only 404/400.
Every example runs in a savepoint that is rolled back, so each sees the same data (a
change request approved by one example is still pending for the next).

Deterministic (derandomized, no example database), capped so the whole run stays well
under a minute on a small machine; the counts are printed (see them with `-s`).
"""
import json
import logging
import time
from collections import Counter, defaultdict

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.serialization import Binary

from accounts.services import api_token_issue, department_create
from audit.models import AuditEvent
from checks.file_layouts import configured_layout
from checks.layout_confirmation import layout_confirm
from tests.conftest import born_aged, intake_payload, system_client_key
from victims.models import CaseAssessment, Notice, ReviewTask, Target
from victims.onward import onward_request_issue
from victims.provisions import provision_decision_request
from victims.services import change_request_approve, registration_submit

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]

# Examples per operation and generation mode (positive: valid by the schema, with the
# schema's own examples mixed in; negative: invalid by the schema).
EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}

STAFF_OPS = {"targets_create", "targets_list", "targets_retrieve", "targets_flags", "cases_confirmations_create",
             "targets_release_requests_create", "review_tasks_list", "review_tasks_close",
             "registrations_retrieve", "change_requests_withdraw", "reminders_list",
             "provision_decisions_list", "provision_decisions_create", "targets_search",
             "targets_onward_requests_list", "targets_onward_requests_create", "targets_onward_requests_confirm",
             "targets_amendments_create", "targets_amendments_list",
             "targets_transfers_create"}
APPROVER_OPS = {"change_requests_approve", "change_requests_reject", "targets_grants_create",
                "targets_grants_destroy", "review_tasks_grant", "provision_decisions_approve",
                "provision_decisions_reject"}
CHECK_OPS = {"inquiry_checks_create", "inquiry_checks_bulk", "recipient_filter", "inquiry_files_stamp",
             "provision_files_check"}
# The fixed-width files of ADR 0044/0045, by operation: steered to real-shaped files of the layout.
LAYOUT_OPS = {"inquiry_files_stamp": "inquiry_request", "provision_files_check": "manual_provision"}
JUMIN_OPS = {"jumin_support_measures_push"}
# Notices go to the other linkage departments (ADR 0027): 税務課 receives those of 子ども家庭支援課's targets.
NOTICE_OPS = {"notices_list", "notices_acknowledge"}


def _openapi_schema(tmp_path) -> dict:
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    return json.loads(out.read_text())


@pytest.fixture
def world(counter, approver, other_counter, register, sysadmin):
    """Real objects for the ids the fuzzer draws, and a credential for every caller."""
    jumin_key = system_client_key("juki", "kodomo", "jumin_push")
    check_key = system_client_key("zeimu-batch", "zeimu", "inquiry_check", "recipient_filter",
                                  "inquiry_file_stamp", "provision_file_check")
    for kind in LAYOUT_OPS.values():  # the stamper runs only with confirmed layouts (ADR 0043)
        layout_confirm(actor=sysadmin, layout=configured_layout(kind))
    pending = [register(counter)[1] for _ in range(2)]
    _, pending_1i = register(counter, cases=[{"type": "1-I", "abuser_atena_no": "200000000000001"},
                                             {"type": "2-I", "card_left": True}])
    # Approved (active) targets, for release requests and case confirmations.
    for overrides in ({}, {"cases": [{"type": "2-I", "card_left": True, "agent_set": True}]},
                      {"cases": [{"type": "1-I", "abuser_atena_no": "200000000000002"}]},
                      {"birth_date": born_aged(14), "cases": [{"type": "2-II", "legal_representative": "parent",
                                                             "end_condition": "18歳到達"}]}):
        _, request = register(counter, **overrides)
        change_request_approve(actor=approver, change_request_id=request.pk)
    jumin = APIClient()
    jumin.credentials(HTTP_AUTHORIZATION=f"System {jumin_key}")
    resp = jumin.post("/api/v1/jumin-support-measures/", {"measures": [
        {"atena_no": "800000000000001", "event": "start", "start": "2025-04-01", "end": "2026-03-31",
         "name": "住基　花子", "name_kana": "ジュウキ　ハナコ", "birth_date": "1985-05-05"}]}, format="json")
    assert resp.status_code == 200, resp.content
    receipts = [registration_submit(actor=counter, payload=intake_payload(), today=timezone.localdate()).pk]
    # 子ども家庭支援課 is the 情報連携 contact point here: the counter records manual-provision
    # decisions, the head decides them (ADR 0037).
    department_create(actor=None, code="kodomo", name="子ども家庭支援課", does_linkage=True, contact_point=True)
    counter.department.refresh_from_db()
    decisions = [provision_decision_request(actor=counter, payload={
        "atena_no": request.target.atena_no, "inquirer": "ファジングのテスト", "info_code": "TM00000000000003",
        "received_at": timezone.now().isoformat(), "decision": "provide", "disclosure": "nondisclosure"}).pk
        for request in pending]
    onward = onward_request_issue(actor=counter, target_id=pending[0].target_id,
                                  payload={"municipality_name": "大阪府大阪市", "moved_on": "2026-04-01"})
    targets = list(Target.objects.values_list("pk", flat=True))
    real = {
        "registration_id": receipts,
        "target_id": targets,
        "change_request_id": [r.pk for r in pending + [pending_1i]],
        "case_id": list(CaseAssessment.objects.values_list("pk", flat=True)),
        "task_id": list(ReviewTask.objects.values_list("pk", flat=True)),
        "notice_id": list(Notice.objects.values_list("pk", flat=True)),
        "decision_id": decisions,
        "onward_id": [onward.pk],
        "department": ["zeimu", "koho", "kodomo"],
        "atena_no": list(Target.objects.values_list("atena_no", flat=True)) + ["200000000000001", "200000000000002"],
    }
    assert all(real.values()), real
    auth = {
        **{op: f"Token {api_token_issue(actor=None, staff=counter)}" for op in STAFF_OPS},
        **{op: f"Token {api_token_issue(actor=None, staff=approver)}" for op in APPROVER_OPS},
        **{op: f"System {check_key}" for op in CHECK_OPS},
        **{op: f"System {jumin_key}" for op in JUMIN_OPS},
        **{op: f"Token {api_token_issue(actor=None, staff=other_counter)}" for op in NOTICE_OPS},
    }
    return real, auth


@pytest.fixture
def wsgi_app(world):
    """Django's own WSGI handler. Its request signals would close the test's database
    connection (which sits inside the test transaction), so they are off while it runs, as
    Django's test client does (set up after `world`, whose test client turns them back on)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def quiet_request_log():
    """4xx answers are what the fuzzer asks for; 5xx are still logged (ERROR) and fail a check."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _atena_numbers(real):
    known = st.sampled_from(real["atena_no"])
    full_width = known.map(lambda n: n.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    return st.one_of(known, full_width, st.from_regex(r"\A[0-9]{15}\Z"))


def _csv_upload(real):
    """A readable 宛先ファイル / bulk-check file: real and unknown numbers, a header, junk lines,
    other columns, in every accepted encoding and line ending."""
    line = st.one_of(_atena_numbers(real), st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s))
    rows = st.lists(st.tuples(line, st.sampled_from(["", ",1", ",山田　花子,東京都"])), max_size=15)

    def encode(parts):
        header, body, newline, encoding = parts
        text = newline.join(([header] if header else []) + [a + rest for a, rest in body])
        return Binary(text.encode(encoding, errors="replace"))

    return st.tuples(st.sampled_from(["", "宛名番号,区分"]), rows, st.sampled_from(["\n", "\r\n"]),
                     st.sampled_from(["utf-8", "utf-8-sig", "cp932"])).map(encode)


def _layout_upload(real, kind: str):
    """A file of the configured layout: real and unknown numbers, either code value, sometimes
    a line cut short or a stray byte (refused whole, 400)."""
    layout = configured_layout(kind)

    def line(parts) -> bytes:
        number, other, code = parts
        record = bytearray(b" " * layout.record_length)
        for offset in layout.separator_offsets:
            record[offset:offset + len(layout.separator)] = layout.separator
        record[layout.atena_no.offset:layout.atena_no.offset + 15] = number.encode()
        if other:
            record[layout.integrated_atena_no.offset:layout.integrated_atena_no.offset + 15] = other.encode()
        record[layout.code.offset:layout.code.offset + layout.code.width] = code
        return bytes(record) + layout.line_ending

    known = st.sampled_from(real["atena_no"])
    numbers = st.one_of(known, st.from_regex(r"\A[0-9]{15}\Z"))
    lines = st.lists(st.tuples(numbers, st.one_of(st.just(""), numbers),
                               st.sampled_from([layout.nondisclosure, layout.disclosure])).map(line),
                     min_size=1, max_size=10)
    junk = st.sampled_from([b"", b"", b"x\r\n", b"\x81\r\n", b"0" * layout.record_length])
    return st.tuples(lines, junk).map(lambda parts: Binary(b"".join(parts[0]) + parts[1]))


def _steer(case, data, real) -> None:
    """Sometimes replace generated values with real ones (ids, atena numbers, a text file)."""
    maybe = lambda strategy: data.draw(st.one_of(st.none(), strategy))  # noqa: E731
    for name in case.path_parameters or {}:
        if (value := maybe(st.sampled_from(real[name]))) is not None:
            case.path_parameters[name] = value
    body = case.body
    if not isinstance(body, dict):
        return
    if "atena_no" in body and (value := maybe(_atena_numbers(real))) is not None:
        body["atena_no"] = value
    if isinstance(body.get("atena_nos"), list) and (value := maybe(st.lists(_atena_numbers(real)))) is not None:
        body["atena_nos"] = value
    release_cases = body.get("cases") if case.operation.definition.raw["operationId"] == \
        "targets_release_requests_create" else None
    if isinstance(release_cases, list) and (value := maybe(st.lists(st.sampled_from(real["case_id"]),
                                                                    max_size=3))) is not None:
        body["cases"] = value
    for item in body.get("measures") or []:
        if isinstance(item, dict) and (value := maybe(_atena_numbers(real))) is not None:
            item["atena_no"] = value
    kind = LAYOUT_OPS.get(case.operation.definition.raw["operationId"])
    upload = _layout_upload(real, kind) if kind else _csv_upload(real)
    if "file" in body and (value := maybe(upload)) is not None:
        body["file"] = value


def _has_inputs(operation) -> bool:
    """Anything the negative mode could make invalid (credentials are ours, not the fuzzer's)."""
    return bool(operation.body) or any(
        "x-original-security-type" not in p.definition for p in operation.iter_parameters())


def _fuzz_operation(operation, *, app, authorization, real, mode, count: Counter, statuses) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = st.one_of(strategy, *operation.schema.get_strategies_from_examples(operation))

    @settings(max_examples=EXAMPLES[mode], derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy, data=st.data())
    def run(case, data):
        if mode is GenerationMode.POSITIVE:
            _steer(case, data, real)
        count[operation.label] += 1
        with transaction.atomic():
            try:
                response = case.call_and_validate(app=app, headers={"Authorization": authorization}, checks=CHECKS)
                media = (response.headers.get("content-type") or [""])[0].split(";")[0]
                key = str(response.status_code) + ("" if media == "application/json" else f" {media}")
                statuses[operation.label][key] += 1
            finally:
                transaction.set_rollback(True)

    run()


@pytest.mark.django_db
def test_every_operation_survives_fuzzing_and_answers_as_documented(tmp_path, world, wsgi_app,
                                                                   quiet_request_log) -> None:
    real, auth = world
    schema = schemathesis.openapi.from_dict(_openapi_schema(tmp_path))
    results = list(schema.get_all_operations())
    assert [r.err() for r in results if isinstance(r, Err)] == []  # every operation of the schema loads
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert {op.definition.raw["operationId"] for op in operations} == set(auth)
    count: Counter = Counter()
    statuses: dict[str, Counter] = defaultdict(Counter)
    failures = {}
    started = time.monotonic()
    for operation in operations:
        authorization = auth[operation.definition.raw["operationId"]]
        for mode in EXAMPLES:
            if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing to make invalid (no parameters, no body)
            try:
                _fuzz_operation(operation, app=wsgi_app, authorization=authorization, real=real, mode=mode,
                                count=count, statuses=statuses)
            except (Exception, BaseExceptionGroup) as exc:  # every operation runs; failures reported together
                failures[f"{operation.label} [{mode.value}]"] = exc
    elapsed = time.monotonic() - started
    for label, n in sorted(count.items()):
        codes = " ".join(f"{code}×{k}" for code, k in sorted(statuses[label].items()))
        print(f"schemathesis: {n:4d} examples  {label}  ({codes})")
    print(f"schemathesis: {sum(count.values())} examples over {len(operations)} operations in {elapsed:.1f} s")
    assert not failures, "\n\n".join(f"=== {label}\n{exc}" for label, exc in failures.items())
    assert set(count) == {op.label for op in operations}


# --- What the fuzzer found, pinned as plain examples --------------------------------------


@pytest.fixture
def counter_api(counter):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=counter)}")
    return client


def _assert_error_shape(resp, status):
    assert resp.status_code == status and resp["Content-Type"] == "application/json", resp.content
    body = resp.json()
    assert set(body) == {"detail", "errors", "request_id"}
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["errors"].values()), body
    return body


def test_nested_validation_errors_are_flattened_into_the_one_error_shape(counter_api, counter, register):
    target, _ = register(counter)
    resp = counter_api.post(f"/api/v1/targets/{target.pk}/release-requests/",
                            {"reason": "wish", "cases": ["x", 3]}, format="json")
    assert set(_assert_error_shape(resp, 400)["errors"]) == {"cases[0]"}


def test_intake_of_the_wrong_json_types_is_a_400_not_a_500(counter_api):
    payload = intake_payload(harm_types=1.5, jumin_support=[1], explanations="yes", name={"a": 1},
                             cases=[{"type": "1-I", "abuser_atena_no": "200000000000009", "abuser_name": ["x"]}])
    errors = _assert_error_shape(counter_api.post("/api/v1/targets/", payload, format="json"), 400)["errors"]
    assert {"harm_types", "jumin_support", "explanations", "name", "cases[0].abuser_name"} <= set(errors)
    assert not Target.objects.exists()


def test_an_id_beyond_the_database_range_is_a_404_and_still_audited(counter_api):
    for path in ("/api/v1/targets/99999999999999999999999/", "/api/v1/targets/99999999999999999999999/flags/"):
        _assert_error_shape(counter_api.get(path), 404)
    resp = counter_api.post("/api/v1/targets/99999999999999999999999/release-requests/", {"reason": "wish"},
                            format="json")
    _assert_error_shape(resp, 404)
    assert AuditEvent.objects.filter(action="target.read", outcome="denied", target_id=None).exists()


def test_an_api_path_with_a_newline_is_a_json_404(counter_api):
    _assert_error_shape(counter_api.get("/api/v1/targets/%0A/"), 404)
    _assert_error_shape(counter_api.post("/api/v1/change-requests/%0A%C2%9E/approve", {}, format="json"), 404)


def test_uploads_are_documented_as_files_and_the_csv_answer_as_negotiable(tmp_path):
    schema = _openapi_schema(tmp_path)
    components = schema["components"]["schemas"]
    for name in ("BulkCheckUploadRequest", "RecipientFilterRequest"):
        assert components[name]["properties"]["file"] == {**components[name]["properties"]["file"],
                                                          "type": "string", "format": "binary"}
    bulk = schema["paths"]["/api/v1/inquiry-checks/bulk/"]["post"]
    assert {"application/json", "text/csv"} <= set(bulk["responses"]["200"]["content"])
    accept = next(p for p in bulk["parameters"] if p["name"] == "Accept")
    assert set(accept["schema"]["enum"]) == {"application/json", "text/csv",
                                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

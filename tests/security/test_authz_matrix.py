"""The authorization matrix: docs/security/authz_matrix.csv, read and checked cell by cell.

Every route of the URLconf (screens and /api/v1/) × GET and POST × every caller × own / other
department × object state has an expected outcome in the table; this test builds real objects
with the project's services, issues one real request per cell and lists every cell that behaves
differently. A route missing from the table, or a table row for a route that no longer exists,
fails too. Format and decisions: docs/security/authz_matrix.md and docs/adr/0007.

To see what the code does now (never to paste blindly over the table — every changed cell is a
security decision to review):
    AUTHZ_MATRIX_RECORD=/tmp/observed.csv pytest tests/security/test_authz_matrix.py
"""
import csv
import os
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, Staff
from accounts.services import api_token_issue, department_create
from flags.models import ChangeRequest
from intermediary import services as intermediary_services
from intermediary.models import (
    Alert,
    AlertKind,
    Batch,
    FlagKind,
    FlagState,
    InfoCodeChangeRequest,
    Operation,
    RecordCorrection,
)
from tests.conftest import VerifiedClient, intake_payload, system_client_key
from victims.models import (
    CaseAssessment,
    GrantRecord,
    Notice,
    NoticeKind,
    OnwardRequest,
    ProvisionDecision,
    Registration,
    ReviewTask,
    ReviewTaskKind,
    Target,
    TargetGroupObjectPermission,
)
from victims.provisions import provision_decision_request
from victims.services import (
    change_request_approve,
    registration_submit,
    release_request_create,
    target_grant_department,
)

MATRIX = Path(settings.BASE_DIR) / "docs" / "security" / "authz_matrix.csv"

CALLERS = ["anonymous", "counter", "approver", "nonlinkage_counter", "sysadmin", "auditor",
           "sys_inquiry_check", "sys_jumin_push"]
METHODS = ("GET", "POST")
DEPTS = ("own", "other")
STATES = ("pending", "approved", "released")
COLUMNS = ["route", "path", "method", "dept", "state", "body", *CALLERS]

# Each caller's own department; "other" is 子ども家庭支援課 (kodomo), or 税務課 (zeimu) for
# callers whose own department is kodomo. Anonymous callers have no department.
OWN_DEPARTMENT = {
    "counter": "kodomo", "approver": "kodomo", "nonlinkage_counter": "koho", "sysadmin": "johosys",
    "auditor": "kansa", "sys_inquiry_check": "zeimu", "sys_jumin_push": "kodomo",
}


def other_department(caller: str) -> str:
    return "zeimu" if OWN_DEPARTMENT.get(caller) == "kodomo" else "kodomo"


# URL parameters of routes that take an object: parameter → which object of the set fills it.
# A route whose parameters are not listed here fails the coverage test (deny by default).
OBJECT_PARAMS = {
    "victims:detail": {"pk": "target"},
    "victims:confirm_procedure": {"pk": "target", "case_id": "case"},
    "victims:release": {"pk": "target"},
    "victims:amend": {"pk": "target"},
    "victims:request_correction": {"pk": "target"},
    "victims:registration": {"pk": "registration"},
    "approvals:approve": {"pk": "change_request"},
    "approvals:reject": {"pk": "change_request"},
    "approvals:withdraw": {"pk": "change_request"},
    "approvals:slip": {"pk": "change_request"},
    "approvals:decide": {"pk": "change_request"},
    "integration:close_review_task": {"pk": "review_task"},
    "victims:acknowledge_notice": {"pk": "notice"},
    "integration:grant_review_task": {"pk": "review_task"},
    "victims:grant": {"pk": "target"},
    "victims:revoke": {"pk": "target", "department": "granted_department"},
    "api-target-grants": {"target_id": "target"},
    "victims:transfer": {"pk": "target"},
    "api-target-transfers": {"target_id": "target"},
    "victims:grant_slip": {"pk": "grant_record"},
    "api-target-grant": {"target_id": "target", "department": "granted_department"},
    "api-review-task-grant": {"task_id": "review_task"},
    "api-target-detail": {"target_id": "target"},
    "api-target-flags": {"target_id": "target"},
    "api-target-release-requests": {"target_id": "target"},
    "api-target-amendments": {"target_id": "target"},
    "api-case-confirmations": {"case_id": "case"},
    "api-change-request-approve": {"change_request_id": "change_request"},
    "api-change-request-reject": {"change_request_id": "change_request"},
    "api-change-request-withdraw": {"change_request_id": "change_request"},
    "api-registration-detail": {"registration_id": "registration"},
    "api-review-task-close": {"task_id": "review_task"},
    "api-notice-acknowledge": {"notice_id": "notice"},
    "provisions:detail": {"pk": "provision_decision"},
    "provisions:approve": {"pk": "provision_decision"},
    "provisions:reject": {"pk": "provision_decision"},
    "provisions:slip": {"pk": "provision_decision"},
    "api-provision-decision-approve": {"decision_id": "provision_decision"},
    "api-provision-decision-reject": {"decision_id": "provision_decision"},
    "victims:onward_list": {"pk": "target"},
    "victims:onward_confirm": {"pk": "target", "onward_id": "onward"},
    "victims:onward_letter": {"pk": "target", "onward_id": "onward"},
    "api-target-onward-requests": {"target_id": "target"},
    "api-target-onward-request-confirm": {"target_id": "target", "onward_id": "onward"},
}
# Routes on intermediary objects, which belong to no department and carry no target state.
SYSTEM_OBJECT_PARAMS = {
    "intermediary:batch": {"pk": "batch"},
    "intermediary:operation_retry": {"pk": "operation"},
    "intermediary:alert_resend": {"pk": "alert"},
    "intermediary:alert_resolve": {"pk": "alert"},
    "intermediary:info_code_request_approve": {"pk": "info_code_request"},
    "intermediary:info_code_request_reject": {"pk": "info_code_request"},
    "intermediary:correction_complete": {"pk": "correction"},
    "accounts:api_token_revoke": {"pk": "api_token"},
    "accounts:staff_display_name": {"pk": "staff"},
}
# Routes whose pattern is not reversible (the API's catch-all): the concrete path asked.
FIXED_PATHS = {"api-unknown": "/api/v1/no-such-route/"}


# --- the URLconf ---------------------------------------------------------------------------

def url_routes() -> dict[str, str]:
    """name → path pattern, for every route of the URLconf."""
    return {name: path for name, (path, _) in _url_patterns().items()}


def _url_patterns() -> dict[str, tuple[str, object]]:
    found = {}

    def walk(patterns, namespace, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                name = f"{namespace}{p.name}"
                assert name not in found, f"two routes named {name}"
                found[name] = (prefix + str(p.pattern), p.callback)
    walk(get_resolver().url_patterns, "", "/")
    return found


def is_api(path: str) -> bool:
    return path.startswith("/api/")


# --- the table -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    route: str
    path: str
    method: str
    dept: str
    state: str
    body: str
    expected: dict  # caller → expected outcome, or "-" where the cell does not apply


def read_matrix() -> list[Row]:
    with MATRIX.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS, f"{MATRIX.name}: columns must be {COLUMNS}"
        return [Row(r["route"], r["path"], r["method"], r["dept"], r["state"], r["body"],
                    {c: r[c] for c in CALLERS}) for r in reader]


def expected_keys(route: str) -> list[tuple[str, str, str]]:
    """(method, dept, state) rows a route needs in the table."""
    if route in OBJECT_PARAMS:
        return [(m, d, s) for m in METHODS for d in DEPTS for s in STATES]
    return [(m, "-", "-") for m in METHODS]


def coverage_problems(rows: list[Row], routes: dict[str, str]) -> list[str]:
    problems = []
    have: dict[tuple[str, str, str, str], Row] = {}
    for row in rows:
        key = (row.route, row.method, row.dept, row.state)
        if key in have:
            problems.append(f"duplicate row {key}")
        have[key] = row
    for route, path in routes.items():
        if "<" in path and route not in OBJECT_PARAMS and route not in SYSTEM_OBJECT_PARAMS:
            problems.append(f"{route} ({path}) takes an object: say in OBJECT_PARAMS which one")
        for method, dept, state in expected_keys(route):
            found = have.get((route, method, dept, state))
            if found is None:
                problems.append(f"missing row: {route} {method} dept={dept} state={state} ({path})")
            elif found.path != path:
                problems.append(f"{route}: table says path {found.path}, URLconf says {path}")
    for route, method, dept, state in have:
        if route not in routes:
            problems.append(f"table names a route that no longer exists: {route} {method}")
        elif (method, dept, state) not in expected_keys(route):
            problems.append(f"unexpected row: {route} {method} dept={dept} state={state}")
    for row in rows:
        for caller, cell in row.expected.items():
            if not cell:
                problems.append(f"empty cell: {row.route} {row.method} {row.dept} {row.state} {caller}")
        if row.dept == "own" and row.expected["anonymous"] != "-":
            problems.append(f"{row.route}: anonymous has no own department, put '-'")
        if row.method == "GET" and row.body:
            problems.append(f"{row.route}: GET rows carry no body")
    return problems


def test_the_table_names_every_route_and_method_and_nothing_else():
    problems = coverage_problems(read_matrix(), url_routes())
    assert not problems, "authz matrix out of step with the URLconf:\n" + "\n".join(problems)


# --- the objects ---------------------------------------------------------------------------

def _build_set(registrar, head, state: str, contact_clerk) -> dict:
    """One target of `registrar`'s department in `state`, registered at the counter (so with
    its receipt), with the objects routes point at.

    pending:  registered, set request pending (protected at inquiry time, nothing sent yet).
    approved: set request approved by the head: status active, flags desired, operations queued.
    released: then a release request (person's wish) approved by the head: status released,
              every case ended, flags desired off. Its change request is the approved release.
    Each set has a pending manual-provision decision of the contact point (子ども家庭支援課 in
    this table), recorded while the person was under 自動応答不可."""
    receipt = registration_submit(actor=registrar, payload=intake_payload(), today=timezone.localdate())
    target = receipt.created_target
    assert target is not None, "a new person: the receipt led to a new target"
    change_request = ChangeRequest.objects.get(target=target)
    if state in ("approved", "released"):
        change_request_approve(actor=head, change_request_id=change_request.pk)
    provision = provision_decision_request(actor=contact_clerk, payload={
        "atena_no": target.atena_no, "inquirer": "権限表のテスト", "info_code": "TM00000000000003",
        "received_at": timezone.now().isoformat(), "decision": "provide", "disclosure": "nondisclosure"})
    if state == "released":
        change_request = release_request_create(actor=registrar, target_id=target.pk, reason="wish", case_ids=None)
        change_request_approve(actor=head, change_request_id=change_request.pk)
    task = ReviewTask.objects.create(target=target, department=target.owning_department,
                                     kind=ReviewTaskKind.JUMIN_ENDED, created_at=timezone.now(), created_by=registrar)
    # A department the owner granted (the revoke routes end it): one whose staff among the
    # callers never handle victims, so the grant changes no other cell.
    granted = "kansa" if registrar.department.code == "johosys" else "johosys"
    target_grant_department(actor=head, target_id=target.pk, department_code=granted)
    # A notice addressed to this department (in life it comes from another department's
    # target; which one does not matter to who may acknowledge it).
    notice = Notice.objects.create(department=registrar.department, kind=NoticeKind.SET, atena_no=target.atena_no,
                                   name=target.name, change_request=change_request, created_at=timezone.now())
    # A 転出 設定依頼 (ADR 0040), made directly: the service refuses one for a released person.
    onward = OnwardRequest.objects.create(target=target, municipality_name="大阪府大阪市",
                                          moved_on=timezone.localdate(), issued_by=registrar,
                                          issued_at=timezone.now())
    target.refresh_from_db()
    assert target.status == {"pending": "pending", "approved": "active", "released": "released"}[state]
    return {"target": target.pk, "case": target.cases.get().pk, "change_request": change_request.pk,
            "review_task": task.pk, "registration": receipt.pk, "granted_department": granted,
            "notice": notice.pk, "provision_decision": provision.pk, "onward": onward.pk,
            "grant_record": GrantRecord.objects.filter(target=target).latest("id").pk}


def _system_objects(sysadmin2, approved_target_id: int) -> dict:
    now = timezone.now()
    target = Target.objects.get(pk=approved_target_id)
    operation = Operation.objects.filter(unit_key=target.atena_no).first()
    assert operation is not None, "the approved target has operations"
    Operation.objects.filter(pk=operation.pk).update(status="dead", attempts=8, last_error_code="E503")
    batch = Batch.objects.create(flag_kind=FlagKind.NO_AUTO_RESPONSE, window_at=now, name="authz-matrix.xml",
                                 reception_number="1", created_at=now)
    alert = Alert.objects.create(kind=AlertKind.MISMATCH, unit_type="atena", unit_key=target.atena_no,
                                 flag_kind=FlagKind.NO_AUTO_RESPONSE, created_at=now)
    request = intermediary_services.info_code_request_create(
        actor=sysadmin2, info_code="TM00000000000001", flag_kind=FlagKind.NONDISCLOSURE, action="set",
        reason="権限表のテスト")
    correction = RecordCorrection.objects.create(target=target, atena_no=target.atena_no,
                                                 requested_by=target.created_by, requested_at=now)
    # A token of a staff member who is none of the callers, so revoking it never locks a caller out.
    api_token_issue(actor=None, staff=sysadmin2)
    api_token = ApiToken.objects.filter(staff=sysadmin2).latest("id")
    return {"batch": str(batch.pk), "operation": str(operation.pk), "alert": alert.pk, "info_code_request": request.pk,
            "correction": correction.pk, "api_token": api_token.pk, "staff": sysadmin2.pk}


def fingerprint() -> tuple:
    """Everything a refused request must leave as it was, in one statement."""
    def agg(model, *cols):
        table = model._meta.db_table
        row = " || '|' || ".join(f"coalesce({c}::text, '')" for c in cols)
        return f"(SELECT count(*) || ':' || coalesce(string_agg({row}, ',' ORDER BY id), '') FROM {table})"
    parts = [
        agg(Target, "id", "status", "updated_at", "jumin_support_active", "owning_department_id"),
        agg(GrantRecord, "id"),
        agg(CaseAssessment, "id", "active", "card_suspension_confirmed_on", "smartphone_suspension_confirmed_on",
            "agent_release_confirmed_on", "representation_ended_on"),
        agg(ChangeRequest, "id", "status", "decided_at", "withdrawal_requested_at"),
        agg(Registration, "id"),
        agg(TargetGroupObjectPermission, "id", "group_id", "content_object_id"),  # grants
        agg(FlagState, "id", "desired", "desired_at"),
        agg(ReviewTask, "id", "status"),
        agg(Notice, "id", "acknowledged_at", "acknowledged_by_id"),
        agg(Alert, "id", "resolved_at"),
        agg(InfoCodeChangeRequest, "id", "status"),
        agg(RecordCorrection, "id", "status", "done_at"),
        agg(ApiToken, "id", "revoked_at"),
        agg(ProvisionDecision, "id", "status", "decided_at"),
        agg(Staff, "id", "display_name"),
        f"(SELECT count(*) || ':' || string_agg(status, ',' ORDER BY created_at, id) FROM {Operation._meta.db_table})",
    ]
    with connection.cursor() as cur:
        cur.execute("SELECT " + ", ".join(parts))
        return cur.fetchone()


# --- one request ---------------------------------------------------------------------------

def outcome(response) -> str:
    """The status; a redirect also names where it goes (`302>accounts:login`)."""
    if response.status_code in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"]).path
        try:
            where = resolve(location).view_name
        except Resolver404:
            where = location
        return f"{response.status_code}>{where}"
    return str(response.status_code)


def refused(result: str) -> bool:
    return result.startswith("4") or result.endswith(">accounts:login")


def _post_format(route: str) -> str:
    """JSON, unless the API view only parses multipart (the recipient filter)."""
    _, view = _url_patterns()[route]
    parsers = getattr(getattr(view, "cls", None), "parser_classes", ())
    return "json" if any(p.media_type == "application/json" for p in parsers) else "multipart"


def _body(row: Row, ids: dict) -> dict:
    """The row's body (`key=value&…`, `{case}` etc. filled from the object set) as a dict."""
    return {key: value.format(**ids) for key, value in parse_qsl(row.body, keep_blank_values=True)}


def _url(route: str, ids: dict) -> str:
    if route in FIXED_PATHS:
        return FIXED_PATHS[route]
    params = OBJECT_PARAMS.get(route) or SYSTEM_OBJECT_PARAMS.get(route) or {}
    return reverse(route, kwargs={param: ids[kind] for param, kind in params.items()})


# --- the test ------------------------------------------------------------------------------

@pytest.fixture
def world(departments, make_staff, counter, approver, nonlinkage_counter, sysadmin, auditor):
    """Objects for every (department, state), the intermediary's objects, and a logged-in
    client per caller (screens: session past the second factor; API: token or system key)."""
    staff = {"counter": counter, "approver": approver, "nonlinkage_counter": nonlinkage_counter,
             "sysadmin": sysadmin, "auditor": auditor}
    # Registrar and head of each department are neither of the callers, so a caller is never
    # the requester (four eyes) and an approver caller meets a request it may decide.
    # The counter's and approver's department is the 情報連携 contact point here, so the
    # manual-provision routes are met by a clerk, a head and the owner alike (ADR 0037).
    department_create(actor=None, code="kodomo", name="子ども家庭支援課", does_linkage=True, contact_point=True)
    contact_clerk = make_staff("kodomo_contact", "kodomo", Role.COUNTER)
    sets = {}
    for code in ("kodomo", "zeimu", "koho", "johosys", "kansa"):
        registrar = make_staff(f"{code}_registrar", code, Role.COUNTER)
        head = make_staff(f"{code}_head", code, Role.APPROVER)
        for state in STATES:
            sets[(code, state)] = _build_set(registrar, head, state, contact_clerk)
    system_objects = _system_objects(make_staff("sysadmin2", "johosys", Role.SYSADMIN),
                                     sets[("kodomo", "approved")]["target"])

    screen, api = {"anonymous": Client()}, {"anonymous": APIClient()}
    for name, member in staff.items():
        screen[name] = VerifiedClient()
        screen[name].force_login(member)
        api[name] = APIClient()
        api[name].credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(actor=None, staff=member)}")
    for name, scope in (("sys_inquiry_check", "inquiry_check"), ("sys_jumin_push", "jumin_push")):
        key = system_client_key(name.replace("_", "-"), OWN_DEPARTMENT[name], scope)
        # A system key opens no screen: screens know sessions only.
        screen[name] = Client(headers={"Authorization": f"System {key}"})
        api[name] = APIClient()
        api[name].credentials(HTTP_AUTHORIZATION=f"System {key}")
    return {"sets": sets, "system_objects": system_objects, "screen": screen, "api": api}


def _ids_for(row: Row, caller: str, world) -> dict | None:
    if row.route in OBJECT_PARAMS:
        if row.dept == "own" and caller not in OWN_DEPARTMENT:
            return None
        department = OWN_DEPARTMENT[caller] if row.dept == "own" else other_department(caller)
        return world["sets"][(department, row.state)]
    if row.route in SYSTEM_OBJECT_PARAMS:
        return world["system_objects"]
    return {}


def test_every_cell_of_the_authorization_matrix(world, capsys, settings, tmp_path):
    # /readyz answers 200 only where the outbound folder is writable: give it one, so the
    # matrix does not depend on what a checkout's var/ holds (ADR 0052).
    settings.INTERMEDIARY_OUTBOUND_DIR = tmp_path
    rows = read_matrix()
    problems = coverage_problems(rows, url_routes())
    started = time.monotonic()
    mismatches, changed, observed_rows = [], [], []
    checked = 0
    formats = {}
    initial = fingerprint()
    for row in rows:
        observed = dict(row.expected)
        for caller in CALLERS:
            ids = _ids_for(row, caller, world)
            if ids is None:
                observed[caller] = "-"
                continue
            client = world["api" if is_api(row.path) else "screen"][caller]
            url = _url(row.route, ids)
            cookies = SimpleCookie(client.cookies.output(header="", sep="\n"))
            savepoint = transaction.savepoint()
            try:
                before = fingerprint()
                try:
                    if row.method == "GET":
                        response = client.get(url)
                    elif is_api(row.path):
                        if row.route not in formats:
                            formats[row.route] = _post_format(row.route)
                        fmt = formats[row.route]
                        response = client.post(url, _body(row, ids), format=fmt)
                    else:
                        response = client.post(url, _body(row, ids))
                    result = outcome(response)
                except Exception as exc:  # a crash is a mismatch to list, not the end of the run
                    result = f"raised {type(exc).__name__}"
                if refused(result) and fingerprint() != before:
                    changed.append(f"{row.route} {row.method} {row.dept}/{row.state} {caller}: refused ({result}) "
                                   f"but changed state")
            finally:
                transaction.savepoint_rollback(savepoint)
                client.cookies = cookies  # a logout in one cell must not log the caller out of the next
            checked += 1
            observed[caller] = result
            if row.expected[caller] != result:
                mismatches.append(f"{row.route} {row.method} dept={row.dept} state={row.state} {caller}: "
                                  f"table {row.expected[caller]}, got {result}")
        observed_rows.append((row, observed))
    elapsed = time.monotonic() - started
    if fingerprint() != initial:
        changed.append("the objects differ after the run: a cell's change escaped its savepoint")

    record = os.environ.get("AUTHZ_MATRIX_RECORD")
    if record:
        with open(record, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row, observed in observed_rows:
                writer.writerow([row.route, row.path, row.method, row.dept, row.state, row.body,
                                 *(observed[c] for c in CALLERS)])

    summary = (f"authz matrix: {checked} cells checked ({len(rows)} rows, {len({r.route for r in rows})} routes, "
               f"{len(CALLERS)} callers) in {elapsed:.1f}s; {len(mismatches)} mismatches")
    with capsys.disabled():
        print(f"\n{summary}")
    report = problems + mismatches + changed
    assert not report, f"{summary}\n" + "\n".join(report)

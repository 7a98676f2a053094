"""The inquiry check, the bulk check and the お知らせ recipient filter know a victim by either
number (ADR 0047): its 団体内統合宛名番号 or the standard systems' 宛名番号 answer alike —
pending registrations included, released not — and nothing in the answer, its headers or the
work done says which one matched. Abusers stay as registered. `protected_set()` (which the
file stamper reads) maps both numbers to the same target id."""
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.hits import hits_digest
from audit.models import AuditEvent, AuditEventTarget
from checks.protection import nondisclosure_code_required, notice_set, protected_set
from flags.rules import INQUIRY, PROVISION
from tests.conftest import born_aged, intake_payload
from victims import services
from victims.services import case_confirm_procedure, registration_submit, review_task_close

CHECK = "/api/v1/inquiry-checks/"
BULK = "/api/v1/inquiry-checks/bulk/"
FILTER = "/api/v1/recipient-filter/"
ABUSER = "410000000000099"
STRANGER = "419999999999999"


def _approved(register, counter, approver, **overrides):
    target, cr = register(counter, **overrides)
    services.change_request_approve(actor=approver, change_request_id=cr.pk)
    target.refresh_from_db()
    return target


@pytest.fixture
def people(counter, approver, register, today):
    """(integrated, standard) numbers of targets in each state the rule distinguishes."""
    made = {}
    made["pending"], _ = register(counter, atena_no="410000000000001", standard_atena_no="420000000000001")
    made["2-I"] = _approved(register, counter, approver, atena_no="410000000000002",
                            standard_atena_no="420000000000002", cases=[{"type": "2-I", "card_left": True}])
    made["2-II"] = _approved(register, counter, approver, atena_no="410000000000003",
                             standard_atena_no="420000000000003", birth_date=born_aged(11),
                             cases=[{"type": "2-II", "legal_representative": "parent"}])
    made["1-I"] = _approved(register, counter, approver, atena_no="410000000000004",
                            standard_atena_no="420000000000004",
                            cases=[{"type": "1-I", "abuser_atena_no": ABUSER}])
    t = _approved(register, counter, approver, atena_no="410000000000005", standard_atena_no="420000000000005",
                  cases=[{"type": "2-I", "card_left": True}])
    case_confirm_procedure(actor=counter, case_id=t.cases.get().pk, procedure="card", confirmed_on=today)
    made["2-I done"] = t
    t = _approved(register, counter, approver, atena_no="410000000000006", standard_atena_no="420000000000006",
                  cases=[{"type": "2-I", "card_left": True}])
    case_confirm_procedure(actor=counter, case_id=t.cases.get().pk, procedure="card", confirmed_on=today)
    rel = services.release_request_create(actor=counter, target_id=t.pk, reason="2-I_complete", case_ids=None)
    services.change_request_approve(actor=approver, change_request_id=rel.pk)
    t.refresh_from_db()
    made["released"] = t
    return made


def _numbers(people):
    return [(t.atena_no, t.standard_atena_no) for t in people.values()]


# --- the single check -------------------------------------------------------------------

@pytest.mark.parametrize("policy", [
    {"both_flags_for_every_victim": False, "code_on_victim_for_case_1_1": False},
    {"both_flags_for_every_victim": True, "code_on_victim_for_case_1_1": True},
])
def test_either_number_gives_the_same_answer_and_the_same_target(people, settings, policy):
    settings.FLAG_POLICY = policy
    for direction in (INQUIRY, PROVISION):
        for integrated, standard in _numbers(people):
            assert nondisclosure_code_required(integrated, direction) == \
                nondisclosure_code_required(standard, direction), (integrated, direction)


def test_pending_registrations_protect_by_either_number_released_do_not(people):
    expected = {"pending": True, "2-I": True, "2-II": True, "1-I": False, "2-I done": True, "released": False}
    for name, target in people.items():
        for number in (target.atena_no, target.standard_atena_no):
            required, target_id = nondisclosure_code_required(number, INQUIRY)
            assert required is expected[name], (name, number)
            assert target_id == (None if name == "released" else target.pk)
    # The abuser stays as registered: his ①-I number, nothing else.
    assert nondisclosure_code_required(ABUSER, INQUIRY) == (True, None)
    assert nondisclosure_code_required(STRANGER, INQUIRY) == (False, None)


def test_the_responses_are_identical_whichever_number_is_sent(api, people, other_counter):
    client = api(other_counter)
    for target in people.values():
        shapes = []
        for number in (target.atena_no, target.standard_atena_no):
            resp = client.post(CHECK, {"atena_no": number, "direction": "inquiry"}, format="json")
            assert resp.status_code == 200
            shapes.append((resp.status_code, resp.content,
                           sorted((k, v) for k, v in resp.headers.items() if k not in {"X-Request-ID", "Date"})))
        assert shapes[0] == shapes[1]
    # Both checks of a person name the same target; the event says what was asked, not which matched.
    for target in people.values():
        events = AuditEvent.objects.filter(action="inquiry.check", detail__atena_no__in=[
            target.atena_no, target.standard_atena_no])
        assert {e.target_id for e in events} == {None if target.status == "released" else target.pk}
        assert all(set(e.detail) == {"atena_no", "direction", "required"} for e in events)


def test_the_work_done_is_the_same_whichever_number_is_sent(people):
    """Same timing class: one statement either way, for a match by either number or none."""
    target = people["2-I"]
    counts = []
    for number in (target.atena_no, target.standard_atena_no, STRANGER):
        with CaptureQueriesContext(connection) as ctx:
            nondisclosure_code_required(number, INQUIRY)
        counts.append([q["sql"].replace(number, "?") for q in ctx.captured_queries])
    assert counts[0] == counts[1] == counts[2] and len(counts[0]) == 1


# --- the bulk check and the set the stamper reads ----------------------------------------

def test_the_protected_set_holds_both_numbers_mapped_to_one_target(people):
    protected = protected_set()
    for direction in (INQUIRY, PROVISION):
        required = protected.requires(direction)
        assert isinstance(required, frozenset)
        for integrated, standard in _numbers(people):
            assert (integrated in required) == (standard in required) == \
                nondisclosure_code_required(integrated, direction)[0]
    for name, target in people.items():
        if name == "released":
            assert target.atena_no not in protected.target_ids
            assert target.standard_atena_no not in protected.target_ids
        else:
            assert protected.target_ids[target.atena_no] == protected.target_ids[target.standard_atena_no] == target.pk
    assert protected.target_count == 5 and ABUSER in protected.requires(INQUIRY)


def test_bulk_answers_either_number_and_audits_each_person_once(api, people, other_counter):
    two_one, one_one, released = people["2-I"], people["1-I"], people["released"]
    numbers = [two_one.atena_no, two_one.standard_atena_no, one_one.standard_atena_no, released.standard_atena_no,
               STRANGER]
    resp = api(other_counter).post(BULK, {"atena_nos": numbers, "direction": "inquiry"}, format="json")
    assert resp.status_code == 200, resp.content
    assert [r["nondisclosure_code_required"] for r in resp.json()["results"]] == [True, True, False, False, False]
    event = AuditEvent.objects.get(action="inquiry.bulk_check")
    assert event.detail["required_count"] == 2
    # The 2-I victim named twice (by both numbers) is one person matched.
    digest = hits_digest(sorted([two_one.pk, one_one.pk]))
    assert {k: event.detail[k] for k in digest} == digest
    assert sorted(AuditEventTarget.objects.filter(event_id=event.pk).values_list("target_id", flat=True)) == sorted(
        [two_one.pk, one_one.pk])


def test_bulk_file_by_standard_numbers_matches_the_file_by_integrated_numbers(api, people, other_counter):
    client = api(other_counter)
    bodies = []
    for column in (0, 1):
        numbers = [pair[column] for pair in _numbers(people)]
        f = io.BytesIO(("\r\n".join(numbers) + "\r\n").encode())
        f.name = "numbers.csv"
        resp = client.post(BULK, {"file": f, "direction": "inquiry"}, format="multipart", HTTP_ACCEPT="text/csv")
        assert resp.status_code == 200, resp.content
        bodies.append([line.split(",")[1] for line in resp.content.decode().splitlines()[1:]])
    assert bodies[0] == bodies[1] == ["1", "1", "1", "0", "1", "0"]


# --- the お知らせ recipient filter ----------------------------------------------------------

def test_the_recipient_filter_removes_a_person_by_either_number(api, people, other_counter):
    rule = notice_set()
    for name in ("pending", "2-I", "2-II"):
        t = people[name]
        assert {t.atena_no, t.standard_atena_no} <= rule.excluded
        assert rule.target_ids[t.atena_no] == rule.target_ids[t.standard_atena_no] == t.pk
    for name in ("1-I", "2-I done", "released"):
        t = people[name]
        assert t.atena_no not in rule.excluded and t.standard_atena_no not in rule.excluded
    original = ("宛名番号,氏名\r\n"
                f"{people['2-I'].standard_atena_no},標準\r\n"
                f"{people['1-I'].standard_atena_no},残る\r\n"
                f"{people['pending'].atena_no},統合\r\n"
                f"{people['released'].standard_atena_no},解除\r\n")
    f = io.BytesIO(original.encode("cp932"))
    f.name = "atesaki.csv"
    resp = api(other_counter).post(FILTER, {"file": f}, format="multipart")
    assert resp.status_code == 200, resp.content
    assert resp.content.decode("cp932") == (f"宛名番号,氏名\r\n{people['1-I'].standard_atena_no},残る\r\n"
                                            f"{people['released'].standard_atena_no},解除\r\n")
    assert resp["X-Removed-Count"] == "2"


# --- provisional protections -------------------------------------------------------------

def test_another_departments_registration_protects_both_numbers_until_reviewed(people, counter, other_counter):
    released = people["released"]
    assert not nondisclosure_code_required(released.standard_atena_no, INQUIRY)[0]
    # The other department knows only the integrated number: the standard one is protected too.
    receipt = registration_submit(actor=other_counter, payload=intake_payload(atena_no=released.atena_no),
                                  today=timezone.localdate())
    for number in (released.atena_no, released.standard_atena_no):
        assert nondisclosure_code_required(number, INQUIRY) == (True, released.pk)
        assert number in protected_set().requires(INQUIRY) and number in notice_set().excluded
    assert protected_set().target_ids[released.standard_atena_no] == released.pk
    review_task_close(actor=counter, task_id=receipt.review_task_id)
    assert not nondisclosure_code_required(released.standard_atena_no, INQUIRY)[0]


def test_a_registration_naming_a_standard_number_protects_the_number_it_gives(people, other_counter):
    released = people["released"]
    new_standard = "430000000000001"
    registration_submit(actor=other_counter, payload=intake_payload(
        atena_no=released.standard_atena_no, standard_atena_no=new_standard), today=timezone.localdate())
    for number in (released.standard_atena_no, new_standard, released.atena_no):
        assert nondisclosure_code_required(number, INQUIRY) == (True, released.pk), number


def test_a_pending_amendment_that_adds_a_case_protects_both_numbers(people, counter, api):
    """An active ①-I victim needs no code for inquiries; a pending amendment adding ②-I does,
    at once and under either number (ADR 0030, 0047)."""
    one_one = people["1-I"]
    for number in (one_one.atena_no, one_one.standard_atena_no):
        assert not nondisclosure_code_required(number, INQUIRY)[0]
    resp = api(counter).post(f"/api/v1/targets/{one_one.pk}/amendments/", {
        "reason": "カードの残置が判明", "add_cases": [{"type": "2-I", "card_left": True}]}, format="json")
    assert resp.status_code == 201, resp.json()
    for number in (one_one.atena_no, one_one.standard_atena_no):
        assert nondisclosure_code_required(number, INQUIRY) == (True, one_one.pk)
        assert number in protected_set().requires(INQUIRY)

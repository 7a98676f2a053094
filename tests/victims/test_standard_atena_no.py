"""A target records the standard business systems' 宛名番号 beside its 団体内統合宛名番号 (ADR
0046): entered at intake (API and screen), amended with four eyes (before/after kept), pushed
by the 住民記録 integration; a number names at most one target, whichever column holds it; the
search screen finds a target by either number for the departments that may see it."""
import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError, ValidationFailed
from tests.api.test_system_clients_and_jumin import JUMIN, NEW_PERSON, push, system
from tests.conftest import intake_payload, system_client_key
from tests.web.conftest import field_error, form_data
from victims import selectors
from victims.models import Amendment, Registration, ReviewTask, ReviewTaskKind, Target, TargetStatus
from victims.numbers import ATENA_TAKEN, STANDARD_TAKEN
from victims.services import (
    AlreadyRegistered,
    change_request_approve,
    registration_submit,
    target_grant_department,
)

from .test_registration_no_oracle import token_client

STANDARD = "000000000012345"
FULL_WIDTH = "０００００００００　０１２３４５"


def _active(register, counter, approver, **overrides) -> Target:
    target, cr = register(counter, **overrides)
    change_request_approve(actor=approver, change_request_id=cr.pk)
    target.refresh_from_db()
    return target


def _amend(staff, target_id, **personal):
    return token_client(staff).post(f"/api/v1/targets/{target_id}/amendments/",
                                    {"reason": "標準準拠システムの宛名番号が分かったため", "personal": personal},
                                    format="json")


# --- intake -----------------------------------------------------------------------------

def test_intake_api_records_the_standard_number_normalized(counter):
    client = token_client(counter)
    payload = intake_payload(standard_atena_no=FULL_WIDTH)
    assert client.post("/api/v1/targets/", payload, format="json").status_code == 202
    target = Target.objects.get(atena_no=payload["atena_no"])
    assert target.standard_atena_no == STANDARD
    detail = client.get(f"/api/v1/targets/{target.pk}/").json()
    assert detail["standard_atena_no"] == STANDARD
    # Optional: without it, nothing is recorded.
    other = intake_payload()
    assert client.post("/api/v1/targets/", other, format="json").status_code == 202
    assert Target.objects.get(atena_no=other["atena_no"]).standard_atena_no is None
    assert client.get(f"/api/v1/targets/{Target.objects.get(atena_no=other['atena_no']).pk}/").json()[
        "standard_atena_no"] is None


def test_intake_refuses_a_malformed_standard_number_with_a_clear_message(counter):
    resp = token_client(counter).post("/api/v1/targets/", intake_payload(standard_atena_no="12345"), format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"]["standard_atena_no"] == [
        "宛名番号（標準準拠システム）は15桁の数字で入力してください。"]
    event = AuditEvent.objects.filter(action="registration.submit").latest("id")
    assert event.detail["fields"] == ["standard_atena_no"]


def test_the_standard_number_may_equal_the_persons_own_atena_no(counter, register):
    target, _ = register(counter, atena_no="310000000000001", standard_atena_no="310000000000001")
    assert target.standard_atena_no == target.atena_no


@pytest.mark.parametrize("taken_as", ["atena_no", "standard_atena_no"])
def test_a_standard_number_another_target_holds_is_a_duplicate_not_a_new_target(
        counter, approver, other_counter, register, taken_as):
    """Another department's intake naming a number some target is known by is answered with
    the same receipt as any registration (ADR 0015) and goes to the owner's review, with the
    numbers it gives protected meanwhile — as a duplicate by atena_no is (ADR 0024)."""
    owner = _active(register, counter, approver, atena_no="310000000000002", standard_atena_no="310000000000003")
    payload = intake_payload(standard_atena_no=getattr(owner, taken_as))
    receipt = registration_submit(actor=other_counter, payload=payload, today=timezone.localdate())
    assert not Target.objects.filter(atena_no=payload["atena_no"]).exists()
    assert receipt.review_task is not None and receipt.review_task.target_id == owner.pk
    assert receipt.review_task.kind == ReviewTaskKind.ALSO_SUPPORTED
    assert Registration.objects.get(pk=receipt.pk).concerns_target_id == owner.pk


def test_an_atena_no_that_is_another_targets_standard_number_is_a_duplicate(counter, approver, other_counter,
                                                                             register):
    owner = _active(register, counter, approver, atena_no="310000000000004", standard_atena_no="310000000000005")
    receipt = registration_submit(actor=other_counter, payload=intake_payload(atena_no="310000000000005"),
                                  today=timezone.localdate())
    assert receipt.review_task.target_id == owner.pk
    assert Target.objects.filter(atena_no="310000000000005").count() == 0


def test_the_owning_department_is_told_which_number_is_taken(counter, approver, register):
    owner = _active(register, counter, approver, atena_no="310000000000006", standard_atena_no="310000000000007")
    with pytest.raises(ValidationFailed) as refused:
        registration_submit(actor=counter, payload=intake_payload(standard_atena_no="310000000000007"),
                            today=timezone.localdate())
    assert refused.value.errors == {"standard_atena_no": STANDARD_TAKEN}
    with pytest.raises(ValidationFailed) as refused:
        registration_submit(actor=counter, payload=intake_payload(atena_no="310000000000007"),
                            today=timezone.localdate())
    assert refused.value.errors == {"atena_no": ATENA_TAKEN}
    refusals = AuditEvent.objects.filter(action="registration.submit", outcome="denied", target_id=owner.pk)
    assert [e.detail for e in refusals.order_by("id")] == [
        {"outcome": "number_taken", "fields": ["standard_atena_no"]},
        {"outcome": "number_taken", "fields": ["atena_no"]}]
    # Its own target by the same atena_no: registered already, as before.
    with pytest.raises(AlreadyRegistered):
        registration_submit(actor=counter, payload=intake_payload(atena_no=owner.atena_no),
                            today=timezone.localdate())
    with pytest.raises(AlreadyRegistered):
        register(counter, atena_no="310000000000007")


def test_the_database_refuses_a_second_target_with_the_same_standard_number(counter, register):
    first, _ = register(counter, standard_atena_no="310000000000008")
    second, _ = register(counter)
    second.standard_atena_no = first.standard_atena_no
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save(update_fields=["standard_atena_no"])


def test_the_intake_screen_takes_and_the_target_page_shows_the_standard_number(client, counter, register):
    client.force_login(counter)
    form = client.get("/targets/new/").content.decode()
    assert 'name="standard_atena_no"' in form and "宛名番号（標準準拠システム）" in form
    target, _ = register(counter, standard_atena_no="310000000000009")
    page = client.get(f"/targets/{target.pk}/").content.decode()
    assert "宛名番号（標準準拠システム）" in page and "310000000000009" in page


def test_the_intake_screen_registers_the_standard_number_and_ties_its_error_to_the_field(client, counter):
    client.force_login(counter)
    bad = client.post("/targets/new/", {**form_data(standard_atena_no="12345"), "step": "confirm"})
    assert bad.status_code == 400
    assert field_error(bad, "standard_atena_no") == "宛名番号（標準準拠システム）は15桁の数字で入力してください。"
    assert 'aria-describedby="error-standard_atena_no' in bad.content.decode()
    data = form_data(standard_atena_no="３１００００００００００１１１")
    confirm = client.post("/targets/new/", {**data, "step": "confirm"})
    assert confirm.status_code == 200 and "310000000000111" in confirm.content.decode()
    done = client.post("/targets/new/", {**data, "step": "register"})
    assert done.status_code == 302
    assert Target.objects.get(atena_no=data["atena_no"]).standard_atena_no == "310000000000111"


# --- amendment ----------------------------------------------------------------------------

def test_an_amendment_records_the_standard_number_with_before_and_after(counter, approver, register):
    target = _active(register, counter, approver)
    resp = _amend(counter, target.pk, standard_atena_no=FULL_WIDTH)
    assert resp.status_code == 201, resp.json()
    target.refresh_from_db()
    assert target.standard_atena_no is None  # four eyes: nothing changes before the approval
    change_request_approve(actor=approver, change_request_id=resp.json()["change_request"]["id"])
    target.refresh_from_db()
    assert target.standard_atena_no == STANDARD
    amendment = Amendment.objects.get(target=target)
    assert (amendment.before, amendment.after) == ({"personal": {"standard_atena_no": None}},
                                                   {"personal": {"standard_atena_no": STANDARD}})
    history = token_client(counter).get(f"/api/v1/targets/{target.pk}/amendments/").json()
    assert history[0]["after"] == {"personal": {"standard_atena_no": STANDARD}}
    # A correction of it keeps the earlier number as "before".
    again = _amend(counter, target.pk, standard_atena_no="000000000054321")
    change_request_approve(actor=approver, change_request_id=again.json()["change_request"]["id"])
    latest = Amendment.objects.filter(target=target).latest("id")
    assert latest.before == {"personal": {"standard_atena_no": STANDARD}}


@pytest.mark.parametrize("taken_as", ["atena_no", "standard_atena_no"])
def test_an_amendment_refuses_a_number_another_target_holds(counter, approver, register, taken_as):
    other = _active(register, counter, approver, standard_atena_no="320000000000001")
    target = _active(register, counter, approver)
    resp = _amend(counter, target.pk, standard_atena_no=getattr(other, taken_as))
    assert resp.status_code == 400
    assert resp.json()["errors"]["personal.standard_atena_no"] == [STANDARD_TAKEN]
    refusal = AuditEvent.objects.filter(action="change_request.request_amend", outcome="denied").latest("id")
    assert refusal.detail == {"reason": "invalid", "fields": ["personal.standard_atena_no"]}


def test_the_approval_rechecks_a_number_taken_meanwhile(counter, approver, register):
    target = _active(register, counter, approver)
    cr_id = _amend(counter, target.pk, standard_atena_no="320000000000002").json()["change_request"]["id"]
    register(counter, atena_no="320000000000002")  # another target registered under that number meanwhile
    with pytest.raises(DomainError, match="他の設定対象者"):
        change_request_approve(actor=approver, change_request_id=cr_id)
    target.refresh_from_db()
    assert target.standard_atena_no is None


def test_the_amend_screen_offers_the_standard_number(client, counter, approver, register):
    target = _active(register, counter, approver)
    client.force_login(counter)
    page = client.get(f"/targets/{target.pk}/amend/").content.decode()
    assert 'name="standard_atena_no"' in page
    post = {"reason": "番号の登録", "standard_atena_no": "320000000000003"}
    confirm = client.post(f"/targets/{target.pk}/amend/", {**post, "step": "confirm"})
    assert confirm.status_code == 200 and "320000000000003" in confirm.content.decode()


# --- the 住民記録 push ----------------------------------------------------------------------

@pytest.fixture
def jumin_key(departments):
    return system_client_key("juki", "kodomo", "jumin_push")


def test_a_push_records_the_standard_number_of_a_new_and_of_an_existing_target(jumin_key, counter, register):
    resp = push(system(jumin_key), {**NEW_PERSON, "standard_atena_no": "330000000000001"})
    assert resp.status_code == 200, resp.json()
    assert Target.objects.get(atena_no=NEW_PERSON["atena_no"]).standard_atena_no == "330000000000001"
    existing, _ = register(counter, atena_no="330000000000002")
    resp = push(system(jumin_key), {"atena_no": "330000000000002", "event": "extend", "end": "2027-03-31",
                                    "standard_atena_no": "３３００００００００００００３"})
    assert resp.status_code == 200, resp.json()
    existing.refresh_from_db()
    assert existing.standard_atena_no == "330000000000003"
    event = AuditEvent.objects.filter(action="jumin.support_extend", target_id=existing.pk).latest("id")
    assert event.detail["standard_atena_no"] == "recorded" and "330000000000003" not in str(event.detail)


def test_a_push_naming_another_targets_number_is_refused_whole(jumin_key, counter, register):
    other, _ = register(counter, atena_no="330000000000010", standard_atena_no="330000000000011")
    mine, _ = register(counter, atena_no="330000000000012")
    for standard in ("330000000000010", "330000000000011"):
        resp = push(system(jumin_key), {"atena_no": "330000000000012", "event": "extend", "end": "2027-03-31",
                                        "standard_atena_no": standard})
        assert resp.status_code == 400
        assert resp.json()["errors"]["measures[0].standard_atena_no"] == [STANDARD_TAKEN]
    # A new person whose atena_no is another target's standard number.
    resp = push(system(jumin_key), {**NEW_PERSON, "atena_no": "330000000000011"})
    assert resp.status_code == 400 and resp.json()["errors"]["measures[0].atena_no"] == [ATENA_TAKEN]
    # Two items giving the same standard number, or one item's standard number the other's atena_no.
    resp = push(system(jumin_key), {**NEW_PERSON, "standard_atena_no": "330000000000013"},
                {"atena_no": "330000000000012", "event": "extend", "end": "2027-03-31",
                 "standard_atena_no": "330000000000013"})
    assert resp.status_code == 400 and "measures[1].standard_atena_no" in resp.json()["errors"]
    resp = push(system(jumin_key), {**NEW_PERSON, "standard_atena_no": "330000000000012"})
    assert resp.status_code == 400
    mine.refresh_from_db()
    assert mine.standard_atena_no is None
    assert not Target.objects.filter(atena_no=NEW_PERSON["atena_no"]).exists()
    assert JUMIN.startswith("/api/v1/")


# --- search ---------------------------------------------------------------------------------

def test_the_search_finds_a_target_by_either_number_for_those_who_may_see_it(
        client, counter, approver, other_counter, register):
    target = _active(register, counter, approver, atena_no="340000000000001", standard_atena_no="340000000000002")
    for number in (target.atena_no, target.standard_atena_no):
        assert selectors.target_search_by_atena(actor=counter, atena_no=number).pk == target.pk
        assert selectors.target_search_by_atena(actor=other_counter, atena_no=number) is None
    events = AuditEvent.objects.filter(action="target.search", actor_id=counter.pk).order_by("id")
    assert [e.target_id for e in events] == [target.pk, target.pk]
    # The event names the target and what was typed, never which of its numbers matched.
    assert all(set(e.detail) == {"atena_no", "found"} for e in events)
    target_grant_department(actor=approver, target_id=target.pk, department_code="zeimu")
    assert selectors.target_search_by_atena(actor=other_counter, atena_no=target.standard_atena_no).pk == target.pk
    client.force_login(counter)
    page = client.post("/targets/search/", {"atena_no": "３４００００００００００００２"}).content.decode()
    assert f"設定対象者 No.{target.pk}" in page


def test_released_and_pending_targets_keep_their_standard_number(counter, approver, register):
    pending, _ = register(counter, standard_atena_no="350000000000001")
    assert pending.status == TargetStatus.PENDING
    assert Target.objects.get(standard_atena_no="350000000000001").pk == pending.pk
    assert not ReviewTask.objects.filter(target=pending).exists()


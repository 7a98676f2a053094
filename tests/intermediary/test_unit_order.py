"""Which operation of one person's flag is newer is decided by the unit's sequence (ADR 0084),
not by created_at: approvals in one instant (a frozen clock, two clicks in the same
microsecond) or with the clock stepping back (two web hosts whose clocks differ) still end at
the intermediate server, and in FlagState, in the state approved last — on the web service
(through the emulator) and on the XML batch (files and their results), coalesced in one window
or sent window by window with the results read in order or the wrong way round.

Every new Operation id sorts before the previous one here, so a rule that breaks a created_at
tie by id picks the older operation every time instead of half the time."""
import datetime
import itertools
import uuid
from pathlib import Path

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from intermediary import channels, services, tasks
from intermediary.models import FlagState, Operation, OperationStatus
from tests.conftest import intake_payload
from victims import services as victim_services

from .harness import at

APPROVED_AT = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)
XML_KIND = "NO_AUTO_RESPONSE"  # a 5-minute window (NONDISCLOSURE's is daily)


@pytest.fixture
def ids_running_backwards(monkeypatch):
    ids = itertools.count(2**127, -1)
    field = Operation._meta.get_field("id")
    field.__dict__.pop("_get_default", None)  # Django caches the default callable
    monkeypatch.setattr(field, "default", lambda: uuid.UUID(int=next(ids)))
    yield
    field.__dict__.pop("_get_default", None)


class Approvals:
    """Decisions on one person, each in its own instant of Django's clock (which stamps
    created_at): all the same instant ("frozen"), or each a second before the previous one
    ("backwards", the next host's clock is behind)."""

    def __init__(self, clock_mode, counter, approver, register):
        self.mode, self.counter, self.approver, self.register = clock_mode, counter, approver, register
        self.n = 0

    def _instant(self):
        step = datetime.timedelta(seconds=-self.n if self.mode == "backwards" else 0)
        self.n += 1
        return time_machine.travel(APPROVED_AT + step, tick=False)

    def set(self, target=None):
        with self._instant():
            if target is None:
                target, cr = self.register(self.counter)
            else:  # the released person registered again: the same target, a new period
                victim_services.registration_submit(actor=self.counter, payload=intake_payload(
                    atena_no=target.atena_no), today=timezone.localdate())
                cr = victim_services.pending_set_request_of(target)
            victim_services.change_request_approve(actor=self.approver, change_request_id=cr.pk)
        return target

    def release(self, target):
        with self._instant():
            cr = victim_services.release_request_create(actor=self.counter, target_id=target.pk, reason="wish",
                                                        case_ids=None)
            victim_services.change_request_approve(actor=self.approver, change_request_id=cr.pk)


class WebService:
    def __init__(self, env, monkeypatch, settings):
        settings.INTERMEDIARY_CHANNEL = "web_service"
        self.emu = env.emu
        monkeypatch.setattr(channels, "web_service_send", self.send)

    def send(self, **record):
        status, body, _ = self.emu.ws_apply(record)
        ok = status == 200 and body.get("result") == "OK"
        return channels.SendResult(ok, "" if ok else str(body.get("code")), "")

    @staticmethod
    def deliver(order_by):
        for op in Operation.objects.filter(status=OperationStatus.PENDING).order_by(order_by):
            services.operation_deliver_web_service(operation_id=op.pk)


class XmlBatch:
    def __init__(self, env, tmp_path):
        self.env, self.inbound, self.held = env, Path(tmp_path / "inbound"), tmp_path / "held"
        self.held.mkdir()
        self.minute, self.results = 5, []

    def window(self):
        """One window: the file is written, the server applies it, its result waits."""
        self.env.set(at(24, 10, self.minute - 1, 30))
        tasks.xml_batch_tick()
        self.env.set(at(24, 10, self.minute))
        self.env.emu.poll_files()
        self.minute += 5
        for path in sorted(self.inbound.iterdir()):
            if path.is_file():
                self.results.append(path.rename(self.held / path.name))

    def read_results(self, *, reverse=False):
        for path in reversed(self.results) if reverse else self.results:
            path.rename(self.inbound / path.name)
            assert tasks.results_ingest() == {"applied": 1}
        self.results = []


SCENARIOS = {"set-release": (False, ["set", "release"]), "set-release-set": (True, ["set", "release", "set"])}
WS_DELIVERY = ["oldest-first", "newest-first", "after-each"]
XML_DELIVERY = ["one-window", "window-each", "window-each-results-reversed"]


def _decide_all(approvals, steps, after_each=lambda: None):
    target = None
    for step in steps:
        if step == "set":
            target = approvals.set(target)
        else:
            approvals.release(target)
        after_each()
    return target


def _assert_ends(emu, target, kinds, expected):
    for kind in kinds:
        state = FlagState.objects.get(unit_key=target.atena_no, flag_kind=kind)
        assert emu.store.flag("atena", target.atena_no, kind) is expected, kind
        assert (state.desired, state.reflected) == (expected, expected), kind
        ops = list(Operation.objects.filter(unit_key=target.atena_no, flag_kind=kind).order_by("unit_seq"))
        assert {o.status for o in ops} == {OperationStatus.REFLECTED}, kind
        assert [o.unit_seq for o in ops] == list(range(1, len(ops) + 1)) and state.seq == len(ops)


@pytest.mark.parametrize("clock_mode", ["frozen", "backwards"])
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("delivery", WS_DELIVERY)
def test_web_service_ends_in_the_state_approved_last(env, counter, approver, register, settings, monkeypatch,
                                                     ids_running_backwards, clock_mode, scenario, delivery):
    expected, steps = SCENARIOS[scenario]
    ws = WebService(env, monkeypatch, settings)
    approvals = Approvals(clock_mode, counter, approver, register)
    if delivery == "after-each":
        target = _decide_all(approvals, steps, after_each=lambda: ws.deliver("created_at"))
    else:
        target = _decide_all(approvals, steps)
        # created_at is the same (or runs backwards): "newest first" here is the unit's order.
        ws.deliver("unit_seq" if delivery == "oldest-first" else "-unit_seq")
    _assert_ends(env.emu, target, ["NO_AUTO_RESPONSE", "NONDISCLOSURE"], expected)


@pytest.mark.parametrize("clock_mode", ["frozen", "backwards"])
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("delivery", XML_DELIVERY)
def test_xml_batch_ends_in_the_state_approved_last(env, counter, approver, register, tmp_path,
                                                   ids_running_backwards, clock_mode, scenario, delivery):
    expected, steps = SCENARIOS[scenario]
    xml = XmlBatch(env, tmp_path)
    approvals = Approvals(clock_mode, counter, approver, register)
    if delivery == "one-window":
        target = _decide_all(approvals, steps)
        xml.window()  # every approval coalesced into one record: the last one
        [record_op] = Operation.objects.filter(unit_key=target.atena_no, flag_kind=XML_KIND, covered_by__isnull=True)
        assert record_op.unit_seq == len(steps)
    else:
        target = _decide_all(approvals, steps, after_each=xml.window)
    xml.read_results(reverse=delivery.endswith("reversed"))
    _assert_ends(env.emu, target, [XML_KIND], expected)


def test_an_operation_written_without_the_unit_lock_is_refused(db):
    """unit_seq has no default: a new creation point that forgets _next_operation fails loudly
    instead of writing a row the ordering cannot place."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.create(unit_type="atena", unit_key="100000000000001", flag_kind=XML_KIND, action="set")

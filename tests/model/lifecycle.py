"""The model of the whole lifecycle (issue 14, "model-based test"), driven by hypothesis.

A `RuleBasedStateMachine` registers, amends, approves, rejects, withdraws and releases
through the victims services (the same functions the screens and the API call), pushes
住基 支援措置 start/end through `jumin_support_apply`, injects emulator faults, delivers
through the real intermediary services to an in-process emulator (web service: the sweeper
re-drives, each operation is claimed, sent and its result recorded; XML: the batch is built
at its window, the emulator picks it up at the server's window, the result files are read
back in an order hypothesis chooses, some only after later files) and moves the clock with
time-machine. A plain Python model predicts every answer: whether each call is allowed, the
check's answer for every number, the flags the server must end with.

Invariants after every step: the check (the bulk set and the single check) answers as the
model says for every victim and abuser number; no request was decided by its requester (nor a
registration's withdrawal completed by the one who asked for it); a 支援措置 person is a
target (pending or active). After every delivery that runs to the end (rule `settle`, and at
the end of every run): no operation is open or dead, the emulator's flags equal the model's
desired flags for every person, and the reflected side of FlagState says the same."""
import dataclasses
import datetime
import itertools
import os
import random
import shutil
from pathlib import Path

import time_machine
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from accounts.models import Staff
from checks import protection, selectors
from core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from flags import rules as flag_rules
from flags.models import ChangeAction, ChangeRequest, ChangeStatus
from intermediary import channels, clock, services, windows
from intermediary.emulator.server import Emulator
from intermediary.emulator.store import Store
from intermediary.models import FlagState, Operation, OperationStatus
from victims import services as victim_services
from victims.intake import parse_intake
from victims.models import Target, TargetStatus

# Seconds the clock moves before each action. 0: only the actions that move it (advance the
# clock, a delivery reaching its window or backoff) do, so most approvals of a person share one
# instant, the hardest case for ordering; `MODEL_STEP_SECONDS=1` is how the first runs dodged it.
STEP_SECONDS = float(os.environ.get("MODEL_STEP_SECONDS", "0"))

JST = datetime.timezone(datetime.timedelta(hours=9))
START = datetime.datetime(2026, 11, 24, 10, 2, tzinfo=JST)
NAR, ND = "NO_AUTO_RESPONSE", "NONDISCLOSURE"
DIRECTIONS = (flag_rules.INQUIRY, flag_rules.PROVISION)
STAFF = ("c1", "c2", "a1", "a2")
APPROVERS = ("a1", "a2")
JUMIN = "jumin"  # the 住民記録 system's account: what the push is done as
MAX_PERSONS = 8
_numbers = itertools.count(1)

# What a person's cases mean (DOMAIN.md §3): the model's own table, not flags.rules.
FLAGS_OF = {"2-I": {NAR, ND}, "2-II": {ND}, "1-I": set()}
CASE_SETS = [("2-I",), ("2-II",), ("1-I",), ("2-I", "1-I"), ("2-II", "1-I"), ("2-I", "2-II")]
WEIGHTED_ACTIONS = (["register"] * 2 + ["decide"] * 7 + ["release"] * 2 + ["amend"] * 2 + ["jumin"] * 2
                    + ["time"] * 2 + ["fault"] * 2 + ["deliver"] * 3 + ["settle"])
FAULTS = ("error", "timeout", "apply_then_timeout", "down", "none")


def fresh_number() -> str:
    return f"{next(_numbers) + 400_000_000_000_000:015d}"


def case_payload(case_type: str, abuser: str | None) -> dict:
    if case_type == "1-I":
        return {"type": "1-I", "abuser_atena_no": abuser}
    if case_type == "2-I":
        return {"type": "2-I", "card_left": True}
    return {"type": "2-II", "legal_representative": "guardian"}


@dataclasses.dataclass
class Request:
    id: int
    action: str  # set / amend / release
    requested_by: str
    adds: tuple[tuple[str, str | None], ...] = ()  # an amendment's cases (type, abuser)
    withdrawal_asked_by: str | None = None


@dataclasses.dataclass
class Person:
    atena_no: str
    target_id: int
    status: str
    cases: list[tuple[str, str | None]]  # active cases: (type, abuser atena_no for ①-I)
    jumin: bool = False
    pending: Request | None = None

    def types(self) -> set[str]:
        return {t for t, _ in self.cases}

    def desired_flags(self) -> set[str]:
        """The flags the server must end with: those of the approved, active cases."""
        if self.status != TargetStatus.ACTIVE:
            return set()
        return set().union(*(FLAGS_OF[t] for t in self.types())) if self.cases else set()

    def victim_needs_code(self) -> bool:
        """The check for the person's own number. A pending registration, a target without an
        assessed case and a pending amendment that adds a ② case protect at once."""
        if self.status == TargetStatus.PENDING:
            return True
        if self.status != TargetStatus.ACTIVE:
            return False
        adds = {t for t, _ in self.pending.adds} if self.pending else set()
        return not self.cases or bool((self.types() | adds) & {"2-I", "2-II"})

    def protected_abusers(self) -> set[str]:
        if self.status not in (TargetStatus.PENDING, TargetStatus.ACTIVE):
            return set()
        pending = [a for t, a in self.pending.adds if t == "1-I"] if self.pending else []
        return {a for t, a in self.cases if t == "1-I" and a} | {a for a in pending if a}


class Counts:
    """Across every run of one test: printed at the end (steps, outcomes, deliveries)."""

    def __init__(self):
        self.steps = 0
        self.runs = 0
        self.outcomes: dict[str, int] = {}
        self.operations = 0
        self.operations_reflected = 0
        self.applied_twice = 0
        self.resends_absorbed = 0
        self.settles = 0
        self.out_of_order_ingests = 0
        self.next_start = START

    def add(self, key: str) -> None:
        self.outcomes[key] = self.outcomes.get(key, 0) + 1


class LifecycleMachine(RuleBasedStateMachine):
    """Configured by `configure` before hypothesis runs it (the staff, the channel, a
    temporary directory, the counters)."""

    staff: dict[str, Staff]
    checker: Staff
    channel: str
    workdir: Path
    counts: Counts
    current: "LifecycleMachine"

    @classmethod
    def configure(cls, *, staff: dict[str, Staff], checker: Staff, channel: str, workdir: Path,
                  counts: Counts) -> type["LifecycleMachine"]:
        return type(f"{cls.__name__}_{channel}", (cls,), {
            "staff": staff, "checker": checker, "channel": channel, "workdir": workdir, "counts": counts})

    def __init__(self):
        super().__init__()
        self.persons: list[Person] = []
        self.touched: Person | None = None
        # Each run in a savepoint of its own, rolled back in teardown: the next run starts from
        # the same database, and the row locks a run took are released with it (a single
        # transaction over a 10,000-step run exhausts PostgreSQL's lock table).
        self.run_atomic = transaction.atomic()
        self.run_atomic.__enter__()
        # Each run starts after the last one ended (the clock never goes back between runs).
        self.traveller = time_machine.travel(self.counts.next_start, tick=False)
        self.time = self.traveller.start()
        self.counts.runs += 1
        self.dirs = {k: Path(getattr(settings, f"INTERMEDIARY_{k.upper()}_DIR")) for k in
                     ("outbound", "inbound", "quarantine")}
        for d in self.dirs.values():  # a new emulator: no file of an earlier run may remain
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
        store = self.workdir / "emulator.sqlite3"
        for leftover in self.workdir.glob("emulator.sqlite3*"):
            leftover.unlink()
        self.emulator = Emulator(store=Store(store), outbound=self.dirs["outbound"],
                                 inbound=self.dirs["inbound"], cfg=services.window_config())
        type(self).current = self

    # ---- clock ------------------------------------------------------------------------
    def now(self) -> datetime.datetime:
        return clock.now()

    def move_to(self, moment: datetime.datetime) -> None:
        if moment > self.now():
            self.time.move_to(moment)

    def advance(self, seconds: float) -> None:
        self.time.move_to(self.now() + datetime.timedelta(seconds=seconds))

    # ---- the emulator as the web-service channel, in process ---------------------------
    def web_service_send(self, *, record_id, unit_type, unit_key, flag_kind, action) -> channels.SendResult:
        """What channels.web_service_send would return over HTTP: a stall longer than the
        client's timeout is a timeout, even when the server applied the record."""
        status, body, stall = self.emulator.ws_apply({"record_id": record_id, "unit_type": unit_type,
                                                      "unit_key": unit_key, "flag_kind": flag_kind, "action": action})
        if stall >= settings.INTERMEDIARY_WS_TIMEOUT:
            return channels.SendResult(False, "TIMEOUT", "応答なし（反映済みの可能性あり）")
        if status != 200:
            return channels.SendResult(False, f"HTTP{status}", "中間サーバー利用不可")
        if body.get("result") == "OK":
            return channels.SendResult(True)
        return channels.SendResult(False, str(body.get("code")), str(body.get("message")))

    # ---- helpers ----------------------------------------------------------------------
    def pick(self, data, wanted) -> Person | None:
        """A person for the next action: mostly one for whom it makes sense (`wanted`), now and
        then anyone (the refusals are part of the model too)."""
        fitting = [p for p in self.persons if wanted(p)]
        pool = fitting if fitting and data.draw(st.integers(0, 9), label="fitting") < 8 else self.persons
        if not pool:
            return None
        self.touched = pool[data.draw(st.integers(0, len(pool) - 1), label="person")]
        return self.touched

    # ---- the one rule -------------------------------------------------------------------
    @rule(data=st.data())
    def step(self, data):
        """One action, drawn with fixed weights. One rule rather than one per action:
        hypothesis's swarm testing would switch whole actions off for a run."""
        # No time passes between two actions unless MODEL_STEP_SECONDS says so: approvals in the
        # same instant must still be delivered in the order approved (the unit's sequence decides,
        # not created_at: ADR 0084). The first long runs failed on exactly that (ADR 0079).
        if STEP_SECONDS:
            self.advance(STEP_SECONDS)
        action = data.draw(st.sampled_from(WEIGHTED_ACTIONS), label="action")
        actor = data.draw(st.sampled_from(STAFF), label="actor")
        if action == "register":
            if len(self.persons) < MAX_PERSONS:
                self.register(actor, data.draw(st.sampled_from(CASE_SETS), label="cases"))
        elif action == "decide":
            p = self.pick(data, lambda p: p.pending is not None)
            if p is not None:
                # Heads decide; staff (and the requester) trying is the refusal the model predicts.
                actor = data.draw(st.sampled_from(("a1", "a2", "a1", "a2", "c1", "c2")), label="decider")
                self.decide(p, actor, data.draw(st.sampled_from(("approve", "approve", "approve", "reject",
                                                                 "withdraw")), label="how"))
        elif action == "release":
            p = self.pick(data, lambda p: p.status == TargetStatus.ACTIVE and p.pending is None)
            if p is not None:
                self.request_release(p, actor)
        elif action == "amend":
            p = self.pick(data, lambda p: p.status == TargetStatus.ACTIVE and p.pending is None)
            if p is not None:
                self.amend(p, actor, data.draw(st.sampled_from(("2-I", "2-II", "1-I")), label="case"))
        elif action == "jumin":
            event = data.draw(st.sampled_from(("start-new", "start", "end")), label="event")
            self.jumin_push(self.pick(data, lambda p: p.jumin != (event == "start")), event)
        elif action == "time":
            self.advance_time(data.draw(st.integers(1, 240), label="minutes"))
        elif action == "fault":
            self.emulator_fault(data.draw(st.sampled_from(FAULTS), label="fault"),
                                data.draw(st.integers(1, 3), label="count"))
        elif action == "deliver":
            self.deliver(data.draw(st.booleans(), label="defer results"),
                         data.draw(st.randoms(use_true_random=False), label="order"))
        else:
            self.settle(data.draw(st.randoms(use_true_random=False), label="order"))

    def expect(self, allowed: bool, call, *, what: str):
        """Run `call`; it must succeed exactly when the model says it may."""
        try:
            result = call()
        except (Forbidden, Conflict, ValidationFailed, DomainError) as exc:
            assert not allowed, f"{what}: the model allows it, the service refused: {exc!r}"
            self.counts.add(f"{what}:refused")
            return None
        assert allowed, f"{what}: the model refuses it, the service did it"
        self.counts.add(f"{what}:done")
        return result

    # ---- rules: registration and requests ----------------------------------------------
    def register(self, actor: str, case_set: tuple[str, ...]) -> None:
        atena_no = fresh_number()
        cases = [(t, fresh_number() if t == "1-I" else None) for t in case_set]
        payload = {"atena_no": atena_no, "name": "山田　花子", "name_kana": "ヤマダ　ハナコ",
                   "birth_date": "1990-04-01", "harm_types": ["dv"], "fled": True, "basis": "request",
                   "jumin_support": {"active": False}, "cases": [case_payload(t, a) for t, a in cases],
                   "explanations": {"mynaportal": True, "card_suspension": True}}
        data = parse_intake(payload, today=self.now().astimezone(JST).date())
        result = self.expect(True, lambda: victim_services.target_register(actor=self.staff[actor], data=data),
                             what="register")
        target, cr = result
        self.touched = Person(atena_no, target.pk, TargetStatus.PENDING, cases,
                              pending=Request(cr.pk, ChangeAction.SET, actor))
        self.persons.append(self.touched)

    def decide(self, p: Person, actor: str, how: str) -> None:
        """A pending request of one person, approved (most often), rejected or withdrawn."""
        {"approve": self._approve, "reject": self._reject, "withdraw": self._withdraw}[how](p, actor)

    def _approve(self, p: Person, actor: str) -> None:
        req = p.pending
        if req is None:
            return
        allowed = actor in APPROVERS and actor != req.requested_by and not (
            req.action == ChangeAction.RELEASE and p.jumin)
        done = self.expect(allowed, lambda: victim_services.change_request_approve(
            actor=self.staff[actor], change_request_id=req.id), what=f"approve-{req.action}")
        if done is None:
            return
        p.pending = None
        if req.action == ChangeAction.SET:
            p.status = TargetStatus.ACTIVE
        elif req.action == ChangeAction.AMEND:
            p.cases.extend(req.adds)
        else:
            p.cases = []
            p.status = TargetStatus.RELEASED

    def _reject(self, p: Person, actor: str) -> None:
        req = p.pending
        if req is None:
            return
        allowed = actor in APPROVERS and actor != req.requested_by and not (
            req.action == ChangeAction.SET and p.jumin)
        done = self.expect(allowed, lambda: victim_services.change_request_reject(
            actor=self.staff[actor], change_request_id=req.id, reason="モデル検査"), what=f"reject-{req.action}")
        if done is not None:
            p.pending = None
            if req.action == ChangeAction.SET:
                p.status = TargetStatus.REJECTED

    def _withdraw(self, p: Person, actor: str) -> None:
        req = p.pending
        if req is None:
            return
        call = lambda: victim_services.change_request_withdraw(  # noqa: E731
            actor=self.staff[actor], change_request_id=req.id, reason="モデル検査")
        if req.action != ChangeAction.SET:
            if self.expect(True, call, what=f"withdraw-{req.action}") is not None:
                p.pending = None
            return
        if p.jumin:
            self.expect(False, call, what="withdraw-set")
            return
        if req.withdrawal_asked_by is None:
            if self.expect(True, call, what="withdraw-set-ask") is not None:
                req.withdrawal_asked_by = actor
            return
        allowed = actor != req.withdrawal_asked_by and actor in APPROVERS and actor != req.requested_by
        if self.expect(allowed, call, what="withdraw-set-complete") is not None:
            p.pending = None
            p.status = TargetStatus.WITHDRAWN

    def request_release(self, p: Person, actor: str) -> None:
        allowed = p.status == TargetStatus.ACTIVE and p.pending is None and not p.jumin and bool(p.cases)
        cr = self.expect(allowed, lambda: victim_services.release_request_create(
            actor=self.staff[actor], target_id=p.target_id, reason=flag_rules.RELEASE_WISH, case_ids=None),
            what="request-release")
        if cr is not None:
            p.pending = Request(cr.pk, ChangeAction.RELEASE, actor)

    def amend(self, p: Person, actor: str, case_type: str) -> None:
        added = (case_type, fresh_number() if case_type == "1-I" else None)
        allowed = p.status == TargetStatus.ACTIVE and p.pending is None and (
            case_type == "1-I" or case_type not in p.types())
        payload = {"reason": "モデル検査", "add_cases": [case_payload(*added)]}
        result = self.expect(allowed, lambda: victim_services.amendment_request(
            actor=self.staff[actor], target_id=p.target_id, payload=payload,
            today=self.now().astimezone(JST).date()), what="amend")
        if result is not None:
            p.pending = Request(result.change_request.pk, ChangeAction.AMEND, actor, adds=(added,))

    # ---- rules: the 住民記録 push ------------------------------------------------------
    def _push(self, atena_no: str, event: str, *, identity: bool):
        today = self.now().astimezone(JST).date()
        item = victim_services.JuminSupport(
            atena_no=atena_no, event=event, start=today, end=today + datetime.timedelta(days=365),
            name="住基　花子" if identity else "", name_kana="ジュウキ　ハナコ" if identity else "",
            birth_date=datetime.date(1985, 5, 5) if identity else None)
        return self.expect(True, lambda: victim_services.jumin_support_apply(
            actor=self.staff[JUMIN], items=[item]), what=f"jumin-{event}")

    def jumin_push(self, p: Person | None, event: str) -> None:
        """The 住民記録 system: a 支援措置 starts for a new person or for one we know (a
        released, rejected or withdrawn person becomes a pending target again), or ends
        (never a release by itself: the person stays as they are)."""
        if event == "start-new" or p is None:
            if len(self.persons) < MAX_PERSONS:
                self._jumin_start_new_person()
            return
        if event == "end":
            self._push(p.atena_no, "end", identity=False)
            p.jumin = False
            return
        self._push(p.atena_no, "start", identity=False)
        p.jumin = True
        if p.status not in (TargetStatus.PENDING, TargetStatus.ACTIVE):
            cr = ChangeRequest.objects.get(target_id=p.target_id, status=ChangeStatus.PENDING)
            assert cr.action == ChangeAction.SET and p.pending is None
            p.status, p.pending = TargetStatus.PENDING, Request(cr.pk, ChangeAction.SET, JUMIN)

    def _jumin_start_new_person(self) -> None:
        atena_no = fresh_number()
        self._push(atena_no, "start", identity=True)
        target = Target.objects.get(atena_no=atena_no)
        cr = ChangeRequest.objects.get(target=target, status=ChangeStatus.PENDING)
        self.touched = Person(atena_no, target.pk, TargetStatus.PENDING, [], jumin=True,
                              pending=Request(cr.pk, ChangeAction.SET, JUMIN))
        self.persons.append(self.touched)

    # ---- rules: time, faults, delivery -------------------------------------------------
    def advance_time(self, minutes: int) -> None:
        self.advance(minutes * 60)

    def emulator_fault(self, mode: str, count: int) -> None:
        """The next `count` records fail (error), time out unapplied, or are applied with the
        answer lost; "down": the server answers nothing until it recovers; "none": recovered."""
        if mode == "down":
            self.emulator.store.set_fault("down", -1)
        else:
            self.emulator.store.set_fault(mode, count if mode != "none" else 0, "E503", 5.0)
        self.counts.add(f"fault-{mode}")

    def deliver(self, defer_results: bool, order: random.Random) -> None:
        """One round of what the worker and beat do, faults and all."""
        if self.channel == "web_service":
            self._deliver_web_service()
        else:
            self._deliver_xml(defer_results=defer_results, order=order)

    def settle(self, order: random.Random) -> None:
        """Deliver until nothing is open: the server then holds the model's desired state."""
        self._settle(order)
        self._assert_converged()

    def _deliver_web_service(self) -> None:
        todo = services.sweep(now=self.now())
        for op_id in todo["redrive"]:
            services.operation_deliver_web_service(operation_id=op_id)
        # The backoff before the next attempt (at most INTERMEDIARY_BACKOFF_MAX_SECONDS here).
        self.advance(settings.INTERMEDIARY_BACKOFF_MAX_SECONDS + 1)

    def _deliver_xml(self, *, defer_results: bool, order: random.Random) -> None:
        cfg = services.window_config()
        lead = datetime.timedelta(seconds=settings.INTERMEDIARY_BATCH_LEAD_SECONDS)
        kinds = [NAR, ND] if order.random() < 0.5 else [NAR]  # the daily window is a day away at most
        for kind in kinds:
            window = windows.next_window(kind, self.now(), cfg)
            self.move_to(window - lead)
            services.batch_build(flag_kind=kind, window_at=window)
            self.emulator.poll_files()  # the server sees the file before its window
            self.move_to(window + datetime.timedelta(seconds=1))
            self.emulator.poll_files()
        if not defer_results:
            self._ingest(order)
        # Results never read come back as NORESULT after the result timeout: re-sent.
        services.sweep(now=self.now())

    def _ingest(self, order: random.Random) -> None:
        inbound = self.dirs["inbound"]
        files = sorted(p for p in inbound.iterdir() if p.is_file() and p.suffix == ".xml")
        shuffled = list(files)
        order.shuffle(shuffled)
        if shuffled != files:
            self.counts.out_of_order_ingests += 1
        for path in shuffled:
            assert services.result_file_ingest(path=path) == "applied"

    def _open_ops(self):
        return Operation.objects.filter(unit_key__in=[p.atena_no for p in self.persons]).exclude(
            status=OperationStatus.REFLECTED)

    def _settle(self, order: random.Random) -> None:
        self.emulator.store.set_fault("none", 0)
        self.counts.settles += 1
        for _ in range(40):
            if not self._open_ops().exists():
                return
            if self.channel == "web_service":
                self._deliver_web_service()
            else:
                self._deliver_xml(defer_results=False, order=order)
                if self._open_ops().filter(status=OperationStatus.SENT).exists():
                    self.advance(settings.INTERMEDIARY_RESULT_TIMEOUT_SECONDS + 1)
                    services.sweep(now=self.now())
        raise AssertionError(f"not settled: {list(self._open_ops().values('status', 'flag_kind', 'action'))}")

    def _assert_converged(self) -> None:
        assert not Operation.objects.filter(status=OperationStatus.DEAD).exists()
        for p in self.persons:
            server = {kind for kind in (NAR, ND) if self.emulator.store.flag("atena", p.atena_no, kind)}
            assert server == p.desired_flags(), (p, server)
            states = {s.flag_kind: s for s in FlagState.objects.filter(unit_key=p.atena_no)}
            for kind in (NAR, ND):
                state = states.get(kind)
                want = kind in p.desired_flags()
                assert bool(state is not None and state.desired) == want, (p, kind, "desired")
                assert bool(state is not None and state.reflected) == want, (p, kind, "reflected")

    # ---- invariants -------------------------------------------------------------------
    @invariant()
    def count_the_step(self):
        self.counts.steps += 1

    @invariant()
    def the_check_answers_as_the_model(self):
        if not self.persons:
            return
        protected = protection.protected_set()
        for direction in DIRECTIONS:
            required = protected.requires(direction)
            for p in self.persons:
                assert (p.atena_no in required) == p.victim_needs_code(), (direction, p)
                for abuser in {a for _, a in p.cases if a} | {a for _, a in (p.pending.adds if p.pending else ())
                                                              if a}:
                    assert (abuser in required) == (abuser in p.protected_abusers()), (direction, p, abuser)
        if self.touched is not None:  # the single check, as a linkage department calls it
            for direction in DIRECTIONS:
                answer = selectors.inquiry_check(actor=self.checker, atena_no=self.touched.atena_no,
                                                 direction=direction)
                assert answer == self.touched.victim_needs_code(), (direction, self.touched)

    @invariant()
    def no_request_is_decided_by_its_requester(self):
        assert not ChangeRequest.objects.filter(decided_by_id=F("requested_by_id")).exists()
        assert not ChangeRequest.objects.filter(
            Q(status=ChangeStatus.WITHDRAWN, action=ChangeAction.SET),
            decided_by_id=F("withdrawal_requested_by_id")).exists()

    @invariant()
    def a_support_measure_person_stays_a_target(self):
        supported = [p for p in self.persons if p.jumin]
        if not supported:
            return
        rows = dict(Target.objects.filter(pk__in=[p.target_id for p in supported]).values_list(
            "pk", "status"))
        for p in supported:
            assert rows[p.target_id] in (TargetStatus.PENDING, TargetStatus.ACTIVE), p
            assert p.status in (TargetStatus.PENDING, TargetStatus.ACTIVE), p

    @invariant()
    def the_record_is_as_the_model_says(self):
        if self.touched is None:
            return
        p = self.touched
        target = Target.objects.get(pk=p.target_id)
        assert target.status == p.status, (p, target.status)
        assert target.jumin_support_active == p.jumin
        assert sorted(target.cases.filter(active=True).values_list("case_type", flat=True)) == sorted(
            t for t, _ in p.cases), p

    def teardown(self):
        try:
            if self.persons:
                self._settle(random.Random(0))
                self._assert_converged()
                ours = Operation.objects.filter(unit_key__in=[p.atena_no for p in self.persons])
                self.counts.operations += ours.count()
                self.counts.operations_reflected += ours.filter(status=OperationStatus.REFLECTED).count()
                stats = self.emulator.store.stats()
                self.counts.applied_twice += stats["records_applied_more_than_once"]
                self.counts.resends_absorbed += stats["redeliveries_absorbed"]
                assert stats["records_applied_more_than_once"] == 0
        finally:
            self.counts.next_start = self.now() + datetime.timedelta(days=1)
            self.emulator.store.db.close()
            self.traveller.stop()
            transaction.set_rollback(True)
            self.run_atomic.__exit__(None, None, None)

"""Reliability settings of the Celery app, and coalescing as a property."""
import datetime

from hypothesis import given
from hypothesis import strategies as st

from config.celery import app
from intermediary import rules


def test_reliability_settings():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.task_soft_time_limit is None or conf.task_soft_time_limit < conf.task_time_limit


def test_beat_schedule_drives_every_periodic_duty():
    app.finalize(auto=True)  # what `celery beat` does before reading the schedule
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert tasks == {"intermediary.xml_batch_tick", "intermediary.results_ingest", "intermediary.sweep",
                     "intermediary.reconcile", "victims.daily_reminders",
                     # the anchor, the incremental verification and the anomaly counts (ADR 0068, 0070)
                     "audit.daily_anchor", "audit.verify_incremental", "audit.day_counts",
                     # retention (ADR 0080, 0081)
                     "accounts.retention", "intermediary.retention_files", "victims.retention_personal_data",
                     "victims.intake_drafts_purge"}


UNITS = ["100000000000001", "100000000000002", "100000000000003"]


@given(st.lists(st.tuples(st.sampled_from(UNITS), st.sampled_from(["NO_AUTO_RESPONSE", "NONDISCLOSURE"]),
                          st.sampled_from(["set", "release"])), max_size=30))
def test_coalesced_batch_ends_in_the_same_state_as_applying_every_approval_in_order(approvals):
    base = datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC)
    # One instant for all (a frozen clock, or hosts whose clocks disagree): the order of the
    # approvals is only in unit_seq, handed out per unit as the FlagState lock would (ADR 0084).
    seqs: dict[tuple[str, str], int] = {}
    ops = []
    for i, (unit, kind, action) in enumerate(approvals):
        seqs[(unit, kind)] = seqs.get((unit, kind), 0) + 1
        ops.append(rules.PendingOp(i, "atena", unit, kind, action, base, seqs[(unit, kind)]))
    sequential = {}
    for op in ops:
        sequential[(op.unit_key, op.flag_kind)] = op.action == "set"
    send, covered = rules.coalesce(ops)
    coalesced = {(op.unit_key, op.flag_kind): op.action == "set" for op in send}
    assert coalesced == sequential
    assert len(send) == len({(o.unit_key, o.flag_kind) for o in ops})  # one record per (unit, flag)
    sent_ids = {o.id for o in send}
    assert set(covered) | sent_ids == {o.id for o in ops} and all(v in sent_ids for v in covered.values())

"""The daily verification is incremental and bounded; a full one runs id ranges in parallel
processes joined at their boundaries; the daily anchor never depends on a verification
(issue 14, ADR 0068). These run on PostgreSQL and on the embedded SQLite alike (the parallel
tests fall back to one process on an in-memory SQLite test database, which a forked process
cannot share: the assertions are the same)."""
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.db import connection, transaction

from audit import chain, tasks
from audit.models import AuditAnchor, AuditEvent, VerificationRun
from audit.services import audit_record, verification_run
from audit.verify import FULL, INCREMENTAL, verify_chain, verify_incremental
from config.celery import _beat_schedule


def _events(n):
    for i in range(n):
        audit_record(actor=None, action="audit.search", detail={"i": i})


def _as_superuser(*statements):
    """The attacker, past the append-only triggers (replica mode on PostgreSQL; on SQLite the
    triggers dropped and put back, inside one transaction)."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL session_replication_role = replica")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        for sql, params in statements:
            cur.execute(sql, params)
        if connection.vendor != "postgresql":
            cur.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent "
                        "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;")
            cur.execute("CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent "
                        "BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only'); END;")


def _rewrite_from(event_id):
    """Event `event_id` altered and every hash after it recomputed, so the chain links again."""
    rows = list(AuditEvent.objects.order_by("id").values(*chain.CHAINED_FIELDS, "prev_hash", "hash"))
    prev, statements = chain.GENESIS, []
    for row in rows:
        if row["id"] == event_id:
            row["action"] = "forged"
        if row["id"] >= event_id:
            row["hash"] = chain.link(prev, row)
            statements.append(("UPDATE audit_auditevent SET action = %s, prev_hash = %s, hash = %s WHERE id = %s",
                               [row["action"], prev, row["hash"], row["id"]]))
        prev = row["hash"]
    _as_superuser(*statements)


def _alter(event_id):
    _as_superuser(("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [event_id]))


def _relink(event_id):
    """Event `event_id` made to start a chain of its own: a fake prev_hash and a hash that
    matches its content with it. Only the link to the event before it shows."""
    row = AuditEvent.objects.filter(id=event_id).values(*chain.CHAINED_FIELDS).get()
    fake = "f" * 64
    _as_superuser(("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                   [fake, chain.link(fake, row), event_id]))


def test_incremental_runs_verify_only_what_is_new_and_record_the_run(db):
    _events(5)
    first = verification_run(mode=INCREMENTAL)  # nothing verified before: from event 1
    assert (first.ok, first.mode, first.first_event_id, first.last_event_id, first.checked, first.complete) == \
        (True, INCREMENTAL, 1, 5, 5, True)
    assert first.head_hash == AuditEvent.objects.get(id=5).hash
    assert first.duration_seconds >= 0 and first.finished_at >= first.started_at
    _events(3)  # after the run's own event (6): 7, 8, 9
    second = verification_run(mode=INCREMENTAL)
    assert (second.ok, second.first_event_id, second.last_event_id, second.checked) == (True, 6, 9, 4)
    event = AuditEvent.objects.get(action="audit.verify", detail__run_id=second.pk)
    assert event.detail["mode"] == INCREMENTAL and event.detail["last_event_id"] == 9


def test_incremental_finds_an_event_altered_after_the_verified_point(db):
    _events(4)
    verification_run(mode=INCREMENTAL)
    _events(4)  # 6..9
    _alter(7)
    result = verify_incremental()
    assert not result.ok and result.first_bad_id == 7 and "改ざん" in result.reason
    assert result.last_id == 6


def test_incremental_finds_a_rewrite_before_the_verified_point(db):
    """Every hash recomputed from event 2 on: the event where the last run stopped no longer
    carries the hash that run recorded."""
    _events(5)
    verification_run(mode=INCREMENTAL)
    _rewrite_from(2)
    result = verify_incremental()
    assert not result.ok and "チェーンの書換え" in result.reason


def test_incremental_finds_a_verified_point_removed(db):
    _events(5)
    verification_run(mode=INCREMENTAL)  # verified 1..5, event 6 is its own
    _as_superuser(("DELETE FROM audit_auditevent WHERE id >= 5", []))
    result = verify_incremental()
    assert not result.ok and result.first_bad_id == 5


def test_a_forged_good_run_missing_from_the_sink_is_not_a_starting_point(db):
    """A superuser's row claiming the whole chain verified: not in the file outside the
    database, so the run starts from the last point the file knows."""
    _events(4)
    _alter(2)
    head = AuditEvent.objects.order_by("-id").first()
    now = head.occurred_at
    VerificationRun.objects.create(started_at=now, finished_at=now, ok=True, checked=head.id, mode=INCREMENTAL,
                                   first_event_id=1, last_event_id=head.id, head_hash=head.hash)
    result = verify_incremental()
    assert not result.ok and result.first_bad_id == 2


def test_incremental_run_stops_at_its_bound_and_the_next_one_continues(db):
    _events(10)
    part = verify_incremental(max_events=4)
    assert part.ok and not part.complete and (part.first_id, part.last_id) == (1, 4)
    run = verification_run(mode=INCREMENTAL)
    assert run.complete and run.first_event_id == 1  # a result not recorded is not a starting point


def test_the_task_queues_its_continuation_when_the_budget_ran_out(db, settings, monkeypatch):
    _events(10)
    settings.AUDIT_VERIFY_MAX_EVENTS_PER_RUN = 4
    queued = []
    monkeypatch.setattr(tasks.verify_incremental, "apply_async", lambda **kw: queued.append(kw))
    tasks.verify_incremental()
    run = VerificationRun.objects.get()
    assert run.ok and not run.complete and (run.first_event_id, run.last_event_id) == (1, 4)
    assert queued == [{"countdown": 1}]
    tasks.verify_incremental()  # the continuation: from 5
    assert VerificationRun.objects.first().first_event_id == 5


def test_the_anchor_is_written_when_the_verification_times_out(db, monkeypatch):
    _events(3)

    def times_out(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks, "verification_run", times_out)
    with pytest.raises(SoftTimeLimitExceeded):
        tasks.daily_anchor_and_verify()
    assert AuditAnchor.objects.get().head_event_id == 3


def test_the_anchor_is_written_when_the_chain_does_not_verify(db):
    _events(3)
    _alter(2)
    tasks.verify_incremental()
    tasks.daily_anchor()
    assert not VerificationRun.objects.get().ok
    assert AuditAnchor.objects.count() == 1


def test_the_beat_anchors_and_verifies_in_separate_entries():
    schedule = _beat_schedule()
    assert schedule["audit-daily-anchor"]["task"] == "audit.daily_anchor"
    assert schedule["audit-daily-verify"]["task"] == "audit.verify_incremental"


def test_the_budget_must_stay_below_the_task_soft_limit(settings):
    assert settings.AUDIT_VERIFY_BUDGET_SECONDS < settings.CELERY_TASK_SOFT_TIME_LIMIT - 20


# Parallel full verification: 40 events in two ranges, 1..20 and 21..40.
def _forty(settings):
    settings.AUDIT_VERIFY_PARALLEL_MIN_EVENTS = 0
    _events(40)


# The forked processes read committed rows only (PostgreSQL: live_db); the in-memory SQLite
# test database is walked in one process (db).
if "postgresql" in django_settings.DATABASES["default"]["ENGINE"]:
    @pytest.fixture
    def forty(live_db, settings):
        _forty(settings)
else:
    @pytest.fixture
    def forty(db, settings):
        _forty(settings)


def _parallel():
    return verify_chain(workers=2)


def test_parallel_full_verification_of_an_intact_chain(forty):
    result = _parallel()
    assert result.ok and result.checked == 40 and result.mode == FULL
    assert result.workers == (2 if _forks() else 1)
    run = verification_run(workers=2)
    assert run.ok and run.last_event_id == 40 and run.workers == result.workers


@pytest.mark.parametrize("event_id", [7, 20, 21, 40])
def test_parallel_finds_an_altered_event_inside_and_at_the_range_boundaries(forty, event_id):
    _alter(event_id)
    result = _parallel()
    assert not result.ok and result.first_bad_id == event_id and "改ざん" in result.reason
    assert result.checked == event_id - 1


def test_parallel_finds_a_link_broken_exactly_at_the_boundary(forty):
    _relink(21)  # consistent on its own: only the join of the two ranges sees it
    result = _parallel()
    assert not result.ok and result.first_bad_id == 21 and "連結" in result.reason


@pytest.mark.parametrize("event_id", [20, 21])
def test_parallel_finds_an_event_removed_at_the_boundary(forty, event_id):
    _as_superuser(("DELETE FROM audit_auditevent WHERE id = %s", [event_id]))
    result = _parallel()
    assert not result.ok and result.first_bad_id in (event_id, event_id + 1) and "欠落" in result.reason
    assert result.checked == event_id - 1


def _forks() -> bool:
    name = str(connection.settings_dict["NAME"])
    return connection.vendor == "postgresql" or not (name == ":memory:" or "mode=memory" in name)

"""The anomaly view's partial indexes (ADR 0089) stay usable: their predicates match the
vocabulary and the queries, which PostgreSQL uses a partial index for only when the query's
conditions imply the index's predicate."""
import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.actions import bulk_lookup_actions
from audit.models import AuditEvent
from audit.selectors import anomalies

ANOMALY_INDEXES = {"audit_event_failed_at", "audit_event_login_tries", "audit_event_registered_at",
                   "audit_event_bulk_refused_at"}


def _index(name):
    (index,) = [i for i in AuditEvent._meta.indexes if i.name == name]
    return index


def test_the_bulk_refusal_index_names_every_bulk_look_up(db):
    """A new bulk look-up action changes the predicate: the migration for it must exist."""
    condition = _index("audit_event_bulk_refused_at").condition
    assert dict(condition.children) == {"outcome": "denied", "action__in": bulk_lookup_actions()}
    call_command("makemigrations", "audit", "--check", "--dry-run", verbosity=0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner (SQLite's proves "
                    "no IN-list predicate, and the embedded default holds one office's events)")
def test_each_rare_event_query_of_the_view_can_use_its_partial_index(db, auditor):
    """EXPLAIN of every query the view runs (sequential scans priced out: the planner would
    read a near-empty table whole): the rare-event queries are answered from the partial indexes."""
    with CaptureQueriesContext(connection) as captured:
        anomalies(actor=auditor, start=datetime.date(2026, 11, 1), end=datetime.date(2026, 11, 30))
    used = set()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT") or "audit_auditevent" not in sql:
                continue
            cur.execute("EXPLAIN " + sql)
            plan = " ".join(row[0] for row in cur.fetchall())
            used |= {name for name in ANOMALY_INDEXES if name in plan}
            if "audit_event_failed_at" in plan or "audit_event_login_tries" in plan:
                assert "Index Only Scan" in plan, plan
    assert used == ANOMALY_INDEXES

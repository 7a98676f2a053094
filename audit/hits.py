"""The persons a bulk look-up matched (a bulk inquiry check, an お知らせ recipient file),
recorded with its one event as rows of AuditEventTarget — ids only, never numbers — so
"who has seen this person" lists the event for each of them (ADR 0017).

Bounded by the number of targets, not of numbers looked up: a 1,000,000-number check
against 100,000 targets writes at most 100,000 rows. The event's detail carries their
count and a SHA-256 of the sorted ids, which the hash chain covers."""
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from core.policy import Actor

from .actions import AuditAction
from .chain import hits_digest
from .models import AuditEvent, AuditEventTarget
from .services import audit_record

_ROWS = AuditEventTarget._meta.db_table
# PostgreSQL: COPY, one round trip for every row (about 170 ms for 65,000 rows here, where an
# INSERT … SELECT unnest(array) took 260 ms and bulk_create longer).
_COPY_PG = f'COPY "{_ROWS}" (event_id, target_id) FROM STDIN'


def audit_record_hits(*, actor: Actor | None, action: AuditAction, detail: dict[str, Any],
                      target_ids: Iterable[int]) -> AuditEvent:
    """The bulk look-up's one event and a row per person it matched, in one transaction."""
    ids = sorted({int(t) for t in target_ids})  # ints only: they are written as COPY text
    with transaction.atomic():
        event = audit_record(actor=actor, action=action, detail={**detail, **hits_digest(ids)})
        if not ids:
            return event
        if connection.vendor == "postgresql":
            rows = "".join(f"{event.pk}\t{t}\n" for t in ids)
            with connection.cursor() as cur, cur.cursor.copy(_COPY_PG) as copy:
                copy.write(rows)
        else:
            AuditEventTarget.objects.bulk_create(
                [AuditEventTarget(event_id=event.pk, target_id=t) for t in ids], batch_size=5000)
    return event


def hits_intact(event: AuditEvent) -> bool:
    """Do the rows still match what the chained event says it matched?"""
    ids = list(AuditEventTarget.objects.filter(event_id=event.pk).order_by("target_id")
               .values_list("target_id", flat=True))
    recorded = {k: event.detail.get(k) for k in ("hit_count", "hits_sha256")}
    return recorded == hits_digest(ids)

from django.db import connection, transaction
from django.utils import timezone

from . import chain, context
from .models import AuditEvent, Outcome

# Serialises appends so each event links to exactly one predecessor. Held until the
# surrounding transaction commits, so a change and its event commit together.
_CHAIN_LOCK_KEY = 7_100_001


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


@transaction.atomic
def audit_record(*, actor, action: str, target_id: int | None = None, outcome: str = Outcome.ALLOWED,
                 detail: dict | None = None, username: str = "") -> AuditEvent:
    """Append one event. `detail` must hold ids and counts only, never names or birth dates."""
    _lock_chain()
    ctx = context.current()
    last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
    prev_id, prev_hash = last if last else (0, chain.GENESIS)
    dept = getattr(actor, "department", None) if actor is not None else None
    values = {
        "id": prev_id + 1,
        "occurred_at": timezone.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_username": actor.get_username() if actor is not None else username,
        "department_code": dept.code if dept else "",
        "role": getattr(actor, "role", "") or "",
        "action": action,
        "target_id": target_id,
        "outcome": outcome,
        "request_id": ctx.request_id,
        "ip": ctx.ip,
        "channel": ctx.channel,
        "detail": detail or {},
    }
    return AuditEvent.objects.create(prev_hash=prev_hash, hash=chain.link(prev_hash, values), **values)


def audit_denied(*, actor, action: str, target_id: int | None = None, detail: dict | None = None) -> AuditEvent:
    return audit_record(actor=actor, action=action, target_id=target_id, outcome=Outcome.DENIED, detail=detail)

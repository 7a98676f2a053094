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


@transaction.atomic
def anchor_create() -> "AuditAnchor | None":
    """Record today's head of the chain (run daily by the beat, or by `audit_anchor`)."""
    from .models import AuditAnchor

    _lock_chain()
    head = AuditEvent.objects.order_by("-id").values("id", "hash").first()
    if head is None:
        return None
    anchor = AuditAnchor.objects.create(created_at=timezone.now(), head_event_id=head["id"], head_hash=head["hash"],
                                        event_count=head["id"])
    audit_record(actor=None, action="audit.anchor", detail={"anchor_id": anchor.pk, "head_event_id": head["id"]})
    return anchor


def verification_run(*, actor=None):
    """Verify the chain and keep the result for the auditors' screen."""
    from .models import VerificationRun
    from .verify import verify_chain

    started = timezone.now()
    result = verify_chain()
    run = VerificationRun.objects.create(
        started_at=started, finished_at=timezone.now(), ok=result.ok, checked=result.checked,
        anchors_checked=result.anchors_checked, first_bad_id=result.first_bad_id, reason=result.reason[:200],
    )
    audit_record(actor=actor, action="audit.verify", outcome=Outcome.ALLOWED if result.ok else Outcome.DENIED,
                 detail={"run_id": run.pk, "ok": result.ok, "checked": result.checked})
    return run

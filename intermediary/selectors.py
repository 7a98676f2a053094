"""Reads for the sync monitor, for system admins only (deny by default). Identifiers only:
atena_no / info_code and ids, never names; each screen read is audited."""
import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.errors import NotFound
from core.policy import Capability

from . import clock, flag_kinds, windows
from .models import (
    Alert,
    Batch,
    Channel,
    FlagKind,
    FlagState,
    InfoCodeChangeRequest,
    InfoCodeChangeStatus,
    Operation,
    OperationStatus,
    UnitType,
)
from .people_shown import target_ids_for_units
from .services import failing_for_too_long, window_config


def oldest_pending_age(now: datetime.datetime) -> datetime.timedelta | None:
    oldest = Operation.objects.filter(status__in=[OperationStatus.PENDING, OperationStatus.FAILED,
                                                  OperationStatus.CLAIMED]).aggregate(m=Min("created_at"))["m"]
    return (now - oldest) if oldest else None


def next_windows(now: datetime.datetime) -> dict[str, datetime.datetime]:
    """The reflection windows of the channel in use: the XML batch's. The web service sends
    each operation at once, so it has none to show (issue 12: a daily window shown for the
    web service misled the reader)."""
    if settings.INTERMEDIARY_CHANNEL != Channel.XML_BATCH:
        return {}
    cfg = window_config()
    return {kind: windows.next_window(kind, now, cfg) for kind in flag_kinds.FLAG_KINDS}


RECENTLY_REFLECTED = 20


def recently_reflected() -> list[Operation]:
    """The last operations the intermediate server reported reflected (the ones actually sent)."""
    ops = list(Operation.objects.filter(status=OperationStatus.REFLECTED, covered_by__isnull=True,
                                        reflected_at__isnull=False).order_by("-reflected_at")[:RECENTLY_REFLECTED])
    for op in ops:
        op.lag = op.reflected_at - op.created_at  # type: ignore[attr-defined,operator]  # approval → reflected
    return ops


def monitor_overview(*, actor: Staff) -> dict[str, Any]:
    policy.require(actor, Capability.OPERATE_SYNC)
    now = clock.now()
    by_status = dict(Operation.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    problems = list(Operation.objects.filter(status__in=[OperationStatus.FAILED, OperationStatus.DEAD],
                                             covered_by__isnull=True)
                    .order_by("-status", "created_at")[:100])
    batches = (Batch.objects.annotate(ok=Count("operations", filter=Q(operations__status=OperationStatus.REFLECTED,
                                                                      operations__covered_by__isnull=True)),
                                      ng=Count("operations", filter=Q(operations__status__in=[
                                          OperationStatus.FAILED, OperationStatus.DEAD],
                                          operations__covered_by__isnull=True)))
               .order_by("-window_at")[:30])
    alerts = list(Alert.objects.filter(resolved_at__isnull=True).order_by("-created_at")[:100])
    reflected = recently_reflected()
    # The failing, alerted and reflected operations show atena_no: name the people they belong to.
    shown = target_ids_for_units([*((op.unit_type, op.unit_key) for op in [*problems, *reflected]),
                                  *((a.unit_type, a.unit_key) for a in alerts)])
    audit_record(actor=actor, action=AuditAction.INTERMEDIARY_MONITOR_VIEW, detail={"target_ids": shown})
    return {
        "now": now,
        "by_status": [(s, label, by_status.get(s, 0)) for s, label in OperationStatus.choices],
        "oldest_pending_age": oldest_pending_age(now),
        "channel": settings.INTERMEDIARY_CHANNEL,
        "next_windows": next_windows(now),
        "reflected": reflected,
        "problems": problems,
        "batches": list(batches),
        "alerts": alerts,
        "info_code_requests": list(InfoCodeChangeRequest.objects.select_related("requested_by")
                                   .filter(status=InfoCodeChangeStatus.PENDING)),
    }


def batch_detail(*, actor: Staff, batch_id: uuid.UUID | str) -> tuple[Batch, list[Operation]]:
    policy.require(actor, Capability.OPERATE_SYNC)
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    ops = list(Operation.objects.filter(batch=batch, covered_by__isnull=True).order_by("record_no")[:5000])
    shown = target_ids_for_units((op.unit_type, op.unit_key) for op in ops)
    audit_record(actor=actor, action=AuditAction.INTERMEDIARY_BATCH_VIEW,
                 detail={"batch_id": str(batch.pk), "target_ids": shown})
    return batch, ops


def flag_states_for_unit(atena_no: str) -> list[FlagState]:
    """Desired vs reflected state of both flags on one person's atena_no (a flag never set
    is shown unsaved, as "not set"). For a target page the caller has already authorised."""
    states = {s.flag_kind: s for s in FlagState.objects.filter(unit_type=UnitType.ATENA, unit_key=atena_no)}
    return [states.get(kind) or FlagState(unit_type=UnitType.ATENA, unit_key=atena_no, flag_kind=kind)
            for kind in FlagKind.values]


def delivery_failing_since(atena_no: str) -> datetime.datetime | None:
    """When delivery of a flag on this person's atena_no started failing, if it has been
    failing for longer than DELIVERY_FAILING_ALERT_AFTER_SECONDS (the target page's warning,
    ADR 0060), else None. For a target page the caller has already authorised."""
    since: datetime.datetime | None = (
        Operation.objects.filter(failing_for_too_long(clock.now()), unit_type=UnitType.ATENA, unit_key=atena_no)
        .aggregate(m=Min("failing_since"))["m"])
    return since

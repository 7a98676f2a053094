from django.db.models import QuerySet

from accounts.access import require_linkage_staff, require_role
from accounts.models import Role
from audit.services import audit_denied, audit_record
from config.errors import Forbidden
from victims.models import Target

from . import protection, rules
from .models import ChangeRequest, ChangeStatus, FlagState, Notice, UnitType


def nondisclosure_code_required(atena_no: str, direction: str) -> tuple[bool, int | None]:
    """The inquiry-time rule: (required, victim target id or None). No audit, no actor: callers audit.

    A pending registration already protects (when in doubt, protect). A registered abuser
    under an active ①-I case needs the code for inquiries and, by our decision
    (docs/adr/0003), also for manual provisions, which would show our municipality to him.
    One implementation with the bulk check: flags/protection.py."""
    return protection.nondisclosure_code_required(atena_no, direction)


def inquiry_check(*, actor, atena_no: str, direction: str) -> bool:
    """Yes/no only, never why. Linkage departments only; every call is audited."""
    try:
        require_linkage_staff(actor)
    except Forbidden:
        audit_denied(actor=actor, action="inquiry.check", detail={"direction": direction})
        raise
    required, victim_id = nondisclosure_code_required(atena_no, direction)
    audit_record(actor=actor, action="inquiry.check", target_id=victim_id,
                 detail={"atena_no": atena_no, "direction": direction, "required": required})
    return required


def approval_queue(*, actor) -> QuerySet[ChangeRequest]:
    """Pending requests of the approver's own department. Lists ids and kinds only;
    opening one goes through target_get_for_user and is audited there."""
    require_role(actor, Role.APPROVER)
    return (ChangeRequest.objects.filter(status=ChangeStatus.PENDING, department=actor.department_id)
            .select_related("requested_by", "target").order_by("requested_at"))


def change_requests_for_target(target: Target) -> QuerySet[ChangeRequest]:
    """History of an already-authorised target (the caller read it through target_get_for_user)."""
    return target.change_requests.select_related("requested_by", "decided_by").prefetch_related("release_cases")


def flag_states_for_target(target: Target) -> list[FlagState]:
    states = {s.flag_kind: s for s in FlagState.objects.filter(unit_type=UnitType.ATENA, unit_key=target.atena_no)}
    return [states.get(kind) or FlagState(unit_type=UnitType.ATENA, unit_key=target.atena_no, flag_kind=kind)
            for kind in rules.FLAG_KINDS]


def notices_for(*, actor) -> QuerySet[Notice]:
    if not actor.can_check:
        return Notice.objects.none()
    return Notice.objects.filter(department=actor.department_id)[:50]

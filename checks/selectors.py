"""The inquiry-time check: yes or no, never why. Scoped and audited here."""

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record, require_capability
from core.metrics import CHECK_SECONDS
from core.policy import Capability

from . import protection


def inquiry_check(*, actor: Staff, atena_no: str, direction: str) -> bool:
    """Does an inquiry about (or a manual provision for) `atena_no` need 不開示コード?
    Linkage departments only; every call is audited.

    A pending registration already protects (when in doubt, protect). A registered abuser
    under an active ①-I case needs the code for inquiries and, by our decision (ADR 0003),
    also for manual provisions, which would show our municipality to him."""
    require_capability(actor, Capability.CHECK, action=AuditAction.INQUIRY_CHECK, detail={"direction": direction})
    with CHECK_SECONDS.labels("single").time():
        required, victim_id = protection.nondisclosure_code_required(atena_no, direction)
        audit_record(actor=actor, action=AuditAction.INQUIRY_CHECK, target_id=victim_id,
                     detail={"atena_no": atena_no, "direction": direction, "required": required})
    return required

"""不開示 追記 of earlier 情報提供等記録, tracked as a task (DOMAIN.md §3): the system
admins' side. The owning department asks for it from the target's page
(victims.services.correction_request); a system admin does the correction
at the intermediate server and records it done with the server's reference. Both steps, and
every list of open tasks, are audited. System admins see atena_no and department only."""
from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.errors import DomainError, NotFound
from core.policy import Capability

from .models import CorrectionStatus, RecordCorrection


@transaction.atomic
def correction_complete(*, actor, correction_id, reference: str) -> RecordCorrection:
    policy.require(actor, Capability.OPERATE_SYNC)
    correction = RecordCorrection.objects.select_for_update().filter(pk=correction_id).first()
    if correction is None:
        raise NotFound()
    if correction.status != CorrectionStatus.OPEN:
        raise DomainError("この追記依頼は既に完了しています。")
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise DomainError("中間サーバーでの処理番号等を100文字以内で入力してください。", field="reference")
    correction.status, correction.done_by, correction.done_at = CorrectionStatus.DONE, actor, timezone.now()
    correction.reference = reference
    correction.save(update_fields=["status", "done_by", "done_at", "reference"])
    audit_record(actor=actor, action=AuditAction.CORRECTION_COMPLETE, target_id=correction.target_id,
                 detail={"correction_id": correction.pk})
    return correction


def corrections_open(*, actor) -> list[dict]:
    """The system admins' worklist: atena_no, owning department and dates, never names."""
    policy.require(actor, Capability.OPERATE_SYNC)
    rows = list(RecordCorrection.objects.filter(status=CorrectionStatus.OPEN)
                .values("id", "target_id", "atena_no", "requested_at", "target__owning_department__name"))
    # Which people's atena_no were shown, as for the shared list: "who has seen this person" finds it.
    audit_record(actor=actor, action=AuditAction.CORRECTION_LIST,
                 detail={"count": len(rows), "target_ids": [r["target_id"] for r in rows]})
    return [{"id": r["id"], "atena_no": r["atena_no"], "requested_at": r["requested_at"],
             "department": r["target__owning_department__name"]} for r in rows]


def corrections_for_target(target_id: int) -> list[RecordCorrection]:
    """History on a target's page (the caller read the target through target_get_for_user)."""
    return list(RecordCorrection.objects.filter(target_id=target_id).select_related("requested_by", "done_by"))

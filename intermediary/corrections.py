"""不開示 追記 of earlier 情報提供等記録, tracked as a task (DOMAIN.md §3).

The owning department asks for it from the target's page; a system admin does the correction
at the intermediate server and records it done with the server's reference. Both steps, and
every list of open tasks, are audited. System admins see atena_no and department only."""
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import require_role
from accounts.models import Role
from audit.services import audit_record
from config.errors import DomainError, NotFound
from victims.models import PROTECTING_STATUSES, Target
from victims.selectors import target_lock_for_user

from .models import CorrectionStatus, RecordCorrection


_ALREADY_OPEN = "この対象者の追記依頼は既に登録されており、まだ完了していません。"


def correction_refusal(target: Target, corrections) -> str | None:
    """Why a 追記 cannot be requested now, or None: the one rule for the service and the
    target's page (which shows the button only when this is None)."""
    if target.status not in PROTECTING_STATUSES:
        return "設定中または登録承認待ちの対象者についてのみ依頼できます。"
    if any(c.status == CorrectionStatus.OPEN for c in corrections):
        return _ALREADY_OPEN
    return None


@transaction.atomic
def correction_request(*, actor, target_id) -> RecordCorrection:
    target = target_lock_for_user(actor=actor, target_id=target_id)  # 404 unless the actor may see it
    refusal = correction_refusal(target, target.record_corrections.all())
    if refusal:
        raise DomainError(refusal)
    try:
        with transaction.atomic():
            correction = RecordCorrection.objects.create(target=target, atena_no=target.atena_no, requested_by=actor,
                                                         requested_at=timezone.now())
    except IntegrityError:  # a second request racing the first: the constraint keeps one open
        raise DomainError(_ALREADY_OPEN)
    audit_record(actor=actor, action="correction.request", target_id=target.pk,
                 detail={"correction_id": correction.pk})
    return correction


@transaction.atomic
def correction_complete(*, actor, correction_id, reference: str) -> RecordCorrection:
    require_role(actor, Role.SYSADMIN, message="システム管理者のみ利用できます。")
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
    audit_record(actor=actor, action="correction.complete", target_id=correction.target_id,
                 detail={"correction_id": correction.pk})
    return correction


def corrections_open(*, actor) -> list[dict]:
    """The system admins' worklist: atena_no, owning department and dates, never names."""
    require_role(actor, Role.SYSADMIN, message="システム管理者のみ利用できます。")
    rows = list(RecordCorrection.objects.filter(status=CorrectionStatus.OPEN)
                .values("id", "target_id", "atena_no", "requested_at", "target__owning_department__name"))
    # Which people's atena_no were shown, as for the shared list: "who has seen this person" finds it.
    audit_record(actor=actor, action="correction.list",
                 detail={"count": len(rows), "target_ids": [r["target_id"] for r in rows]})
    return [{"id": r["id"], "atena_no": r["atena_no"], "requested_at": r["requested_at"],
             "department": r["target__owning_department__name"]} for r in rows]


def corrections_for_target(target: Target) -> list[RecordCorrection]:
    """History on a target's page (the caller read the target through target_get_for_user)."""
    return list(target.record_corrections.select_related("requested_by", "done_by"))

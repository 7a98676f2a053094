"""決裁票 of a grant or revoke of another department's access (ADR 0025, 0028, 0034).

A grant is decided at once by the owner's head, not through a ChangeRequest, so its slip
prints a GrantRecord: who granted or revoked which department's access, when, and why."""
import datetime
from dataclasses import dataclass

from django.conf import settings

from accounts.models import Staff
from audit.actions import AuditAction
from audit.services import audit_record
from core import policy
from core.policy import Capability

from .models import GrantKind, GrantRecord
from .selectors import object_id, refuse


@dataclass(frozen=True)
class GrantSlip:
    record: GrantRecord
    municipality: str
    title: str
    decided_at: datetime.datetime

    @property
    def file_stem(self) -> str:
        """The only name a saved copy gets: ids, never a person."""
        return f"kessai-grant-{self.record.pk}"


_TITLES = {GrantKind.GRANTED: "他の所属への閲覧の許可", GrantKind.REVOKED: "他の所属への閲覧の許可の取消し"}


def grant_records_for_target(target_id: int) -> list[GrantRecord]:
    """The grants and revokes of a target the caller has read as its owner, newest first."""
    return list(GrantRecord.objects.filter(target_id=target_id).select_related("department", "by"))


def grant_record_slip(*, actor: Staff, record_id: object) -> GrantSlip:
    """The slip of a grant record of a target the actor's department owns (anything else, and
    a record that does not exist: the same NotFound, audited). Shown = a read of the person."""
    policy.require(actor, Capability.HANDLE_VICTIMS)
    pk = object_id(record_id)
    record = (GrantRecord.objects.select_related("target", "department", "by", "by_department", "change_request")
              .filter(policy.grant_record_scope(actor), pk=pk).first() if pk is not None else None)
    if record is None:
        raise refuse(actor=actor, action=AuditAction.GRANT_RECORD_SLIP, detail={"grant_record_id": pk})
    audit_record(actor=actor, action=AuditAction.GRANT_RECORD_SLIP, target_id=record.target_id,
                 detail={"grant_record_id": record.pk, "via": "screen"})
    return GrantSlip(record=record, municipality=settings.MUNICIPALITY_NAME,
                     title=_TITLES[GrantKind(record.kind)], decided_at=record.at)

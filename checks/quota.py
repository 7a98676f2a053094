"""The daily quota of numbers a caller may look up in bulk (bulk checks and recipient files
together, Japan-time day): BULK_NUMBERS_PER_CALLER_DAY. Counted from the caller's own
audit events, so nothing else has to be kept. An exceeding request is refused (429),
audited with the figures, and shown to auditors as an alert (ADR 0017). Single checks
are not counted: each is its own audited event, and the anomaly view counts them."""
import logging

from django.conf import settings

from audit.actions import AuditAction
from audit.bulk_volume import QUOTA_REASON, bulk_numbers_today
from audit.services import audit_refusal
from core.errors import TooManyRequests

logger = logging.getLogger("dvprotect.checks")


def bulk_quota_require(*, actor, action: AuditAction, numbers: int) -> None:
    quota = int(getattr(settings, "BULK_NUMBERS_PER_CALLER_DAY", 1_000_000))
    used = bulk_numbers_today(actor.pk)
    if used + numbers <= quota:
        return
    audit_refusal(actor=actor, action=action,
                  detail={"reason": QUOTA_REASON, "requested": numbers, "used_today": used, "quota": quota})
    logger.warning("bulk quota exceeded by staff #%s: %s used today, %s requested, quota %s",
                   actor.pk, used, numbers, quota)
    raise TooManyRequests(
        f"1日に一括で確認できる件数の上限（{quota:,} 件）を超えるため、受け付けませんでした"
        f"（本日これまで {used:,} 件、今回 {numbers:,} 件）。翌日に送信するか、上限について"
        "システム管理者にご相談ください。"
    )

"""TOTP two-factor login (総務省ガイドライン: multi-factor for マイナンバー利用事務系).

Every staff member enrols one TOTP device; recovery is a system administrator's reset,
which is audited. Tokens are checked by django-otp, which also throttles guessing."""
import base64

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.actions import AuditAction
from audit.services import audit_denied, audit_record, audited_atomic, require_capability
from core.errors import DomainError, NotFound
from core.policy import Capability

from .models import RevokeReason, Staff
from .services import api_tokens_revoke_for

ISSUER = "DV-Protect"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed device being enrolled (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="default", confirmed=False)


def enrolment_qr_data_uri(device: TOTPDevice) -> str:
    # An image data URI: no script and no outside service sees the secret.
    # A standalone SVG document (with xmlns): svg_inline()'s fragment, meant for pasting into
    # HTML, is no image to the browser as a data: URI. A white ground for the scanner.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, light="#fff")


def manual_key(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_confirm_enrolment(*, request, token: str) -> None:
    """Confirm the device being enrolled. A wrong code is refused after the transaction has
    committed, so both its audit event and django-otp's failure count (the throttle) stay."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=request.user, confirmed=False).first()
        confirmed = device is not None and device.verify_token((token or "").strip())
        if confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_record(actor=request.user, action=AuditAction.AUTH_TOTP_ENROL)
    if not confirmed:
        audit_denied(actor=request.user, action=AuditAction.AUTH_TOTP_ENROL)
        raise DomainError("確認コードが正しくありません。アプリに表示された6桁の数字を入力してください。", "token")


def totp_verify(*, request, token: str) -> None:
    device = confirmed_device(request.user)
    if device is None:
        raise DomainError("2段階認証が登録されていません。", "token")
    allowed, _ = device.verify_is_allowed()
    if not allowed or not device.verify_token((token or "").strip()):
        audit_denied(actor=request.user, action=AuditAction.AUTH_TOTP_FAILED)
        message = ("確認コードが正しくありません。" if allowed
                   else "試行回数が多すぎます。しばらく待ってから入力してください。")
        raise DomainError(message, "token")
    otp_login(request, device)
    audit_record(actor=request.user, action=AuditAction.AUTH_TOTP_VERIFIED)


@audited_atomic
def totp_reset(*, actor, username: str) -> None:
    """Recovery for a lost device: only a system administrator, never for oneself, always audited."""
    require_capability(actor, Capability.OPERATE_SYNC, action=AuditAction.STAFF_TOTP_RESET)
    staff = Staff.objects.filter(username=username).first()
    if staff is None:
        raise NotFound("職員が見つかりません。")
    if staff.pk == actor.pk:
        raise DomainError("自分自身の2段階認証はリセットできません。別のシステム管理者に依頼してください。", "username")
    TOTPDevice.objects.filter(user=staff).delete()
    audit_record(actor=actor, action=AuditAction.STAFF_TOTP_RESET, detail={"staff_id": staff.pk})
    # Whoever had the lost device may have the tokens too: they go with it.
    api_tokens_revoke_for(actor=actor, staff_id=staff.pk, reason=RevokeReason.TOTP_RESET)

"""TOTP two-factor login (総務省ガイドライン: multi-factor for マイナンバー利用事務系).

Every staff member enrols one TOTP device; recovery is a system administrator's reset,
which is audited. Tokens are checked by django-otp, which also throttles guessing."""
import base64

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.access import require_role
from audit.models import Outcome
from audit.services import audit_record
from config.errors import DomainError, NotFound

from .models import Role, Staff

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
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def manual_key(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def totp_confirm_enrolment(*, request, token: str) -> None:
    device = TOTPDevice.objects.select_for_update().filter(user=request.user, confirmed=False).first()
    if device is None or not device.verify_token((token or "").strip()):
        audit_record(actor=request.user, action="auth.totp_enrol", outcome=Outcome.DENIED)
        raise DomainError("確認コードが正しくありません。アプリに表示された6桁の数字を入力してください。", "token")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    audit_record(actor=request.user, action="auth.totp_enrol")


def totp_verify(*, request, token: str) -> None:
    device = confirmed_device(request.user)
    if device is None:
        raise DomainError("2段階認証が登録されていません。", "token")
    allowed, _ = device.verify_is_allowed()
    if not allowed or not device.verify_token((token or "").strip()):
        audit_record(actor=request.user, action="auth.totp_failed", outcome=Outcome.DENIED)
        raise DomainError("確認コードが正しくありません。" if allowed
                          else "試行回数が多すぎます。しばらく待ってから入力してください。", "token")
    otp_login(request, device)
    audit_record(actor=request.user, action="auth.totp_verified")


@transaction.atomic
def totp_reset(*, actor, username: str) -> None:
    """Recovery for a lost device: only a system administrator, never for oneself, always audited."""
    require_role(actor, Role.SYSADMIN)
    staff = Staff.objects.filter(username=username).first()
    if staff is None:
        raise NotFound("職員が見つかりません。")
    if staff.pk == actor.pk:
        raise DomainError("自分自身の2段階認証はリセットできません。別のシステム管理者に依頼してください。", "username")
    TOTPDevice.objects.filter(user=staff).delete()
    audit_record(actor=actor, action="staff.totp_reset", detail={"staff_id": staff.pk})

from rest_framework import authentication, exceptions

from accounts.authentication import credential
from audit.actions import AuditAction
from audit.services import audit_denied

from .models import SystemClient


class SystemClientAuthentication(authentication.BaseAuthentication):
    """`Authorization: System <key>` for calling business systems. A revoked or unknown key
    is refused and the refusal is audited (by client code when the key names one)."""

    keyword = "System"

    def authenticate(self, request):
        raw = credential(request, self.keyword, "システム認証情報の形式が正しくありません。")
        if raw is None:
            return None
        client = (SystemClient.objects.select_related("staff", "staff__department", "department")
                  .filter(key_hash=SystemClient.hash_key(raw)).first())
        if client is None or not client.is_usable:
            audit_denied(actor=client.staff if client else None, action=AuditAction.SYSTEM_CLIENT_AUTHENTICATE,
                         # The code part of "<code>.<secret>" only: never any part of a secret.
                         detail={"client": client.code if client else (raw.split(".", 1)[0][:40] if "." in raw else ""),
                                 "reason": "revoked" if client else "unknown"})
            raise exceptions.AuthenticationFailed("システム認証情報が無効です。")
        return client.staff, client

    def authenticate_header(self, request):
        return self.keyword

"""Permission classes for the JSON API. Deny by default: every view names who may call it.

A staff member's role decides; a calling system (integration.SystemClient) is admitted
only to views that list one of its scopes in `system_scopes`, never elsewhere."""
from rest_framework.permissions import BasePermission

from audit.services import audit_denied


def _system_client(request):
    auth = request.auth
    return auth if getattr(auth, "is_system_client", False) else None


class _Denying(BasePermission):
    message = "この操作を行う権限がありません。"

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not getattr(user, "is_authenticated", False):
            return False  # DRF turns this into 401 when no credentials were given
        client = _system_client(request)
        if client is not None:
            allowed = client.is_usable and bool(set(client.scopes) & set(getattr(view, "system_scopes", ())))
        else:
            allowed = self.allows(user)
        if not allowed:
            audit_denied(actor=user, action="api.denied",
                         detail={"view": type(view).__name__, "method": request.method})
        return allowed

    def allows(self, user) -> bool:  # pragma: no cover - overridden
        return False


class IsVictimStaff(_Denying):
    """Counter staff and approvers of a department; system admins and auditors are refused."""

    def allows(self, user) -> bool:
        return user.is_victim_staff


class IsCheckCaller(_Denying):
    """Who may reach the inquiry-time check. The selector itself refuses non-linkage
    departments (and audits that), so staff of any victim department pass here."""

    message = "情報連携を行う所属の職員のみ確認できます。"

    def allows(self, user) -> bool:
        return user.is_victim_staff


class SystemClientOnly(_Denying):
    """Endpoints for calling systems only (e.g. the 住民記録 push); staff are refused."""

    def allows(self, user) -> bool:
        return False

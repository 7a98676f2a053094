"""Permission classes for the JSON API. Deny by default: every view names who may call it.

A staff member's role decides; a calling system (integration.SystemClient) is admitted
only to views that list one of its scopes in `system_scopes`, never elsewhere."""
from rest_framework.permissions import BasePermission

from audit.actions import AuditAction
from audit.services import audit_denied
from core import policy
from core.policy import Capability


def _system_client(request):
    auth = request.auth
    return auth if getattr(auth, "is_system_client", False) else None


class _Denying(BasePermission):
    message = "この操作を行う権限がありません。"
    audit_action = AuditAction.API_DENIED

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
            audit_denied(actor=user, action=getattr(view, "denied_audit_action", self.audit_action),
                         detail={"view": type(view).__name__, "method": request.method})
        return allowed

    def allows(self, user) -> bool:  # pragma: no cover - overridden
        return False


class IsVictimStaff(_Denying):
    """Counter staff and approvers of a department; system admins and auditors are refused."""

    def allows(self, user) -> bool:
        return policy.allows(user, Capability.HANDLE_VICTIMS)


class IsCheckCaller(_Denying):
    """The inquiry-time checks and the recipient filter: staff of a linkage department only,
    refused before the body is even validated. The selectors check again (defence in depth)."""

    message = policy.refusal_message(Capability.CHECK)
    audit_action = AuditAction.INQUIRY_CHECK

    def allows(self, user) -> bool:
        return policy.allows(user, Capability.CHECK)


class SystemClientOnly(_Denying):
    """Endpoints for calling systems only (e.g. the 住民記録 push); staff are refused."""

    def allows(self, user) -> bool:
        return False


class IsProvisionCaller(_Denying):
    """Manual-provision decisions (ADR 0037): victim staff (the contact point records and
    decides; an owning department lists its targets' decisions) and auditors (list). Which
    decisions each sees, and who may record or decide, the services ask core.policy."""

    def allows(self, user) -> bool:
        return policy.may_list_provision_decisions(user)

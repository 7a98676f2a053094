"""Confirmation of a layout's code values by a system administrator (ADR 0043).

The meaning of the 照会側不開示コード's values is not public; a definition carries them, and
stamping with a wrong value is worse than not stamping. So the stamper (and the provision
check) runs only with a definition whose exact bytes — its SHA-256 — were confirmed. Editing
the definition, even one value, needs a new confirmation."""
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record, audit_refusal, audited_atomic
from core import policy
from core.errors import Conflict, Forbidden

from .file_layouts import Layout
from .models import FileLayoutConfirmation

_NOT_ADMIN = "ファイルレイアウトのコード値の確認は、システム管理者のみ行えます。"


def current_confirmation(layout: Layout) -> FileLayoutConfirmation | None:
    return (FileLayoutConfirmation.objects.filter(layout_name=layout.name, definition_sha256=layout.sha256)
            .select_related("confirmed_by").order_by("-confirmed_at", "-pk").first())


@audited_atomic
def layout_confirm(*, actor, layout: Layout) -> FileLayoutConfirmation:
    """Record that `actor` confirmed the layout's code values, as the definition has them now."""
    if not policy.may_confirm_file_layout(actor):
        audit_refusal(actor=actor, action=AuditAction.FILE_LAYOUT_CONFIRM, detail={"layout": layout.name})
        raise Forbidden(_NOT_ADMIN)
    confirmation = FileLayoutConfirmation.objects.create(
        layout_name=layout.name, kind=layout.kind, version=layout.version, definition_sha256=layout.sha256,
        values=layout.values_text(), confirmed_by=actor, confirmed_at=timezone.now())
    audit_record(actor=actor, action=AuditAction.FILE_LAYOUT_CONFIRM, detail={
        "layout": layout.name, "kind": layout.kind, "version": layout.version, "sha256": layout.sha256,
        "values": layout.values_text(), "confirmation_id": confirmation.pk})
    return confirmation


def require_confirmed(*, actor, layout: Layout, action: AuditAction) -> FileLayoutConfirmation:
    """The confirmation of this exact definition, or a refusal (409, audited): nothing is stamped
    with values no administrator has vouched for."""
    confirmation = current_confirmation(layout)
    if confirmation is not None:
        return confirmation
    audit_refusal(actor=actor, action=action, detail={"reason": "layout_unconfirmed", "layout": layout.name,
                                                      "sha256": layout.sha256})
    raise Conflict(f"ファイルレイアウト {layout.name}（版 {layout.version}）のコード値が"
                   "システム管理者に確認されていないため、処理できません。システム管理者に確認（confirm_file_layout）を依頼してください。")

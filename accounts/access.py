"""Role gates shared by services, selectors and views. Deny by default."""
from config.errors import Forbidden

from .models import Role


def require_role(actor, *roles: str, message: str = "この操作を行う権限がありません。") -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_role(*roles):
        raise Forbidden(message)
    if roles != (Role.SYSADMIN,) and roles != (Role.AUDITOR,) and actor.department_id is None:
        raise Forbidden(message)


def require_victim_staff(actor) -> None:
    require_role(actor, Role.COUNTER, Role.APPROVER)


def require_linkage_staff(actor) -> None:
    require_victim_staff(actor)
    if not actor.department.does_linkage:
        raise Forbidden("情報連携を行う所属の職員のみ確認できます。")

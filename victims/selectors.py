"""Every read of victim data goes through here, scoped by the acting user and audited.

A target the actor may not see raises NotFound, exactly like one that does not exist."""
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.access import require_linkage_staff, require_victim_staff
from audit.services import audit_denied, audit_record
from config.errors import Forbidden, NotFound

from .models import PROTECTING_STATUSES, Target


def visible_targets(actor) -> QuerySet[Target]:
    """Targets whose full record the actor's department owns or was granted (guardian)."""
    if not actor.is_victim_staff:
        return Target.objects.none()
    return get_objects_for_user(
        actor, "victims.view_target", klass=Target, use_groups=True, with_superuser=False, accept_global_perms=False,
    )


def _visible_or_denied(actor, target_id: int, action: str, queryset: QuerySet[Target]) -> Target:
    try:
        require_victim_staff(actor)
    except Forbidden:
        audit_denied(actor=actor, action=action, target_id=_int_or_none(target_id))
        raise NotFound()
    target = queryset.filter(pk=_int_or_none(target_id), pk__in=visible_targets(actor).values("pk")).first()
    if target is None:
        audit_denied(actor=actor, action=action, target_id=_int_or_none(target_id))
        raise NotFound()
    return target


_BIGINT = 2 ** 63


def _int_or_none(value) -> int | None:
    """The id as the database can hold it; anything else names no object (and must not reach
    the audit row's bigint column, where it would fail the request)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -_BIGINT <= number < _BIGINT else None


def target_get_for_user(*, actor, target_id, via: str = "screen") -> Target:
    """The full record (facts, cases, notes). Records the read."""
    qs = Target.objects.select_related("owning_department").prefetch_related("cases")
    target = _visible_or_denied(actor, target_id, "target.read", qs)
    audit_record(actor=actor, action="target.read", target_id=target.pk, detail={"via": via})
    return target


def target_lock_for_user(*, actor, target_id) -> Target:
    """Row-locked target for a service that changes it; the service audits its change."""
    return _visible_or_denied(actor, target_id, "target.lock", Target.objects.select_for_update())


def target_search_by_atena(*, actor, atena_no: str) -> Target | None:
    """Exact search among the targets the actor may see; absent and hidden look alike."""
    require_victim_staff(actor)
    target = visible_targets(actor).filter(atena_no=atena_no).first()
    audit_record(actor=actor, action="target.search", target_id=target.pk if target else None,
                 detail={"atena_no": atena_no, "found": target is not None})
    return target


def target_shared_list(*, actor) -> list[dict]:
    """The minimal list every linkage department may hold: 氏名, atena_no, "is a target"."""
    require_linkage_staff(actor)
    rows = list(
        Target.objects.filter(status__in=PROTECTING_STATUSES).order_by("atena_no").values("id", "atena_no", "name")
    )
    audit_record(actor=actor, action="target.shared_list",
                 detail={"count": len(rows), "target_ids": [r["id"] for r in rows]})
    return [{"atena_no": r["atena_no"], "name": r["name"], "is_target": True} for r in rows]


def target_id_for_auditor(*, actor, atena_no: str) -> int | None:
    """Auditors look a person up by atena_no to see who read them; they get an id, never the record."""
    from accounts.access import require_role
    from accounts.models import Role

    require_role(actor, Role.AUDITOR)
    return Target.objects.filter(atena_no=atena_no).values_list("id", flat=True).first()

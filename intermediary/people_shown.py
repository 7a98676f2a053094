"""Which people a sync-monitor screen showed. The screens show atena_no only, never names,
but an atena_no on a screen is still a look at that person: the screen's audit event names
the target ids (detail["target_ids"]) so "who has seen this person" lists it (ADR 0021).

intermediary sits below victims and cannot read targets; the link it owns is the change
request that wrote the operation for the unit (the target's own atena_no)."""
from collections.abc import Iterable

from .models import Operation, UnitType


def target_ids_for_units(units: Iterable[tuple[str, str]]) -> list[int]:
    """Target ids behind the (unit_type, unit_key) pairs shown; info_code units are record
    codes, not people, and are skipped. One query, sorted ids."""
    atena_nos = {key for unit_type, key in units if unit_type == UnitType.ATENA and key}
    if not atena_nos:
        return []
    ids = (Operation.objects.filter(unit_type=UnitType.ATENA, unit_key__in=atena_nos, change_request__isnull=False)
           .values_list("change_request__target_id", flat=True).distinct())
    return sorted(set(ids))

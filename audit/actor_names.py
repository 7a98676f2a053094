"""The display names (ADR 0028) of the staff who acted in audit events. An event keeps the
username as it was (the chain must not change); the name a reader recognises is looked up
beside it. The staff model is reached through the auth registry, not by importing accounts
(which sits above audit)."""
from collections.abc import Iterable

from django.contrib.auth import get_user_model


def display_names(actor_ids: Iterable[int]) -> dict[int, str]:
    """{staff id: display name} for those of `actor_ids` that have one (one query)."""
    ids = [i for i in set(actor_ids) if i is not None]
    if not ids:
        return {}
    model = get_user_model()
    return {pk: name for pk, name in model.objects.filter(pk__in=ids).exclude(display_name="")
            .values_list("pk", "display_name")}


def with_display_names(events: list) -> list:
    """The events with `actor_display_name` set (empty when the staff member has none): for
    the audit screens' actor column, which shows it first and the username beside it."""
    names = display_names(e.actor_id for e in events if getattr(e, "actor_id", None) is not None)
    for e in events:
        e.actor_display_name = names.get(e.actor_id, "") if getattr(e, "actor_id", None) is not None else ""
    return events

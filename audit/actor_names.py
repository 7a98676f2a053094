"""The display names (ADR 0028) of the staff who acted in audit events. An event keeps the
username as it was (the chain must not change); the name a reader recognises is looked up
beside it, and the screens show 「表示名（ユーザー名）」: auditors match usernames against other
logs, everyone else knows colleagues by name. The staff model is reached through the auth
registry, not by importing accounts (which sits above audit)."""
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model


def display_names(actor_ids: Iterable[int]) -> dict[int, str]:
    """{staff id: display name} for those of `actor_ids` that have one (one query)."""
    ids = [i for i in set(actor_ids) if i is not None]
    if not ids:
        return {}
    model = get_user_model()
    return {pk: name for pk, name in model.objects.filter(pk__in=ids).exclude(display_name="")
            .values_list("pk", "display_name")}


def _display_names_by_username(usernames: Iterable[str]) -> dict[str, str]:
    names = [u for u in set(usernames) if u]
    if not names:
        return {}
    model = get_user_model()
    return {u: name for u, name in model.objects.filter(username__in=names).exclude(display_name="")
            .values_list("username", "display_name")}


def _get(row: Any, key: str) -> Any:
    return row.get(key) if isinstance(row, dict) else getattr(row, key, None)


def with_display_names(rows: Iterable[Any]) -> list[Any]:
    """The rows (events, or the grouped dicts of the anomaly lists) with `actor_display_name`
    set, empty when the staff member has none: by the event's actor id, or by username for a
    grouped row that has no id. Two queries at most, whatever the number of rows."""
    rows = list(rows)
    by_id = display_names(_get(r, "actor_id") for r in rows if _get(r, "actor_id") is not None)
    by_name = _display_names_by_username(_get(r, "actor_username") or "" for r in rows
                                         if _get(r, "actor_id") is None)
    for r in rows:
        actor_id = _get(r, "actor_id")
        name = by_id.get(actor_id, "") if actor_id is not None else by_name.get(_get(r, "actor_username") or "", "")
        if isinstance(r, dict):
            r["actor_display_name"] = name
        else:
            r.actor_display_name = name
    return rows

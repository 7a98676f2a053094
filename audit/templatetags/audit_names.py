"""{{ event|actor }}: 「表示名（ユーザー名）」 for a row annotated by audit.actor_names, or the
username alone when the staff member has no display name (or the row was not annotated)."""
from typing import Any

from django import template

register = template.Library()


@register.filter
def actor(row: Any) -> str:
    get = row.get if isinstance(row, dict) else lambda key, default=None: getattr(row, key, default)
    username = get("actor_username", "") or ""
    name = get("actor_display_name", "") or ""
    return f"{name}（{username}）" if name and username else (name or username)

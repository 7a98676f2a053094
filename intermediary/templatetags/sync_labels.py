"""{{ kind|flag_label }}, {{ code|error_name }}, {{ code|error_todo }}: the sync monitor in Japanese."""
from django import template

from intermediary import sync_labels

register = template.Library()


@register.filter
def flag_label(kind: str) -> str:
    return sync_labels.flag_label(kind or "")


@register.filter
def error_name(code: str) -> str:
    return sync_labels.error_label(code).name if code else ""


@register.filter
def error_todo(code: str) -> str:
    return sync_labels.error_label(code).todo if code else ""

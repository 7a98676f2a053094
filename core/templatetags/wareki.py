"""{{ value|wareki }} → 令和8年12月2日（2026年12月2日）; empty for no date."""
from django import template

from core.wareki import wareki_and_seireki

register = template.Library()


@register.filter(name="wareki")
def wareki_filter(value):
    return wareki_and_seireki(value) if value else ""

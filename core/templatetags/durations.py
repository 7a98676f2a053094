"""{{ timedelta|age_ja }} → 「9秒」「4分5秒」「3時間12分」「2日3時間」: how long something has waited,
in the words a clerk reads aloud (not `0:00:09.720832`); empty for None."""
import datetime

from django import template

register = template.Library()


def age_ja(value: datetime.timedelta | None) -> str:
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}日{hours}時間" if hours else f"{days}日"
    if hours:
        return f"{hours}時間{minutes}分" if minutes else f"{hours}時間"
    if minutes:
        return f"{minutes}分{secs}秒" if secs else f"{minutes}分"
    return f"{secs}秒"


register.filter("age_ja", age_ja)

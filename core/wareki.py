"""和暦 (Japanese era) dates for printed documents such as the 決裁票 (ADR 0028).

Municipal paperwork is dated in the era calendar; the 西暦 follows in brackets so nobody
has to convert. Pure functions: a datetime is read in Japan time (the settings' zone), so a
moment late on 30 April 2019 UTC that is already 1 May in Japan is 令和元年."""
import datetime

from django.utils import timezone

# (first day, era name), newest first. A new era is one more line here.
ERAS: tuple[tuple[datetime.date, str], ...] = (
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
    (datetime.date(1912, 7, 30), "大正"),
    (datetime.date(1868, 10, 23), "明治"),  # proleptic: Japan kept the lunisolar calendar until 明治6年
)


def _local_date(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def wareki(value: datetime.date | datetime.datetime) -> str:
    """令和8年12月2日; the first year of an era is 元年."""
    day = _local_date(value)
    for start, name in ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    raise ValueError(f"no era for {day.isoformat()}")


def seireki(value: datetime.date | datetime.datetime) -> str:
    day = _local_date(value)
    return f"{day.year}年{day.month}月{day.day}日"


def wareki_and_seireki(value: datetime.date | datetime.datetime) -> str:
    """令和8年12月2日（2026年12月2日）."""
    return f"{wareki(value)}（{seireki(value)}）"

"""Reflection windows of the intermediate server (DOMAIN.md §4), as pure functions.

NO_AUTO_RESPONSE: a window every `interval` minutes while inside the system service hours
or the データ送受信機能停止時間. NONDISCLOSURE: once a day at `daily_at`, inside the stop
hours. All window arithmetic is in Japan time; callers pass and receive aware datetimes."""
import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .flag_kinds import NO_AUTO_RESPONSE, NONDISCLOSURE

JST = ZoneInfo("Asia/Tokyo")


def _hhmm(text: str) -> datetime.time:
    hh, mm = text.strip().split(":")
    return datetime.time(23, 59, 59) if (int(hh), int(mm)) == (24, 0) else datetime.time(int(hh), int(mm))


@dataclass(frozen=True)
class TimeRange:
    start: datetime.time
    end: datetime.time

    @classmethod
    def parse(cls, text: str) -> "TimeRange":
        a, b = text.split("-")
        return cls(_hhmm(a), _hhmm(b))

    def contains(self, t: datetime.time) -> bool:
        if self.start <= self.end:
            return self.start <= t <= self.end
        return t >= self.start or t <= self.end  # wraps past midnight


@dataclass(frozen=True)
class WindowConfig:
    service: TimeRange
    stop: TimeRange
    daily_at: datetime.time
    interval_minutes: int = 5

    def __post_init__(self):
        if not self.stop.contains(self.daily_at):
            raise ValueError("the daily NONDISCLOSURE window must lie inside the データ送受信機能停止時間")
        if not 1 <= self.interval_minutes <= 60 or 60 % self.interval_minutes:
            raise ValueError("interval must divide an hour")

    @classmethod
    def from_settings(cls, s) -> "WindowConfig":
        return cls(TimeRange.parse(s.INTERMEDIARY_SERVICE_HOURS), TimeRange.parse(s.INTERMEDIARY_STOP_HOURS),
                   _hhmm(s.INTERMEDIARY_DAILY_AT), s.INTERMEDIARY_INTERVAL_MINUTES)


def _nar_open(local: datetime.datetime, cfg: WindowConfig) -> bool:
    t = local.time()
    return cfg.service.contains(t) or cfg.stop.contains(t)


def next_window(kind: str, at: datetime.datetime, cfg: WindowConfig) -> datetime.datetime:
    """The first window at or after `at`."""
    local = at.astimezone(JST)
    if kind == NONDISCLOSURE:
        candidate = datetime.datetime.combine(local.date(), cfg.daily_at, tzinfo=JST)
        if candidate < local:
            candidate = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), cfg.daily_at, tzinfo=JST)
        return candidate
    if kind != NO_AUTO_RESPONSE:
        raise ValueError(f"unknown flag kind {kind!r}")
    step = datetime.timedelta(minutes=cfg.interval_minutes)
    floor = local.replace(minute=local.minute - local.minute % cfg.interval_minutes, second=0, microsecond=0)
    candidate = floor if floor == local else floor + step
    for _ in range(24 * 60 // cfg.interval_minutes + 1):
        if _nar_open(candidate, cfg):
            return candidate
        candidate += step
    raise ValueError("no NO_AUTO_RESPONSE window in a whole day: check the configured hours")


def window_to_build(kind: str, now: datetime.datetime, cfg: WindowConfig,
                    lead: datetime.timedelta) -> datetime.datetime | None:
    """The window whose batch should be written now: the next window, once it is within `lead`.
    An operation approved after that moment waits for the following window, never longer."""
    window = next_window(kind, now, cfg)
    return window if now >= window - lead else None


def pickup_window(kind: str, first_seen: datetime.datetime, cfg: WindowConfig) -> datetime.datetime:
    """When the server (and the emulator) reflects a file it first saw at `first_seen`."""
    return next_window(kind, first_seen, cfg)

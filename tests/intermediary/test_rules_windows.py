"""Pure functions: windows, coalescing, backoff, naming."""
import datetime

import pytest

from intermediary import rules, windows
from intermediary.windows import JST, TimeRange, WindowConfig

CFG = WindowConfig(TimeRange.parse("06:00-23:30"), TimeRange.parse("01:00-05:00"), datetime.time(2, 0), 5)


def t(day, hh, mm, ss=0):
    return datetime.datetime(2026, 11, day, hh, mm, ss, tzinfo=JST)


@pytest.mark.parametrize("now, expected", [
    (t(24, 10, 2), t(24, 10, 5)),
    (t(24, 10, 5), t(24, 10, 5)),          # a window is inclusive
    (t(24, 10, 5, 1), t(24, 10, 10)),      # just after a window: the next one, 5 minutes later
    (t(24, 23, 30), t(24, 23, 30)),
    (t(24, 23, 31), t(25, 1, 0)),          # outside service hours: next window in the stop hours
    (t(25, 5, 1), t(25, 6, 0)),
])
def test_no_auto_response_every_5_minutes_inside_hours(now, expected):
    assert windows.next_window("NO_AUTO_RESPONSE", now, CFG) == expected


@pytest.mark.parametrize("now, expected", [
    (t(24, 10, 0), t(25, 2, 0)),
    (t(25, 1, 59), t(25, 2, 0)),
    (t(25, 2, 0), t(25, 2, 0)),
    (t(25, 2, 0, 1), t(26, 2, 0)),
])
def test_nondisclosure_once_a_day(now, expected):
    assert windows.next_window("NONDISCLOSURE", now, CFG) == expected


def test_windows_are_computed_in_japan_time_from_utc_input():
    utc = datetime.datetime(2026, 11, 24, 1, 2, tzinfo=datetime.UTC)  # 10:02 JST
    assert windows.next_window("NO_AUTO_RESPONSE", utc, CFG) == t(24, 10, 5)


def test_batch_is_built_only_within_the_lead_of_its_window():
    lead = datetime.timedelta(seconds=60)
    assert windows.window_to_build("NO_AUTO_RESPONSE", t(24, 10, 3, 59), CFG, lead) is None
    assert windows.window_to_build("NO_AUTO_RESPONSE", t(24, 10, 4), CFG, lead) == t(24, 10, 5)
    assert windows.window_to_build("NONDISCLOSURE", t(24, 10, 4), CFG, lead) is None


def test_daily_window_must_lie_inside_the_stop_hours():
    with pytest.raises(ValueError):
        WindowConfig(TimeRange.parse("06:00-23:30"), TimeRange.parse("01:00-05:00"), datetime.time(12, 0), 5)


def test_wrapping_time_range():
    r = TimeRange.parse("23:00-02:00")
    assert r.contains(datetime.time(23, 30)) and r.contains(datetime.time(1, 0)) and not r.contains(datetime.time(3, 0))


def test_coalesce_keeps_the_latest_approved_state_and_records_cover():
    base = t(24, 10, 0)
    ops = [rules.PendingOp(i, "atena", "100000000000001", "NO_AUTO_RESPONSE", a, base + datetime.timedelta(seconds=i),
                           i + 1) for i, a in enumerate(["set", "release", "set"])]
    ops.append(rules.PendingOp(9, "atena", "100000000000002", "NO_AUTO_RESPONSE", "set", base, 1))
    send, covered = rules.coalesce(ops)
    assert sorted((o.id, o.action) for o in send) == [(2, "set"), (9, "set")]
    assert covered == {0: 2, 1: 2}


def test_coalesce_net_release():
    base = t(24, 10, 0)
    ops = [rules.PendingOp(i, "atena", "100000000000001", "NONDISCLOSURE", a, base + datetime.timedelta(seconds=i),
                           i + 1) for i, a in enumerate(["set", "release"])]
    send, covered = rules.coalesce(ops)
    assert [(o.id, o.action) for o in send] == [(1, "release")] and covered == {0: 1}


def test_coalesce_latest_is_the_unit_order_not_the_clock():
    """Same instant, or the newer approval stamped earlier by a host whose clock is behind:
    the unit's sequence decides (ADR 0084); created_at only orders units in the file."""
    base = t(24, 10, 0)
    newer_release = rules.PendingOp(1, "atena", "100000000000001", "NONDISCLOSURE", "release", base, 2)
    older_set = rules.PendingOp(2, "atena", "100000000000001", "NONDISCLOSURE", "set", base, 1)
    assert rules.coalesce([newer_release, older_set]) == ([newer_release], {2: 1})
    behind = rules.PendingOp(3, "atena", "100000000000001", "NONDISCLOSURE", "release",
                             base - datetime.timedelta(seconds=30), 2)
    ahead = rules.PendingOp(4, "atena", "100000000000001", "NONDISCLOSURE", "set", base, 1)
    other = rules.PendingOp(5, "atena", "100000000000002", "NONDISCLOSURE", "set",
                            base - datetime.timedelta(seconds=10), 1)
    assert rules.coalesce([ahead, other, behind]) == ([behind, other], {4: 3})


def test_backoff_is_exponential_and_capped():
    assert [rules.backoff_seconds(n, base=30, cap=3600) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert rules.backoff_seconds(20, base=30, cap=3600) == 3600
    assert rules.is_dead(8, 8) and not rules.is_dead(7, 8)


def test_file_name_carries_kind_municipality_and_time():
    name = rules.batch_file_name(flag_kind="NONDISCLOSURE", municipality_code="131041", window_at=t(25, 2, 0),
                                 reception_number="123")
    assert name == "FLAG_NONDISCLOSURE_131041_202611250200_123.xml"
    assert rules.flag_kind_from_file_name(name) == "NONDISCLOSURE"

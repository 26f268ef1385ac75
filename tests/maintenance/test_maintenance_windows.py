"""Maintenance windows evaluated at fixed instants: daily, weekly, across midnight,
across daylight-saving changes (Europe/Berlin, America/New_York), one-off."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from e2echeck.config.maintenance import MaintenanceWindow
from e2echeck.maintenance import window_active, window_span


def window(**fields: Any) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate({"name": "w", **fields})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def active_at(w: MaintenanceWindow, *instants: str) -> list[bool]:
    return [window_active(w, utc(i)) for i in instants]


def test_daily_window_keeps_local_wall_time_in_winter_and_summer() -> None:
    w = window(start="22:00", duration="1h", timezone="Europe/Berlin")
    # Winter (CET, UTC+1): 22:00-23:00 local is 21:00-22:00 UTC.
    assert active_at(w, "2026-01-15T20:59", "2026-01-15T21:00", "2026-01-15T21:59") == [
        False,
        True,
        True,
    ]
    assert active_at(w, "2026-01-15T22:00") == [False]  # the end is exclusive
    # Summer (CEST, UTC+2): the same local window is 20:00-21:00 UTC.
    assert active_at(w, "2026-07-15T19:59", "2026-07-15T20:30", "2026-07-15T21:00") == [
        False,
        True,
        False,
    ]


def test_default_time_zone_is_utc() -> None:
    w = window(start="03:00", duration="30m")
    assert active_at(w, "2026-05-01T02:59", "2026-05-01T03:00", "2026-05-01T03:30") == [
        False,
        True,
        False,
    ]


def test_weekly_window_only_on_its_weekdays() -> None:
    w = window(every=["tue", "thu"], start="22:00", duration="1h", timezone="Europe/Berlin")
    # 2026-12-01 is a Tuesday: 22:30 CET = 21:30 UTC.
    tue, wed, thu = "2026-12-01T21:30", "2026-12-02T21:30", "2026-12-03T21:30"
    assert active_at(w, tue, wed, thu) == [True, False, True]


def test_weekday_is_the_local_one() -> None:
    # Monday 21:00 in New York is Tuesday 01:00 UTC.
    w = window(every=["mon"], start="21:00", duration="1h", timezone="America/New_York")
    assert active_at(w, "2026-06-02T01:30") == [True]  # Tuesday in UTC, Monday there
    assert active_at(w, "2026-06-01T01:30") == [False]  # Sunday evening there


def test_window_across_midnight_belongs_to_its_start_day() -> None:
    w = window(every=["fri"], start="23:00", duration="3h")  # 2026-11-27 is a Friday
    assert active_at(w, "2026-11-27T22:59", "2026-11-27T23:00", "2026-11-28T01:59") == [
        False,
        True,
        True,
    ]
    assert active_at(w, "2026-11-28T02:00", "2026-11-28T23:30") == [False, False]
    assert window_span(w, utc("2026-11-28T01:00")) == (
        utc("2026-11-27T23:00"),
        utc("2026-11-28T02:00"),
    )


def test_berlin_spring_forward() -> None:
    # 2026-03-29: at 02:00 CET the clocks jump to 03:00 CEST (01:00 UTC).
    across = window(start="01:30", duration="1h", timezone="Europe/Berlin")
    # 01:30 CET = 00:30 UTC; one hour of elapsed time ends 01:30 UTC = 03:30 CEST.
    assert active_at(across, "2026-03-29T00:29", "2026-03-29T01:15", "2026-03-29T01:30") == [
        False,
        True,
        False,
    ]
    # A start in the gap (02:30 never shows on the clock that night) begins when
    # the clock would have shown it: 02:30 CET = 01:30 UTC (03:30 CEST).
    gap = window(start="02:30", duration="1h", timezone="Europe/Berlin")
    assert active_at(gap, "2026-03-29T01:29", "2026-03-29T01:30", "2026-03-29T02:29") == [
        False,
        True,
        True,
    ]
    assert active_at(gap, "2026-03-29T02:30") == [False]
    assert active_at(gap, "2026-03-30T00:30", "2026-03-30T01:30") == [True, False]  # CEST


def test_berlin_fall_back() -> None:
    # 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET (01:00 UTC).
    fold = window(start="02:30", duration="30m", timezone="Europe/Berlin")
    # 02:30 happens twice; the window runs once, at the first (CEST, 00:30 UTC).
    assert active_at(fold, "2026-10-25T00:29", "2026-10-25T00:30", "2026-10-25T00:59") == [
        False,
        True,
        True,
    ]
    assert active_at(fold, "2026-10-25T01:30", "2026-10-25T01:45") == [False, False]
    # A window over the change lasts its elapsed duration: 22:00 CEST + 8h ends
    # at 04:00 UTC, which is 05:00 CET on the wall clock.
    night = window(every=["sat"], start="22:00", duration="8h", timezone="Europe/Berlin")
    assert active_at(night, "2026-10-24T19:59", "2026-10-24T20:00", "2026-10-25T03:59") == [
        False,
        True,
        True,
    ]
    assert active_at(night, "2026-10-25T04:00") == [False]


def test_new_york_spring_forward_and_fall_back() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    across = window(start="01:00", duration="2h", timezone="America/New_York")
    # 01:00 EST = 06:00 UTC; ends 08:00 UTC = 04:00 EDT.
    assert active_at(across, "2026-03-08T05:59", "2026-03-08T07:30", "2026-03-08T08:00") == [
        False,
        True,
        False,
    ]
    gap = window(start="02:15", duration="15m", timezone="America/New_York")
    # 02:15 does not exist that night: 02:15 EST = 07:15 UTC (03:15 EDT).
    assert active_at(gap, "2026-03-08T07:14", "2026-03-08T07:15", "2026-03-08T07:30") == [
        False,
        True,
        False,
    ]
    # 2026-11-01: 02:00 EDT goes back to 01:00 EST (06:00 UTC); 01:30 happens twice.
    fold = window(start="01:30", duration="30m", timezone="America/New_York")
    assert active_at(fold, "2026-11-01T05:30", "2026-11-01T05:59") == [True, True]  # EDT
    assert active_at(fold, "2026-11-01T06:30", "2026-11-01T06:45") == [False, False]  # EST
    # The day after: 01:30 EST = 06:30 UTC.
    assert active_at(fold, "2026-11-02T06:30", "2026-11-02T05:30") == [True, False]


def test_one_off_window_with_offsets() -> None:
    w = window(**{"from": "2026-12-05T21:00:00Z", "to": "2026-12-05T23:30:00+00:00"})
    assert active_at(w, "2026-12-05T20:59", "2026-12-05T21:00", "2026-12-05T23:29") == [
        False,
        True,
        True,
    ]
    assert active_at(w, "2026-12-05T23:30", "2026-12-12T22:00") == [False, False]
    local = window(**{"from": "2026-12-05T22:00:00+01:00", "to": "2026-12-06T00:30:00+01:00"})
    assert active_at(local, "2026-12-05T21:00", "2026-12-05T23:29") == [True, True]


def test_week_long_window_is_found_from_its_start() -> None:
    w = window(every=["mon"], start="00:00", duration="168h")
    # 2026-11-23 is a Monday; a week-long window covers the whole week after it.
    assert active_at(w, "2026-11-29T23:59", "2026-11-23T00:00") == [True, True]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start": "24:00", "duration": "1h"}, "HH:MM"),
        ({"start": "7:5", "duration": "1h"}, "HH:MM"),
        ({"start": "22:00", "duration": "1h", "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"start": "22:00", "duration": "200h"}, "at most 168h"),
        ({"start": "22:00", "duration": 0}, "more than 0"),
        ({"start": "22:00"}, "needs start and duration"),
        ({"from": "2026-12-05T21:00:00"}, "no time zone"),
        ({"from": "2026-12-05T21:00:00Z"}, "both from and to"),
        ({"from": "2026-12-05T21:00:00Z", "to": "2026-12-05T20:00:00Z"}, "after from"),
        ({"from": "2026-12-05T21:00Z", "to": "2026-12-05T22:00Z", "start": "10:00"}, "not both"),
        ({"every": ["tuesday"], "start": "22:00", "duration": "1h"}, "tue"),
    ],
)
def test_invalid_windows(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        window(**fields)

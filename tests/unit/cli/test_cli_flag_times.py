"""`--since`/`--until` values: Go durations before now, RFC3339 times, unix timestamps."""

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from porthole.cli.flags.times import api_timestamp, go_duration, parse_time
from runtime.errors import InvalidParameter

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
NOW_UNIX = int(NOW.timestamp())


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10m", 600.0),
        ("1h30m", 5400.0),
        ("1.5s", 1.5),
        ("300ms", 0.3),
        ("2h45m10s", 9910.0),
        ("0", 0.0),
        ("1us", 1e-6),
        ("1µs", 1e-6),
        ("5ns", 5e-9),
        ("-1m", -60.0),
        ("+2s", 2.0),
        (".5h", 1800.0),
    ],
)
def test_go_duration(text, seconds):
    assert go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10", "", "m", "10x", "1h 30m", "h1"])
def test_bad_go_durations(text):
    with pytest.raises(InvalidParameter, match="expected a number and a unit"):
        go_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", str(NOW_UNIX - 600)),
        ("1h", str(NOW_UNIX - 3600)),
        ("2024-05-01T11:00:00Z", f"{NOW_UNIX - 3600}.000000000"),
        ("2024-05-01T11:00:00.25Z", f"{NOW_UNIX - 3600}.250000000"),
        ("2024-05-01T13:00:00+02:00", f"{NOW_UNIX - 3600}.000000000"),
        ("2024-05-01T06:00:00-05:00", f"{NOW_UNIX - 3600}.000000000"),
        ("2024-05-01Z", f"{NOW_UNIX - 12 * 3600}.000000000"),
        ("1714557600", "1714557600"),
        ("1714557600.5", "1714557600.5"),
        ("0", "0"),
    ],
)
def test_api_timestamp(text, expected):
    assert api_timestamp(text, now=NOW) == expected


def test_a_time_without_zone_is_local_time():
    local = datetime(2024, 5, 1, 11, 0, 0).astimezone()
    assert api_timestamp("2024-05-01T11:00:00", now=NOW) == f"{int(local.timestamp())}.000000000"
    assert api_timestamp("2024-05-01T11:00", now=NOW) == f"{int(local.timestamp())}.000000000"
    assert api_timestamp("2024-05-01T11", now=NOW) == f"{int(local.timestamp())}.000000000"


def test_parse_time_keeps_the_zone():
    assert parse_time("2024-05-01T10:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    assert parse_time("yesterday") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-13-01", "invalid time '2024-13-01'"),
        ("2024-05-01T25:00:00Z", "invalid time '2024-05-01T25:00:00Z'"),
        ("2024-05-01 10:00", "expected RFC3339"),
        ("yesterday", "not a duration (10m), an RFC3339 time nor a unix timestamp"),
    ],
)
def test_bad_times(text, message):
    with pytest.raises(InvalidParameter, match=re.escape(message)):
        api_timestamp(text, now=NOW)

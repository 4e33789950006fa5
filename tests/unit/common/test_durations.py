import pytest

from common.durations import go_duration_ns, go_duration_text, human_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-3, "Less than a second"),
        (0.5, "Less than a second"),
        (1, "1 second"),
        (1.9, "1 second"),
        (59, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (3599, "59 minutes"),
        (3600, "About an hour"),
        (5400, "2 hours"),  # Go rounds half an hour up
        (2 * 3600, "2 hours"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (3 * 86400, "3 days"),
        (14 * 86400, "2 weeks"),
        (15 * 86400, "2 weeks"),
        (60 * 86400, "2 months"),
        (90 * 86400, "3 months"),
        (2 * 365 * 86400, "2 years"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_as_go_units(seconds, text):
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("0", 0),
        ("30s", 30 * 10**9),
        ("1m30s", 90 * 10**9),
        ("500ms", 5 * 10**8),
        ("1.5h", 5400 * 10**9),
        ("2us", 2000),
        ("1µs", 1000),
        ("5ns", 5),
        ("2h45m10s", 9910 * 10**9),
        (".5h", 1800 * 10**9),
        ("-1m", -60 * 10**9),
        ("+2s", 2 * 10**9),
    ],
)
def test_go_duration_as_time_parse_duration(text, nanoseconds):
    assert go_duration_ns(text) == nanoseconds


@pytest.mark.parametrize("text", ["10", "", "m", "10x", "1h 30m", "h1", "1d"])
def test_what_go_does_not_read_as_a_duration(text):
    with pytest.raises(ValueError, match="time: invalid duration"):
        go_duration_ns(text)


@pytest.mark.parametrize(
    ("nanoseconds", "text"),
    [
        (0, "0s"),
        (5 * 10**9, "5s"),
        (1_500_000_000, "1.5s"),
        (90 * 10**9, "1m30s"),
        (3600 * 10**9, "1h0m0s"),
        (300_000_000, "300ms"),
        (1_500, "1.5µs"),
        (7, "7ns"),
        (-2 * 10**9, "-2s"),
    ],
)
def test_go_duration_text_as_go_prints_a_duration(nanoseconds, text):
    assert go_duration_text(nanoseconds) == text

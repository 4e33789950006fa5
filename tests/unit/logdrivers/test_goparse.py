import pytest

from logdrivers.goparse import format_duration, parse_bool, parse_duration_ns, parse_uint


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("1s", 10**9),
        ("1.5s", 1_500_000_000),
        ("100ms", 10**8),
        ("1h2m3s", 3723 * 10**9),
        ("-3us", -3000),
        ("+2µs", 2000),
        (".5m", 30 * 10**9),
        ("1ns", 1),
        ("2h", 7200 * 10**9),
    ],
)
def test_durations_as_go_parses_them(text, ns):
    assert parse_duration_ns(text) == ns


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", 'time: invalid duration ""'),
        ("1", 'time: missing unit in duration "1"'),
        ("1x", 'time: unknown unit "x" in duration "1x"'),
        ("s", 'time: invalid duration "s"'),
        ("-", 'time: invalid duration "-"'),
        ("1.s.", 'time: invalid duration "1.s."'),
    ],
)
def test_duration_errors_are_gos(text, error):
    with pytest.raises(ValueError) as caught:
        parse_duration_ns(text)
    assert str(caught.value) == error


def test_bools_and_uints():
    assert [parse_bool(t) for t in ("1", "t", "TRUE", "True", "0", "f", "false")] == [True] * 4 + [False] * 3
    with pytest.raises(ValueError, match='strconv.ParseBool: parsing "yes": invalid syntax'):
        parse_bool("yes")
    assert parse_uint("65535", 16) == 65535
    with pytest.raises(ValueError, match='parsing "65536": value out of range'):
        parse_uint("65536", 16)
    with pytest.raises(ValueError, match='parsing "-1": invalid syntax'):
        parse_uint("-1", 32)


@pytest.mark.parametrize(
    ("ns", "text"), [(10**8, "100ms"), (10**10, "10s"), (90 * 10**9, "1m30s"), (50 * 10**6, "50ms")]
)
def test_format_duration(ns, text):
    assert format_duration(ns) == text

"""Sizes, CPU counts and device rates parsed as the docker CLI parses them."""

import re

import pytest

from porthole.cli.flags.sizes import device_bps, device_iops, memory_swap, nano_cpus, ram_in_bytes
from runtime.errors import InvalidParameter

MIB = 1 << 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64m", 64 * MIB),
        ("64M", 64 * MIB),
        ("64mb", 64 * MIB),
        ("64MiB", 64 * MIB),
        ("64 m", 64 * MIB),
        ("1g", 1 << 30),
        ("1.5g", 3 << 29),
        ("512k", 512 << 10),
        ("2t", 2 << 40),
        ("1p", 1 << 50),
        ("100", 100),
        ("100b", 100),
        ("100B", 100),
        ("0", 0),
        ("1.9", 1),  # truncated to whole bytes, as go-units does
        (".5k", 512),
    ],
)
def test_ram_in_bytes_uses_binary_units(text, expected):
    assert ram_in_bytes(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12x", "invalid size '12x': unknown unit 'x' (use b, k, m, g, t or p)"),
        ("12mx", "invalid size '12mx': unknown unit 'mx'"),
        ("12kbb", "invalid size '12kbb': unknown unit 'kbb'"),
        ("abc", "invalid size 'abc': expected a number with an optional unit"),
        ("", "invalid size '': expected a number"),
        ("-5m", "invalid size '-5m': expected a number"),
        ("1.2.3m", "invalid size '1.2.3m': '1.2.3' is not a number"),
    ],
)
def test_bad_sizes_are_refused_with_the_reason(text, message):
    with pytest.raises(InvalidParameter) as caught:
        ram_in_bytes(text)
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(("text", "expected"), [("-1", -1), ("128m", 128 * MIB), ("0", 0)])
def test_memory_swap_takes_minus_one_for_unlimited(text, expected):
    assert memory_swap(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1_000_000_000),
        ("1.5", 1_500_000_000),
        ("0.5", 500_000_000),
        (".25", 250_000_000),
        ("2.", 2_000_000_000),
        ("0.000000001", 1),
        ("1.10000000000", 1_100_000_000),
    ],
)
def test_nano_cpus(text, expected):
    assert nano_cpus(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x", "not a decimal number"),
        ("", "not a decimal number"),
        ("-1", "not a decimal number"),
        ("0.0000000001", "too precise (at most 9 decimal places)"),
    ],
)
def test_bad_cpu_counts(text, message):
    with pytest.raises(InvalidParameter, match=re.escape(message)):
        nano_cpus(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/dev/sda:1mb", {"Path": "/dev/sda", "Rate": MIB}),
        ("/dev/vda:512", {"Path": "/dev/vda", "Rate": 512}),
        ("/dev/sda:2k", {"Path": "/dev/sda", "Rate": 2048}),
    ],
)
def test_device_bps(text, expected):
    assert device_bps(text) == expected


def test_device_iops():
    assert device_iops("/dev/sda:100") == {"Path": "/dev/sda", "Rate": 100}


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (device_bps, "/dev/sda", "expected <device-path>:<number>[<unit>]"),
        (device_bps, ":1mb", "expected <device-path>:<number>[<unit>]"),
        (device_bps, "sda:1mb", "the device path must start with /dev/"),
        (device_bps, "/dev/sda:fast", "invalid device rate '/dev/sda:fast': invalid size 'fast'"),
        (device_iops, "/dev/sda:1k", "'1k' is not a whole number of operations"),
        (device_iops, "/dev/sda", "expected <device-path>:<number>"),
    ],
)
def test_bad_device_rates(parse, text, message):
    with pytest.raises(InvalidParameter) as caught:
        parse(text)
    assert message in caught.value.message

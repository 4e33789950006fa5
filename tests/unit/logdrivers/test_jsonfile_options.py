import pytest

from logdrivers.attrs import AttrOptions
from logdrivers.common_options import SharedOptions, parse_shared_options
from logdrivers.errors import InvalidLogOpt, UnknownLogOpt
from logdrivers.jsonfile.options import JsonFileOptions, parse_options
from logdrivers.sizes import parse_binary_size, parse_si_size

SIZES = {
    "plain bytes": ("1024", 1024, 1024),
    "k": ("1k", 1000, 1024),
    "m is SI for max-size": ("10m", 10_000_000, 10 * 2**20),
    "mb": ("10mb", 10_000_000, 10 * 2**20),
    "mib still SI for FromHumanSize": ("10MiB", 10_000_000, 10 * 2**20),
    "space and fraction": ("1.5 g", 1_500_000_000, int(1.5 * 2**30)),
    "b": ("12b", 12, 12),
}


@pytest.mark.parametrize("text, si, binary", SIZES.values(), ids=SIZES.keys())
def test_sizes(text, si, binary):
    assert parse_si_size(text) == si
    assert parse_binary_size(text) == binary


@pytest.mark.parametrize(
    "text, message",
    [
        ("12x", "invalid suffix: 'x'"),
        ("m", "invalid size: 'm'"),
        ("-1m", "invalid size: '-1m'"),
        ("1kbb", "invalid suffix: 'kbb'"),
    ],
)
def test_bad_sizes(text, message):
    with pytest.raises(ValueError, match=message):
        parse_si_size(text)


GOOD = {
    "defaults": ({}, JsonFileOptions()),
    "size and files": ({"max-size": "10m", "max-file": "3"}, JsonFileOptions(max_size=10_000_000, max_file=3)),
    "compress": (
        {"max-size": "1k", "max-file": "2", "compress": "true"},
        JsonFileOptions(max_size=1000, max_file=2, compress=True),
    ),
    "compress false alone": ({"compress": "0"}, JsonFileOptions()),
    "attrs": ({"labels": "a,b", "env": "X"}, JsonFileOptions(attrs=AttrOptions(labels=("a", "b"), env=("X",)))),
}


@pytest.mark.parametrize("opts, expected", GOOD.values(), ids=GOOD.keys())
def test_parse_options(opts, expected):
    assert parse_options(opts) == expected


BAD = {
    "bad size names key and value": (
        {"max-size": "12x"},
        "logdrivers: log opt 'max-size' for json-file log driver: '12x' is not a size: invalid suffix: 'x'",
    ),
    "zero size": ({"max-size": "0"}, "log opt 'max-size' for json-file log driver: must be a positive number, not '0'"),
    "max-file not a number": ({"max-file": "two"}, "log opt 'max-file' for json-file log driver: invalid number 'two'"),
    "max-file zero": ({"max-file": "0"}, "log opt 'max-file' for json-file log driver: cannot be less than 1, not '0'"),
    "compress not a bool": ({"compress": "yes"}, "log opt 'compress' for json-file log driver: invalid boolean 'yes'"),
    "compress without max-size": (
        {"compress": "true", "max-file": "3"},
        "log opt 'compress' for json-file log driver: "
        "cannot be true when max-file is less than 2 or max-size is not set",
    ),
    "bad regex": (
        {"labels-regex": "("},
        "log opt 'labels-regex' for json-file log driver: invalid regular expression '('",
    ),
    "bad tag": (
        {"tag": "{{.Nope}}"},
        "log opt 'tag' for json-file log driver: template '{{.Nope}}': can't evaluate field .Nope",
    ),
}


@pytest.mark.parametrize("opts, message", BAD.values(), ids=BAD.keys())
def test_bad_options_name_key_and_reason(opts, message):
    with pytest.raises(InvalidLogOpt) as caught:
        parse_options(opts)
    assert message in str(caught.value)
    assert caught.value.key == next(iter(opts))


def test_unknown_key_has_dockers_text():
    with pytest.raises(UnknownLogOpt) as caught:
        parse_options({"max-size": "1m", "max-sise": "1m"})
    assert str(caught.value) == "unknown log opt 'max-sise' for json-file log driver"


SHARED = {
    "unset is blocking": ({}, SharedOptions("blocking", 1_000_000)),
    "empty mode is blocking": ({"mode": ""}, SharedOptions("blocking", 1_000_000)),
    "non-blocking default buffer": ({"mode": "non-blocking"}, SharedOptions("non-blocking", 1_000_000)),
    "buffer is binary": ({"mode": "non-blocking", "max-buffer-size": "4m"}, SharedOptions("non-blocking", 4 * 2**20)),
}


@pytest.mark.parametrize("opts, expected", SHARED.values(), ids=SHARED.keys())
def test_shared_options(opts, expected):
    assert parse_shared_options(opts, "json-file") == expected


@pytest.mark.parametrize(
    "opts, message",
    [
        ({"mode": "fast"}, "log opt 'mode' for json-file log driver: logging mode not supported: fast"),
        (
            {"max-buffer-size": "1m"},
            "log opt 'max-buffer-size' for json-file log driver: only supported with 'mode=non-blocking'",
        ),
        (
            {"mode": "non-blocking", "max-buffer-size": "lots"},
            "log opt 'max-buffer-size' for json-file log driver: 'lots' is not a size: invalid size: 'lots'",
        ),
    ],
)
def test_bad_shared_options(opts, message):
    with pytest.raises(InvalidLogOpt, match=message):
        parse_shared_options(opts, "json-file")

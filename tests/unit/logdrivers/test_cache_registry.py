"""What the shim writes for each driver, and the cache-* options remote drivers take."""

import pytest

from logdrivers.cache import is_remote, local_spec
from logdrivers.errors import InvalidLogOpt, ReadLogsNotSupported
from logdrivers.jsonfile.reader import JsonFileReader
from logdrivers.registry import builtin_registry

FLUENTD = {"fluentd-address": "127.0.0.1:24224"}


@pytest.mark.parametrize(
    ("driver", "opts", "expected"),
    [
        ("json-file", {"max-size": "1m"}, ("json-file", {"max-size": "1m"})),
        ("none", {}, ("none", {})),
        ("fluentd", FLUENTD, ("json-file", {"max-size": "20m", "max-file": "5", "compress": "true"})),
        (
            "gelf",
            {
                "gelf-address": "udp://h:1",
                "cache-max-size": "1m",
                "cache-compress": "false",
                "mode": "non-blocking",
                "max-buffer-size": "2m",
                "cache-disabled": "false",
            },
            (
                "json-file",
                {
                    "max-size": "1m",
                    "max-file": "5",
                    "compress": "false",
                    "mode": "non-blocking",
                    "max-buffer-size": "2m",
                },
            ),
        ),
        ("some-plugin", {"x": "y"}, ("json-file", {"max-size": "20m", "max-file": "5", "compress": "true"})),
    ],
)
def test_local_spec(driver, opts, expected):
    assert local_spec(driver, opts) == expected
    assert is_remote(driver) == (expected[0] != driver)


@pytest.mark.parametrize(
    ("opts", "key", "text"),
    [
        ({"cache-max-size": "big"}, "cache-max-size", "'big' is not a size"),
        ({"cache-max-file": "0"}, "cache-max-file", "cannot be less than 1"),
        ({"cache-compress": "maybe"}, "cache-compress", "invalid boolean 'maybe'"),
        ({"cache-disabled": "true"}, "cache-disabled", "the cache cannot be disabled"),
        ({"cache-disabled": "x"}, "cache-disabled", 'strconv.ParseBool: parsing "x"'),
    ],
)
def test_cache_options_are_validated_at_create_under_their_own_names(opts, key, text):
    with pytest.raises(InvalidLogOpt) as caught:
        builtin_registry().validate("fluentd", {**FLUENTD, **opts})
    assert caught.value.key == key and caught.value.driver == "fluentd" and text in str(caught.value)


def test_one_cache_file_turns_the_default_compression_off():
    assert local_spec("fluentd", {"cache-max-file": "1"})[1]["compress"] == "false"
    builtin_registry().validate("fluentd", {"cache-max-file": "1"})
    with pytest.raises(InvalidLogOpt, match="cache-compress"):
        builtin_registry().validate("fluentd", {"cache-max-file": "1", "cache-compress": "true"})


def test_the_cache_writer_takes_every_cache_option_the_registry_accepts():
    writer, opts = local_spec("fluentd", {**FLUENTD, "cache-max-file": "2", "cache-max-size": "10k"})
    builtin_registry().validate(writer, opts)


def test_remote_drivers_read_back_their_local_cache_and_none_reads_nothing(info):
    registry = builtin_registry()
    reader = registry.open_reader(registry.validate("gelf", {"gelf-address": "udp://h:1"}), info)
    assert isinstance(reader, JsonFileReader) and reader.path == info.log_path
    with pytest.raises(ReadLogsNotSupported):
        registry.open_reader(registry.validate("none", {}), info)


def test_create_remote_makes_the_bare_driver(info):
    registry = builtin_registry()
    driver = registry.create_remote(registry.validate("fluentd", {**FLUENTD, "mode": "non-blocking"}), info)
    assert driver.name == "fluentd" and hasattr(driver, "ship")

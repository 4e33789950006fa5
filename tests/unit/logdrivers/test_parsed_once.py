"""A container's log options are parsed once, at create: the shim's writer plan, the shipper's remote driver
and the reader of `docker logs` are all made from that LogConfig. After a daemon restart they are parsed again
once (reparse), and a driver gone since then is DriverUnavailable, not the client's UnknownDriver."""

from dataclasses import dataclass

import pytest

from logdrivers.errors import DriverUnavailable, UnknownDriver
from logdrivers.jsonfile.options import JsonFileOptions
from logdrivers.jsonfile.reader import JsonFileReader
from logdrivers.registry import builtin_registry
from logdrivers.shimwriter import writer_plan
from logdrivers.spec import DriverSpec


@dataclass(frozen=True)
class CountedOptions:
    colour: str


class CountingSpec:
    """A remote plugin whose parse_options counts its calls."""

    def __init__(self) -> None:
        self.parses = 0
        self.spec = DriverSpec("counted", self.parse_options, self.create)

    def parse_options(self, opts):
        self.parses += 1
        return CountedOptions(opts.get("colour", "red"))

    def create(self, info, options):
        return RemoteDriver(options)


@dataclass
class RemoteDriver:
    options: CountedOptions
    name = "counted"

    def log(self, msg) -> None:
        """Shipped nowhere: the test looks at its options only."""

    def close(self) -> None:
        """Nothing to release."""


def test_create_parses_once_and_the_plan_reader_and_shipper_reuse_it(info):
    counting = CountingSpec()
    registry = builtin_registry()
    registry.register(counting.spec)
    config = registry.validate("counted", {"colour": "blue", "cache-max-size": "1k", "mode": "non-blocking"})
    assert counting.parses == 1
    assert config.cache.options == JsonFileOptions(max_size=1000, max_file=5, compress=True)
    assert config.writer is config.cache and config.cache.shared.mode == "non-blocking"
    plan = writer_plan(config, info)
    assert plan["json_file"]["max_size"] == 1000 and "non_blocking" in plan
    assert registry.create_remote(config, info).options == CountedOptions("blue")
    assert isinstance(registry.open_reader(config, info), JsonFileReader)
    assert counting.parses == 1


def test_a_shim_writer_is_its_own_writer():
    config = builtin_registry().validate("json-file", {"max-size": "2k"})
    assert config.cache is None and config.writer is config


def test_reparse_parses_the_stored_options_again():
    registry = builtin_registry()
    stored = {"fluentd-address": "localhost:24224", "cache-max-file": "2"}
    assert registry.reparse("fluentd", stored) == registry.validate("fluentd", stored)


def test_a_driver_gone_since_create_is_unavailable_not_unknown():
    with pytest.raises(DriverUnavailable) as caught:
        builtin_registry().reparse("testfile", {"path": "/x"})
    assert not isinstance(caught.value, UnknownDriver)
    assert str(caught.value).startswith(
        "failed to get logging factory: logger: no log driver named 'testfile' is registered: "
    )

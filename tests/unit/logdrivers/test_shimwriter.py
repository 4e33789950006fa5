"""The writer plan: what the daemon hands a shim, and the writer the shim opens from it."""

import json

import pytest

from logdrivers.driver import ReadConfig
from logdrivers.errors import InvalidLogOpt, UnknownDriver
from logdrivers.jsonfile.driver import JsonFileDriver
from logdrivers.message import LineBatch
from logdrivers.nonblocking import NonBlockingDriver
from logdrivers.none import NoneDriver
from logdrivers.registry import builtin_registry
from logdrivers.shimwriter import writer_plan
from tests.unit.logdrivers.conftest import shim_writer


def read_back(info) -> list[bytes]:
    registry = builtin_registry()
    reader = registry.open_reader(registry.validate("json-file", {}), info)
    return [m.line for m in reader.read_logs(ReadConfig(), lambda: False)]


def test_json_file_writes_what_the_reader_reads_back(info):
    driver = shim_writer("json-file", {"max-size": "10m"}, info)
    assert isinstance(driver, JsonFileDriver)
    driver.log_batch(LineBatch("stdout", 0, b"hello\n"))
    driver.close()
    assert read_back(info) == [b"hello"]


def test_the_plan_holds_the_rendered_attrs_and_tag_not_the_options(info):
    opts = {"labels": "tier", "env": "A", "tag": "{{.Name}}/{{.ID}}", "max-size": "1k", "max-file": "3"}
    plan = writer_plan(builtin_registry().validate("json-file", opts), info)
    assert plan == {
        "driver": "json-file",
        "json_file": {
            "log_path": str(info.log_path),
            "attrs": {"tier": "front", "A": "2", "tag": f"foobar/{info.id[:12]}"},
            "max_size": 1000,
            "max_file": 3,
            "compress": False,
        },
    }
    driver = shim_writer("json-file", opts, info)
    driver.log_batch(LineBatch("stdout", 0, b"x\n"))
    driver.close()
    assert json.loads(info.log_path.read_bytes())["attrs"] == plan["json_file"]["attrs"]


def test_a_remote_driver_gets_the_json_file_cache_with_its_cache_options(info):
    opts = {"fluentd-address": "localhost:24224", "cache-max-size": "5m", "cache-max-file": "2", "mode": "non-blocking"}
    plan = writer_plan(builtin_registry().validate("fluentd", opts), info)
    assert plan["driver"] == "json-file"
    assert plan["json_file"]["max_size"] == 5_000_000 and plan["json_file"]["max_file"] == 2
    assert plan["json_file"]["compress"] is True  # Docker's cache default
    assert plan["non_blocking"]["stats_path"] == str(info.log_path.with_name("log-drops.json"))


def test_non_blocking_mode_wraps_the_driver(info):
    driver = shim_writer("json-file", {"mode": "non-blocking", "max-buffer-size": "2k"}, info)
    try:
        assert isinstance(driver, NonBlockingDriver) and driver.name == "json-file"
        driver.log_batch(LineBatch("stdout", 0, b"queued\n"))
    finally:
        driver.close()
    assert read_back(info) == [b"queued"]


def test_none_discards(info):
    driver = shim_writer("none", {"anything": "goes"}, info)
    assert isinstance(driver, NoneDriver)
    driver.log_batch(LineBatch("stdout", 0, b"gone\n"))
    driver.close()
    assert not info.log_path.exists()


@pytest.mark.parametrize(
    "name, opts, error",
    [("json-file", {"max-size": "12x"}, InvalidLogOpt), ("fluentd", {"cache-max-file": "0"}, InvalidLogOpt),
     ("no-such-driver", {}, UnknownDriver)],
)  # fmt: skip
def test_bad_options_fail_before_any_plan_and_leave_no_file(info, name, opts, error):
    with pytest.raises(error):
        writer_plan(builtin_registry().validate(name, opts), info)
    assert not info.log_path.exists()

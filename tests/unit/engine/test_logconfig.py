"""The engine keeps a container's parsed log configuration from create on; config.json keeps the options as
text, and a daemon that loads the container again parses them once, on first use."""

import pytest

from common import rfc3339
from logdrivers.errors import DriverUnavailable
from logdrivers.registry import builtin_registry
from runtime.engine.config import DaemonConfig
from runtime.engine.logconfig import log_config_of, parse_at_create
from runtime.engine.model import Container
from runtime.engine.store import ContainerStore


class CountingRegistry:
    """The built-in registry, counting the configurations it parses."""

    def __init__(self) -> None:
        self._registry = builtin_registry()
        self.parses = 0

    def validate(self, name, opts):
        self.parses += 1
        return self._registry.validate(name, opts)

    def reparse(self, name, opts):
        self.parses += 1
        return self._registry.reparse(name, opts)


def container(host_config: dict, log_config=None) -> Container:
    return Container(
        id="a" * 64,
        name="web",
        created=rfc3339.now(),
        image_ref="busybox",
        image_id="sha256:x",
        config={},
        host_config=host_config,
        networking_config={},
        mounts=[],
        path="true",
        args=[],
        layers=[],
        log_config=log_config,
    )


def test_the_daemons_defaults_fill_an_unset_log_config():
    registry = CountingRegistry()
    host_config: dict = {}
    parsed = parse_at_create(host_config, registry, DaemonConfig(log_driver="json-file", log_opts={"max-size": "1k"}))
    assert host_config["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1k"}}
    assert parsed.driver == "json-file" and parsed.options.max_size == 1000
    given: dict = {"LogConfig": {"Type": "none", "Config": None}}
    parse_at_create(given, registry, DaemonConfig(log_opts={"max-size": "1k"}))
    assert given["LogConfig"] == {"Type": "none", "Config": {}}  # a driver given takes none of the defaults


def test_create_parses_once_and_a_reload_once_more(tmp_path):
    registry = CountingRegistry()
    host_config = {"LogConfig": {"Type": "json-file", "Config": {"max-size": "2k"}}}
    parsed = parse_at_create(host_config, registry, DaemonConfig())
    created = container(host_config, parsed)
    for _ in range(3):  # start, logs, shipping...
        assert log_config_of(created, registry) is parsed
    assert registry.parses == 1

    store = ContainerStore(tmp_path)
    store.add(created)
    assert "log_config" not in (tmp_path / created.id / "config.json").read_text()
    loaded = ContainerStore(tmp_path).get(created.id)
    assert loaded.log_config is None
    assert log_config_of(loaded, registry) == parsed and log_config_of(loaded, registry) is loaded.log_config
    assert registry.parses == 2


def test_a_driver_gone_since_create_is_reported_when_the_container_needs_it():
    gone = container({"LogConfig": {"Type": "testfile", "Config": {"path": "/x"}}})
    with pytest.raises(DriverUnavailable):
        log_config_of(gone, builtin_registry())

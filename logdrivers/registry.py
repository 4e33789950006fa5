"""Drivers by name: explicit, built-ins listed in one place, third-party drivers through entry points.

Nothing registers on import. The daemon builds `builtin_registry()` and calls `load_plugins()` once at
start. A container's options are parsed once, by `validate()` at create, into a LogConfig the daemon keeps
for the shim's writer plan, the shipper and `logs`. The shim never loads the registry: it opens the writer
the daemon planned from that LogConfig (logdrivers.shimwriter).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from logdrivers.cache import check_cache_options, is_remote, local_spec, without_cache_keys
from logdrivers.common_options import SharedOptions, driver_options, parse_shared_options
from logdrivers.driver import LogDriver, LogReader
from logdrivers.elasticsearch.spec import ELASTICSEARCH
from logdrivers.errors import (
    DriverExists,
    DriverUnavailable,
    InvalidLogOpt,
    PluginLoadError,
    ReadLogsNotSupported,
    UnknownDriver,
)
from logdrivers.fluentd.spec import FLUENTD
from logdrivers.gelf.spec import GELF
from logdrivers.info import ContainerInfo
from logdrivers.journald.spec import JOURNALD
from logdrivers.jsonfile.spec import JSON_FILE
from logdrivers.jsonfile.spec import open_reader as open_json_file_reader
from logdrivers.local.spec import LOCAL
from logdrivers.none import NONE
from logdrivers.spec import DriverSpec
from logdrivers.syslog.spec import SYSLOG

PLUGIN_GROUP = "porthole.logdrivers"
BUILTIN_SPECS = (JSON_FILE, NONE, FLUENTD, GELF, ELASTICSEARCH, SYSLOG, JOURNALD, LOCAL)


@dataclass(frozen=True, slots=True)
class LogConfig:
    """A validated configuration, parsed once (at container create): the driver, the shared options, the
    driver's own parsed options and, for a remote driver, the parsed json-file cache the shim writes."""

    driver: str
    shared: SharedOptions
    options: Any
    cache: "LogConfig | None" = None

    @property
    def writer(self) -> "LogConfig":
        """What the shim runs: the driver itself, or a remote driver's cache."""
        return self.cache or self


class Registry:
    def __init__(self, specs: Iterable[DriverSpec] = ()) -> None:
        self._specs: dict[str, DriverSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: DriverSpec) -> None:
        if spec.name in self._specs:
            raise DriverExists(spec.name)
        self._specs[spec.name] = spec

    def get(self, name: str) -> DriverSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise UnknownDriver(name) from None

    def names(self) -> list[str]:
        return sorted(self._specs)

    def validate(self, name: str, opts: Mapping[str, str]) -> LogConfig:
        """Docker's order: the driver must exist, then mode and max-buffer-size, then (for a remote driver)
        the cache-* options, then the driver's own keys."""
        spec = self.get(name)
        if not spec.takes_shared_options:
            return LogConfig(name, SharedOptions(), spec.parse_options(opts))
        shared = parse_shared_options(opts, name)
        own = driver_options(opts)
        cache = None
        if is_remote(name):
            cache = self._cache_config(name, opts, shared)
            own = without_cache_keys(own)
        return LogConfig(name, shared, spec.parse_options(own), cache)

    def reparse(self, name: str, opts: Mapping[str, str]) -> LogConfig:
        """The configuration of a container an earlier daemon created, parsed again from its stored options
        (once, after a restart). A driver that is no longer registered is DriverUnavailable: the host's
        trouble (500), not the client's bad input that UnknownDriver is at create."""
        if name not in self._specs:
            raise DriverUnavailable(name)
        return self.validate(name, opts)

    def _cache_config(self, name: str, opts: Mapping[str, str], shared: SharedOptions) -> LogConfig:
        check_cache_options(opts, name)
        writer, writer_opts = local_spec(name, opts)
        try:
            options = self.get(writer).parse_options(driver_options(writer_opts))
        except InvalidLogOpt as exc:
            raise InvalidLogOpt("cache-" + exc.key, name, exc.why) from None
        return LogConfig(writer, shared, options)

    def create_remote(self, config: LogConfig, info: ContainerInfo) -> LogDriver:
        """A remote driver as the daemon's shipper uses it: bare, since the mode governs the cache write."""
        return self.get(config.driver).create(info, config.options)

    def open_reader(self, config: LogConfig, info: ContainerInfo) -> LogReader:
        """A reader of the container's stored log: the driver's own, else for a remote driver its local
        cache; ReadLogsNotSupported (501) if there is none (the none driver)."""
        spec = self.get(config.driver)
        if spec.open_reader is not None:
            return spec.open_reader(info, config.options)
        if config.cache is not None:
            return open_json_file_reader(info, config.cache.options)
        raise ReadLogsNotSupported()

    @staticmethod
    def is_remote(name: str) -> bool:
        """Whether the daemon ships this driver's lines from the local cache (logdrivers.cache)."""
        return is_remote(name)

    def load_plugins(self) -> list[PluginLoadError]:
        """Register every DriverSpec published under the entry-point group porthole.logdrivers.

        A broken plugin does not stop the others: what failed is returned, one error per entry point.
        """
        # Imported here: importlib.metadata costs ~30 ms of imports that a shim never needs.
        from importlib.metadata import entry_points

        errors: list[PluginLoadError] = []
        for entry_point in entry_points(group=PLUGIN_GROUP):
            try:
                spec = entry_point.load()
            except Exception as exc:  # any import-time failure of third-party code is that plugin's error
                errors.append(PluginLoadError(entry_point.value, f"cannot load: {exc!r}"))
                continue
            if not isinstance(spec, DriverSpec):
                errors.append(PluginLoadError(entry_point.value, f"is a {type(spec).__name__}, not a DriverSpec"))
                continue
            try:
                self.register(spec)
            except DriverExists as exc:
                errors.append(PluginLoadError(entry_point.value, str(exc)))
        return errors


def builtin_registry() -> Registry:
    """A registry holding the built-in drivers (json-file, none, fluentd, gelf, elasticsearch, syslog, ...)."""
    return Registry(BUILTIN_SPECS)

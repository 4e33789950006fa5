"""A container's log configuration, parsed once.

At create, HostConfig.LogConfig (or the daemon's --log-driver/--log-opt defaults) is validated by the driver's
own parse_options (logdrivers' registry) and the parsed LogConfig is kept on the container: the shim's writer
plan at start, the shipper of a remote driver and `logs` all take it from there instead of parsing the options
again. HostConfig.LogConfig keeps the options as text, as Docker stores and shows them; after a daemon restart
they are parsed again, once, the first time the container needs them.
"""

from typing import Any

from logdrivers.registry import LogConfig, Registry
from runtime.engine.config import DaemonConfig
from runtime.engine.model import Container


def parse_at_create(host_config: dict[str, Any], registry: Registry, config: DaemonConfig) -> LogConfig:
    """Fill HostConfig.LogConfig with the daemon's defaults where the client set none, and parse it;
    InvalidLogOpt or UnknownDriver (400) if it does not validate."""
    log = dict(host_config.get("LogConfig") or {})
    driver = log.get("Type") or config.log_driver
    options = dict(log.get("Config") or ({} if log.get("Type") else config.log_opts))
    parsed = registry.validate(driver, options)
    host_config["LogConfig"] = {"Type": driver, "Config": options}
    return parsed


def log_config_of(container: Container, registry: Registry) -> LogConfig:
    """The container's parsed configuration: kept since create, or parsed once from HostConfig.LogConfig after a
    restart (DriverUnavailable if its driver's plugin is gone since)."""
    if container.log_config is None:
        stored = container.host_config["LogConfig"]
        container.log_config = registry.reparse(stored["Type"], stored.get("Config") or {})
    return container.log_config

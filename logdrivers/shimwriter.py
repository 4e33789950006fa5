"""The writer a shim runs, prepared by the daemon as plain JSON values (a "writer plan").

A shim runs only json-file, local or none (every other driver is shipped by the daemon from the json-file cache,
logdrivers.cache). The daemon's half, writer_plan(), takes the configuration parsed at create (the registry's
LogConfig, whose `writer` is the driver itself or a remote driver's cache) and renders what the writer needs
from the container (attrs, tag, paths); the shim's half, open_writer(), builds the writer from those values
and nothing else. Why the split: a shim is a fork of the zygote, and every page its Python touches is copied
for the container's lifetime. Parsing options, building a ContainerInfo and running pathlib in each shim cost
~0.5 MB per container; opening the writer from ready values costs a fraction.

    {"driver": "none"}
    {"driver": "json-file", "json_file": {JsonFileDriver's arguments},
     "non_blocking": {"max_bytes": N, "stats_path": PATH},   (with mode=non-blocking only)
     "failures_path": PATH}                                   (added by the daemon: where it reads the count)
    {"driver": "local", "local": {LocalDriver's arguments}, "non_blocking": ..., "failures_path": ...}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from logdrivers.driver import LogDriver
from logdrivers.dropstats import drop_stats_path
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.driver import JsonFileDriver, driver_args
from logdrivers.nonblocking import NonBlockingDriver
from logdrivers.none import NoneDriver

LOCAL_DRIVER = "local"

if TYPE_CHECKING:
    from logdrivers.registry import LogConfig  # only its type: the shim never loads the registry


def writer_plan(config: LogConfig, info: ContainerInfo) -> dict[str, Any]:
    """The plan for a container whose log configuration is `config` (as the registry validated it)."""
    writer = config.writer
    if writer.driver == NoneDriver.name:
        return {"driver": NoneDriver.name}
    if writer.driver == LOCAL_DRIVER:
        from logdrivers.local.driver import local_driver_args

        plan: dict[str, Any] = {"driver": LOCAL_DRIVER, "local": local_driver_args(info, writer.options)}
    else:
        plan = {"driver": JsonFileDriver.name, "json_file": driver_args(info, writer.options)}
    if writer.shared.mode == "non-blocking":
        stats_path = str(drop_stats_path(info.log_path))
        plan["non_blocking"] = {"max_bytes": writer.shared.max_buffer_size, "stats_path": stats_path}
    return plan


def open_writer(plan: Mapping[str, Any]) -> LogDriver:
    """The writer a plan describes, in the shim: with mode=non-blocking, behind a byte-bounded queue that
    counts drops (saved beside the log, logdrivers.dropstats)."""
    if plan["driver"] == NoneDriver.name:
        return NoneDriver()
    driver: LogDriver
    if plan["driver"] == LOCAL_DRIVER:
        # Imported here: only the shims of local-driver containers touch its pages.
        from logdrivers.local.driver import LocalDriver

        driver = LocalDriver(**plan["local"])
    else:
        driver = JsonFileDriver(**plan["json_file"])
    if "non_blocking" in plan:
        queue = plan["non_blocking"]
        return NonBlockingDriver(driver, queue["max_bytes"], Path(queue["stats_path"]), plan.get("failures_path"))
    return driver

"""How a driver is described to the registry: its name, its option parser and its constructors."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from logdrivers.driver import LogDriver, LogReader
from logdrivers.info import ContainerInfo


@dataclass(frozen=True, slots=True)
class DriverSpec:
    name: str
    # Validates at create and builds at start: raises InvalidLogOpt(key, driver, why); returns a frozen
    # dataclass. Receives only the driver's own keys (the registry handles mode and max-buffer-size).
    parse_options: Callable[[Mapping[str, str]], Any]
    create: Callable[[ContainerInfo, Any], LogDriver]  # the writer, in the shim
    open_reader: Callable[[ContainerInfo, Any], LogReader] | None = None  # None: `logs` answers 501
    # Docker skips the shared mode/max-buffer-size checks for "none" and takes any option for it.
    takes_shared_options: bool = True

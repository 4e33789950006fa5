"""The log pipeline's own error hierarchy; the engine's API maps these to HTTP statuses (runtime.api.errors).

`InvalidLogOpt` (and its subclasses) and `UnknownDriver` are client errors (400); `ReadLogsNotSupported` is
Docker's 501; `DriverUnavailable` (a container's driver gone since its create) and the rest are the host's (500).
Where a client may match Docker's wording, it is kept verbatim.
"""

from pathlib import Path


class LogDriverError(Exception):
    """Base of every error the log pipeline raises on purpose."""


class InvalidLogOpt(LogDriverError):
    """A log option has a bad value (or, in subclasses, a bad key)."""

    def __init__(self, key: str, driver: str, why: str) -> None:
        self.key, self.driver, self.why = key, driver, why
        super().__init__(self.describe())

    def describe(self) -> str:
        return f"logdrivers: log opt '{self.key}' for {self.driver} log driver: {self.why}"


class UnknownLogOpt(InvalidLogOpt):
    """The driver has no option of that name (Docker's text)."""

    def __init__(self, key: str, driver: str) -> None:
        super().__init__(key, driver, "unknown log opt")

    def describe(self) -> str:
        return f"unknown log opt '{self.key}' for {self.driver} log driver"


class UnknownDriver(LogDriverError):
    """No driver of that name is registered (Docker's text)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"logger: no log driver named '{name}' is registered")


class DriverUnavailable(LogDriverError):
    """A container's driver is not registered any more: the plugin that provided it at create was uninstalled
    (Docker's wording, for a logging plugin it cannot find)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"failed to get logging factory: logger: no log driver named '{name}' is registered: "
            "the container was created with it, and no installed plugin provides it now"
        )


class DriverExists(LogDriverError):
    """A second driver tried to register under a taken name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"logdrivers: log driver '{name}': already registered")


class PluginLoadError(LogDriverError):
    """An entry point of group porthole.logdrivers could not be loaded or is not a DriverSpec."""

    def __init__(self, entry_point: str, why: str) -> None:
        self.entry_point = entry_point
        super().__init__(f"logdrivers: plugin '{entry_point}': {why}")


class ReadLogsNotSupported(LogDriverError):
    """The configured driver keeps no readable log (Docker answers 501 with this text)."""

    def __init__(self) -> None:
        super().__init__("configured logging driver does not support reading")


class LogFileError(LogDriverError):
    """Writing, rotating or reading a log file failed; names the file."""

    def __init__(self, path: Path | str, what: str, cause: BaseException) -> None:
        self.path = Path(path)
        super().__init__(f"logdrivers: {what} {self.path}: {cause}")

"""The none driver: output is discarded and `docker logs` is refused (501), as in Docker."""

from collections.abc import Mapping
from typing import ClassVar

from logdrivers.info import ContainerInfo
from logdrivers.message import LineBatch, Message
from logdrivers.spec import DriverSpec


class NoneDriver:
    name: ClassVar[str] = "none"

    def log(self, msg: Message) -> None:
        """Discard."""

    def log_batch(self, batch: LineBatch) -> None:
        """Discard the whole batch (no per-line work)."""

    def close(self) -> None:
        """Nothing to release."""


def parse_options(opts: Mapping[str, str]) -> None:
    """Docker accepts any option for none and ignores it."""
    del opts


def _create(info: ContainerInfo, options: None) -> NoneDriver:
    del info, options  # nothing to keep
    return NoneDriver()


NONE = DriverSpec("none", parse_options, _create, open_reader=None, takes_shared_options=False)

"""journald's entry in the registry; the driver loads only where one is made: the daemon."""

from logdrivers.info import ContainerInfo
from logdrivers.journald.options import JournaldOptions, journal_socket, parse_options
from logdrivers.spec import DriverSpec


def create(info: ContainerInfo, options: JournaldOptions):
    from logdrivers.journald.driver import JournaldDriver

    return JournaldDriver(info, options, journal_socket())


JOURNALD = DriverSpec("journald", parse_options, create)

"""gelf's entry in the registry; the transports load only where a driver is made: the daemon."""

from logdrivers.gelf.options import GelfOptions, parse_options
from logdrivers.info import ContainerInfo
from logdrivers.spec import DriverSpec


def create(info: ContainerInfo, options: GelfOptions):
    from logdrivers.gelf.driver import GelfDriver

    return GelfDriver(info, options)


GELF = DriverSpec("gelf", parse_options, create)

"""fluentd's entry in the registry; the client (and msgpack) load only where a driver is made: the daemon."""

from logdrivers.fluentd.options import FluentdOptions, parse_options
from logdrivers.info import ContainerInfo
from logdrivers.spec import DriverSpec


def create(info: ContainerInfo, options: FluentdOptions):
    from logdrivers.fluentd.driver import FluentdDriver

    return FluentdDriver(info, options)


FLUENTD = DriverSpec("fluentd", parse_options, create)

"""syslog's entry in the registry; the transports load only where a driver is made: the daemon."""

from logdrivers.info import ContainerInfo
from logdrivers.spec import DriverSpec
from logdrivers.syslog.options import SyslogOptions, parse_options


def create(info: ContainerInfo, options: SyslogOptions):
    from logdrivers.syslog.driver import SyslogDriver

    return SyslogDriver(info, options)


SYSLOG = DriverSpec("syslog", parse_options, create)

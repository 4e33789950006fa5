"""local's entry in the registry: a shim writer with a reader of its own."""

from logdrivers.driver import LogReader
from logdrivers.info import ContainerInfo
from logdrivers.local.driver import create_local, local_log_path
from logdrivers.local.options import LocalOptions, parse_options
from logdrivers.spec import DriverSpec


def open_reader(info: ContainerInfo, options: LocalOptions) -> LogReader:
    from logdrivers.local.reader import LocalReader  # the daemon's half: a shim never reads

    del options  # the files on disk say what there is to read
    return LocalReader(local_log_path(info))


LOCAL = DriverSpec("local", parse_options, create_local, open_reader)

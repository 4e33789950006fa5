"""json-file's entry in the registry."""

from logdrivers.driver import LogReader
from logdrivers.info import ContainerInfo
from logdrivers.jsonfile.driver import create_json_file
from logdrivers.jsonfile.options import JsonFileOptions, parse_options
from logdrivers.spec import DriverSpec


def open_reader(info: ContainerInfo, options: JsonFileOptions) -> LogReader:
    # Imported here: the shim only writes, so it never loads the reader (orjson, inotify).
    from logdrivers.jsonfile.reader import JsonFileReader

    del options  # reading finds the rotated files on disk, whatever the options are now
    return JsonFileReader(info.log_path)


JSON_FILE = DriverSpec("json-file", parse_options, create_json_file, open_reader)

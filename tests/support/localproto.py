"""moby's entry.proto (daemon/logger/internal/logdriver) as protobuf classes, built from its definition with the
protobuf package: an independent reader (and writer) of Docker's local-driver records for the tests."""

import struct
from collections.abc import Iterator

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto


def _message(file, name: str, fields: list[tuple[str, int, int, int, str]]) -> None:
    message = file.message_type.add(name=name)
    for field_name, number, kind, label, type_name in fields:
        message.field.add(name=field_name, number=number, type=kind, label=label, type_name=type_name or None)


def _classes():
    file = descriptor_pb2.FileDescriptorProto(name="entry.proto", syntax="proto3")
    opt, rep = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    _message(file, "LogAttr", [("key", 1, _F.TYPE_STRING, opt, ""), ("value", 2, _F.TYPE_STRING, opt, "")])
    _message(
        file,
        "PartialLogEntryMetadata",
        [
            ("last", 1, _F.TYPE_BOOL, opt, ""),
            ("id", 2, _F.TYPE_STRING, opt, ""),
            ("ordinal", 3, _F.TYPE_INT32, opt, ""),
        ],
    )
    _message(
        file,
        "LogEntry",
        [
            ("source", 1, _F.TYPE_STRING, opt, ""),
            ("time_nano", 2, _F.TYPE_INT64, opt, ""),
            ("line", 3, _F.TYPE_BYTES, opt, ""),
            ("partial", 4, _F.TYPE_BOOL, opt, ""),
            ("partial_log_metadata", 5, _F.TYPE_MESSAGE, opt, ".PartialLogEntryMetadata"),
            ("attrs", 6, _F.TYPE_MESSAGE, rep, ".LogAttr"),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("LogEntry"))


LogEntry = _classes()


def read_records(data: bytes) -> Iterator:
    """Each [uint32 BE size][LogEntry][uint32 BE size] record of a local-driver file, parsed by protobuf."""
    pos = 0
    while pos < len(data):
        (size,) = struct.unpack_from(">I", data, pos)
        assert struct.unpack_from(">I", data, pos + 4 + size) == (size,), "header and footer sizes differ"
        entry = LogEntry()
        entry.ParseFromString(data[pos + 4 : pos + 4 + size])
        yield entry
        pos += size + 8

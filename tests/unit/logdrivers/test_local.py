"""The local driver's files: records read back with protobuf from moby's entry.proto, Docker's rotation and
compression, `docker logs`' options through the reader, and Docker's option checks."""

import gzip
import threading

import pytest

from logdrivers.driver import ReadConfig
from logdrivers.errors import InvalidLogOpt
from logdrivers.local.driver import LocalDriver, local_log_path
from logdrivers.local.entry import decode_entry, encode_attrs, encode_entry
from logdrivers.local.options import parse_options
from logdrivers.local.reader import LocalReader
from logdrivers.message import LineBatch, Message, PartialMeta
from tests.support.localproto import LogEntry, read_records
from tests.unit.logdrivers.conftest import shim_writer

T = 1_714_564_800_123_456_789


def test_records_are_moby_protobuf_entries(tmp_path):
    path = tmp_path / "container.log"
    driver = LocalDriver(str(path), {"tier": "front", "a": "1"}, 10**9, 1, False)
    driver.log(Message(b"hello", "stdout", T))
    driver.log(Message(b"x" * 16384, "stderr", T + 1, PartialMeta("p" * 64, 1, False)))
    driver.log(Message(b"", "stdout", T + 2))
    driver.close()
    first, piece, empty = read_records(path.read_bytes())
    assert (first.source, first.time_nano, first.line, first.partial) == ("stdout", T, b"hello", False)
    assert [(a.key, a.value) for a in first.attrs] == [("a", "1"), ("tier", "front")]  # sorted, as Docker's
    assert (piece.partial, piece.partial_log_metadata.id, piece.partial_log_metadata.ordinal) == (True, "p" * 64, 1)
    assert piece.partial_log_metadata.last is False and piece.line == b"x" * 16384
    assert (empty.line, empty.source) == (b"", "stdout")


def test_records_protobuf_writes_decode_to_the_same_messages():
    entry = LogEntry(source="stderr", time_nano=-5, line=b"\x00\xff", partial=True)
    entry.partial_log_metadata.last, entry.partial_log_metadata.id, entry.partial_log_metadata.ordinal = True, "i", 7
    entry.attrs.add(key="k", value="v")
    msg = decode_entry(entry.SerializeToString())
    assert (msg.line, msg.source, msg.timestamp_ns, msg.attrs) == (b"\x00\xff", "stderr", -5, {"k": "v"})
    assert msg.partial == PartialMeta("i", 7, True)
    ours = encode_entry(msg, encode_attrs({"k": "v"}))
    assert ours[4:-4] == entry.SerializeToString()  # byte for byte what protobuf writes


def test_rotation_compression_and_max_file_as_dockers_logfile(tmp_path):
    path = tmp_path / "container.log"
    driver = LocalDriver(str(path), {}, 1000, 3, True)
    for i in range(200):
        driver.log_batch(LineBatch("stdout", T + i, b"line %03d\n" % i))
    driver.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["container.log", "container.log.1.gz", "container.log.2.gz"]
    rotated = gzip.decompress((tmp_path / "container.log.1.gz").read_bytes())
    sizes = [len(rotated), len(path.read_bytes())]
    assert all(size < 1000 + 50 for size in sizes)  # past max-size by at most one entry
    lines = [m.line for m in LocalReader(path).read_logs(ReadConfig(), lambda: False)]
    assert lines == [b"line %03d" % i for i in range(200 - len(lines), 200)]  # the newest, in order, no gap


def test_reader_tail_since_until_and_streams_across_rotated_files(tmp_path):
    path = tmp_path / "container.log"
    driver = LocalDriver(str(path), {}, 300, 5, True)
    for i in range(30):
        driver.log(Message(b"%d" % i, "stderr" if i % 3 == 0 else "stdout", T + i))
    driver.close()
    reader = LocalReader(path)

    def read(**cfg):
        return [int(m.line) for m in reader.read_logs(ReadConfig(**cfg), lambda: False)]

    everything = read()
    assert everything == list(range(30))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["container.log", "container.log.1.gz", "container.log.2.gz"]
    assert read(tail=4) == [26, 27, 28, 29]
    assert read(tail=0) == []
    assert read(tail=len(everything) + 10) == everything
    assert read(since_ns=T + 25) == [25, 26, 27, 28, 29]
    assert read(until_ns=T + 1) == [0, 1]
    assert read(stderr=False, tail=6) == [25, 26, 28, 29]  # tail counts stored entries, then streams filter


def test_follow_reads_across_a_rotation_until_the_container_stops(tmp_path):
    path = tmp_path / "container.log"
    driver = LocalDriver(str(path), {}, 200, 6, False)  # room for every line: none rotates away unread
    driver.log(Message(b"first", "stdout", T))
    running = threading.Event()
    running.set()
    messages = LocalReader(path).read_logs(ReadConfig(follow=True), running.is_set)
    assert next(messages).line == b"first"

    def write_more():
        for i in range(20):
            driver.log(Message(b"more %d" % i, "stdout", T + i))
        driver.close()
        running.clear()

    threading.Thread(target=write_more).start()
    assert [m.line for m in messages] == [b"more %d" % i for i in range(20)]


@pytest.mark.parametrize(
    ("opts", "text"),
    [
        ({"max-size": "big"}, "invalid value for max-size: big"),
        ({"max-file": "x"}, 'invalid value for max-file: x: strconv.Atoi: parsing "x": invalid syntax'),
        ({"compress": "maybe"}, 'invalid boolean value for compress: strconv.ParseBool: parsing "maybe"'),
        ({"max-file": "-1"}, "max-file must not be negative"),
        ({"max-file": "1"}, "compression cannot be enabled when max file count is 1"),
        ({"max-buffer": "1"}, "unknown log opt 'max-buffer' for log driver local"),
    ],
)
def test_bad_options_are_refused_with_dockers_texts(opts, text):
    with pytest.raises(InvalidLogOpt) as caught:
        parse_options(opts)
    assert text in str(caught.value)


def test_defaults_are_dockers():
    options = parse_options({})
    assert (options.max_size, options.max_file, options.compress) == (20 * 1024 * 1024, 5, True)
    assert parse_options({"max-file": "1", "compress": "false"}).max_file == 1


def test_the_shim_writes_the_local_file_of_the_plan(info):
    writer = shim_writer("local", {"tag": "{{.Name}}"}, info)
    writer.log_batch(LineBatch("stdout", T, b"a\nb\n"))
    writer.close()
    entries = list(read_records(local_log_path(info).read_bytes()))
    assert [(e.line, [(a.key, a.value) for a in e.attrs]) for e in entries] == [
        (b"a", [("tag", "foobar")]),
        (b"b", [("tag", "foobar")]),
    ]
    assert not info.log_path.exists()  # no json-file beside it

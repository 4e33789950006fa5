import errno
import gzip
import json
import os
import resource
import stat
import struct

import pytest

from logdrivers.errors import LogFileError
from logdrivers.jsonfile.driver import create_json_file
from logdrivers.jsonfile.gzipfile import read_last_time
from logdrivers.jsonfile.logfile import RotatingLogFile
from logdrivers.jsonfile.options import parse_options
from logdrivers.message import LineBatch, Message

T = 1795829461_301226849


def entries(*names: str) -> bytes:
    """Fixed-size fake entries: 'aaaaaaaa\\n' and so on (9 bytes each)."""
    return b"".join(name.encode() * 8 + b"\n" for name in names)


def names_in(directory) -> list[str]:
    return sorted(os.listdir(directory))


def test_rotates_before_the_entry_that_starts_past_max_size(tmp_path):
    path = tmp_path / "c-json.log"
    log = RotatingLogFile(path, max_size=20, max_file=3, compress=False)
    try:
        log.write(entries("a", "b", "c", "d"), T)  # a, b, c start below 20 bytes (0, 9, 18); d at 27
        log.write(entries("e"), T)
    finally:
        log.close()
    assert names_in(tmp_path) == ["c-json.log", "c-json.log.1"]
    assert (tmp_path / "c-json.log.1").read_bytes() == entries("a", "b", "c")
    assert path.read_bytes() == entries("d", "e")


def test_shifts_and_drops_the_oldest(tmp_path):
    path = tmp_path / "c-json.log"
    log = RotatingLogFile(path, max_size=9, max_file=3, compress=False)
    try:
        for name in "abcd":
            log.write(entries(name), T)
    finally:
        log.close()
    assert names_in(tmp_path) == ["c-json.log", "c-json.log.1", "c-json.log.2"]
    assert [(tmp_path / n).read_bytes() for n in names_in(tmp_path)] == [entries("d"), entries("c"), entries("b")]


def test_max_file_one_loses_history_as_docker(tmp_path):
    path = tmp_path / "c-json.log"
    log = RotatingLogFile(path, max_size=9, max_file=1, compress=False)
    try:
        log.write(entries("a", "b"), T)
    finally:
        log.close()
    assert names_in(tmp_path) == ["c-json.log"]
    assert path.read_bytes() == entries("b")


def test_without_max_size_never_rotates(tmp_path):
    log = RotatingLogFile(tmp_path / "c-json.log", max_size=None, max_file=5, compress=False)
    try:
        log.write(entries(*"abcdefgh") * 100, T)
    finally:
        log.close()
    assert names_in(tmp_path) == ["c-json.log"]


def test_existing_size_counts_after_restart_and_mode_is_0640(tmp_path):
    path = tmp_path / "c-json.log"
    path.write_bytes(entries("a", "b", "c"))
    os.chmod(path, 0o600)
    log = RotatingLogFile(path, max_size=20, max_file=2, compress=False)
    try:
        log.write(entries("d"), T)
    finally:
        log.close()
    assert (tmp_path / "c-json.log.1").read_bytes() == entries("a", "b", "c")
    assert path.read_bytes() == entries("d")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_compressed_rotations_carry_docker_gzip_header(tmp_path):
    path = tmp_path / "c-json.log"
    log = RotatingLogFile(path, max_size=9, max_file=3, compress=True)
    try:
        log.write(entries("a"), 1795829461_100000000)
        log.write(entries("b"), 1795829462_000000000)
        log.write(entries("c"), T)
    finally:
        log.close()  # waits for the compression thread
    assert names_in(tmp_path) == ["c-json.log", "c-json.log.1.gz", "c-json.log.2.gz"]
    newest = (tmp_path / "c-json.log.1.gz").read_bytes()
    assert gzip.decompress(newest) == entries("b")
    assert gzip.decompress((tmp_path / "c-json.log.2.gz").read_bytes()) == entries("a")
    # RFC 1952 header as Go writes it: FLG=FEXTRA, MTIME 0, XFL 0, OS 255, then the raw Extra bytes.
    assert newest[:4] == b"\x1f\x8b\x08\x04"
    assert struct.unpack("<IBB", newest[4:10]) == (0, 0, 255)
    (xlen,) = struct.unpack("<H", newest[10:12])
    assert newest[12 : 12 + xlen] == b'{"lastTime":"2026-11-28T01:31:02Z"}'
    assert read_last_time(tmp_path / "c-json.log.2.gz") == 1795829461_100000000
    assert stat.S_IMODE((tmp_path / "c-json.log.1.gz").stat().st_mode) == 0o640


def test_open_error_names_the_file(tmp_path):
    with pytest.raises(LogFileError, match=f"logdrivers: open {tmp_path}/missing/c-json.log: .*No such file"):
        RotatingLogFile(tmp_path / "missing" / "c-json.log", max_size=None, max_file=1, compress=False)


def test_disk_full_names_the_file(tmp_path, monkeypatch):
    log = RotatingLogFile(tmp_path / "c-json.log", max_size=None, max_file=1, compress=False)

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "writev", full)
    try:
        with pytest.raises(LogFileError, match=f"logdrivers: write {tmp_path}/c-json.log: .*No space left"):
            log.write(entries("a"), T)
    finally:
        monkeypatch.undo()
        log.close()


def test_a_write_cut_short_by_the_kernel_leaves_no_torn_entry(tmp_path):
    # RLIMIT_FSIZE makes the kernel do what a filling disk does: write what fits, then fail (EFBIG; Python
    # ignores SIGXFSZ). Before the fix the torn entry stayed and the next one ran on from it.
    path = tmp_path / "c-json.log"
    log = RotatingLogFile(path, max_size=None, max_file=1, compress=False)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    try:
        log.write(entries("before"), T)
        limit = path.stat().st_size + 10
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        with pytest.raises(LogFileError, match=f"logdrivers: write {path}: .*File too large"):
            log.write(entries("cut-short-by-the-limit"), T)
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space came back
        log.write(entries("after"), T)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        log.close()
    assert path.read_bytes() == entries("before") + entries("after")


def test_driver_writes_attrs_with_tag_over_label(info):
    options = parse_options({"labels": "tag,tier", "tag": "{{.Name}}"})
    driver = create_json_file(info, options)
    try:
        driver.log_batch(LineBatch("stdout", T, b"one\ntwo\n"))
        driver.log(Message(b"three", "stderr", T))
    finally:
        driver.close()
    lines = info.log_path.read_bytes().splitlines()
    assert lines[0] == (
        b'{"log":"one\\n","stream":"stdout","attrs":{"tag":"foobar","tier":"front"},'
        b'"time":"2026-11-28T01:31:01.301226849Z"}'
    )
    assert [json.loads(line)["log"] for line in lines] == ["one\n", "two\n", "three\n"]
    assert json.loads(lines[2])["stream"] == "stderr"


def test_short_writes_are_completed(tmp_path, monkeypatch):
    # writev() of a regular file may write less than asked (a signal, a nearly full disk): the rest follows.
    real_writev = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, parts: real_writev(fd, [bytes(parts[0])[:3]]))
    log = RotatingLogFile(tmp_path / "c-json.log", max_size=None, max_file=1, compress=False)
    try:
        log.write_parts([b"ab", memoryview(b"cdefg\n")], T)
    finally:
        monkeypatch.undo()
        log.close()
    assert (tmp_path / "c-json.log").read_bytes() == b"abcdefg\n"


def test_pieces_crossing_max_size_are_cut_at_an_entry(tmp_path):
    log = RotatingLogFile(tmp_path / "c-json.log", max_size=20, max_file=2, compress=False)
    try:
        data = entries("a", "b", "c", "d")
        log.write_parts([data[:5], memoryview(data)[5:]], T)
    finally:
        log.close()
    assert (tmp_path / "c-json.log.1").read_bytes() == entries("a", "b", "c")
    assert (tmp_path / "c-json.log").read_bytes() == entries("d")

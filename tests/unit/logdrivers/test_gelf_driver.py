"""What the gelf driver sends, reassembled and inflated by a spec-written collector and compared field by field
with the message Docker's gelf driver documents."""

import json
import os
import random
import zlib

import pytest

from logdrivers.gelf.driver import GelfDriver
from logdrivers.gelf.options import parse_options
from logdrivers.message import Message, PartialMeta
from tests.support.collectors import GelfTcpServer, GelfUdpServer
from tests.support.waiting import wait_for
from tests.unit.logdrivers.conftest import CONTAINER_ID, IMAGE_ID

T = 1_714_564_800_123_456_789


@pytest.fixture
def udp():
    s = GelfUdpServer()
    yield s
    s.stop()


@pytest.fixture
def tcp():
    s = GelfTcpServer()
    yield s
    s.stop()


def udp_driver(info, server, **opts):
    return GelfDriver(info, parse_options({"gelf-address": f"udp://127.0.0.1:{server.port}", **opts}))


def messages(server, count):
    wait_for(lambda: len(server.messages) >= count, 5, 0.01, f"{count} GELF messages")
    return server.messages


def test_dockers_fields_levels_and_timestamp(info, udp):
    driver = udp_driver(info, udp, labels="tier,_private", env="A")
    driver.ship([Message(b"out <line>", "stdout", T), Message(b"err line", "stderr", T)])
    out, err = messages(udp, 2)
    driver.close()
    assert (
        out
        == {
            "version": "1.1",
            "host": "host1",
            "short_message": "out <line>",
            "timestamp": 1714564800.123,  # milliseconds
            "level": 6,
            "_container_id": CONTAINER_ID,
            "_container_name": "foobar",  # without the slash, unlike fluentd
            "_image_id": IMAGE_ID,
            "_image_name": "hello-world",
            "_command": "/hello -v x",
            "_tag": CONTAINER_ID[:12],
            "_created": "2026-11-28T01:31:01.301226849Z",
            "_tier": "front",
            "_A": "2",
        }
    )
    assert err["level"] == 3 and err["short_message"] == "err line"
    assert "full_message" not in out and "facility" not in out


def test_key_order_is_go_gelfs(info, udp):
    driver = udp_driver(info, udp, **{"gelf-compression-type": "none"})
    driver.log(Message(b"x", "stdout", T))
    messages(udp, 1)
    driver.close()
    keys = list(json.loads(udp.datagrams[0]))
    assert keys[:5] == ["version", "host", "short_message", "timestamp", "level"]
    assert keys[5:] == sorted(keys[5:])


@pytest.mark.parametrize(("kind", "magic"), [("gzip", b"\x1f\x8b"), ("zlib", b"\x78"), ("none", b"{")])
def test_compression_types(info, udp, kind, magic):
    driver = udp_driver(info, udp, **{"gelf-compression-type": kind, "gelf-compression-level": "9"})
    driver.log(Message(b"compressed", "stdout", T))
    (message,) = messages(udp, 1)
    driver.close()
    assert udp.datagrams[0].startswith(magic)
    assert message["short_message"] == "compressed"


def test_large_messages_are_chunked_and_reassembled(info, udp):
    line = random.Random(1).randbytes(60_000).hex().encode()  # 120 KB that compress poorly: ~60 chunks
    driver = udp_driver(info, udp)
    assert driver.ship([Message(line, "stdout", T)]) == 0
    (message,) = messages(udp, 1)
    driver.close()
    assert message["short_message"] == line.decode()
    chunks = udp.datagrams
    assert len(chunks) > 1 and all(c[:2] == b"\x1e\x0f" and len(c) <= 1420 for c in chunks)
    assert {c[2:10] for c in chunks} == {chunks[0][2:10]}  # one message id
    assert [c[10] for c in chunks] == list(range(len(chunks))) and {c[11] for c in chunks} == {len(chunks)}


def test_a_message_over_128_chunks_is_refused_and_the_rest_goes_on(info, udp):
    huge = os.urandom(200_000)  # incompressible: ~142 chunks
    driver = udp_driver(info, udp, **{"gelf-compression-type": "none"})
    assert driver.ship([Message(huge.hex().encode()[:400_000], "stdout", T), Message(b"next", "stdout", T)]) == 1
    (message,) = messages(udp, 1)
    driver.close()
    assert message["short_message"] == "next"


def test_empty_lines_are_skipped_and_partials_go_as_separate_messages(info, udp):
    driver = udp_driver(info, udp)
    driver.ship(
        [
            Message(b"", "stdout", T),
            Message(b"a" * 5, "stdout", T, PartialMeta("p", 1, False)),
            Message(b"b", "stdout", T, PartialMeta("p", 2, True)),
        ]
    )
    got = messages(udp, 2)
    driver.close()
    assert [m["short_message"] for m in got] == ["aaaaa", "b"]
    assert all(not k.startswith("_partial") for m in got for k in m)


def test_invalid_utf8_and_control_bytes(info, udp):
    driver = udp_driver(info, udp)
    driver.log(Message(b"bad\xff\xfe tab\t nul\0 \xe2\x80\xa8", "stdout", T))
    (message,) = messages(udp, 1)
    driver.close()
    assert message["short_message"] == "bad\ufffd\ufffd tab\t nul\0 \u2028"


def test_tcp_sends_null_delimited_uncompressed_frames(info, tcp):
    driver = GelfDriver(info, parse_options({"gelf-address": f"tcp://127.0.0.1:{tcp.port}"}))
    driver.ship([Message(str(i).encode(), "stdout", T) for i in range(1, 1001)])
    got = messages(tcp, 1000)
    driver.close()
    assert [m["short_message"] for m in got] == [str(i) for i in range(1, 1001)]
    assert got[0]["_container_name"] == "foobar"


def test_tcp_collector_down_fails_the_attempt_then_reconnects(info, tcp):
    driver = GelfDriver(
        info, parse_options({"gelf-address": f"tcp://127.0.0.1:{tcp.port}", "gelf-tcp-reconnect-delay": "0"})
    )
    driver.log(Message(b"one", "stdout", T))
    messages(tcp, 1)
    tcp.stop()
    with pytest.raises(OSError):
        for _ in range(3):
            driver.log(Message(b"maybe", "stdout", T))
    tcp.start()
    driver.log(Message(b"two", "stdout", T))
    wait_for(lambda: tcp.messages[-1]["short_message"] == "two", 5, 0.01, "the message after the outage")
    assert driver.retry_delay(1) == 0.05  # reconnect-delay 0 does not spin
    driver.close()


def test_zlib_level_default_is_best_speed(info, udp):
    driver = udp_driver(info, udp, **{"gelf-compression-type": "zlib"})
    driver.log(Message(b"z" * 1000, "stdout", T))
    messages(udp, 1)
    driver.close()
    assert udp.datagrams[0][:2] == zlib.compress(b"", 1)[:2]  # the zlib header records the level class

"""What the fluentd driver puts on the wire, decoded by the spec-written collector and compared field by
field with the record Docker documents."""

import pytest

from logdrivers.driver import DeliveryFailed
from logdrivers.fluentd.driver import FluentdDriver
from logdrivers.fluentd.options import parse_options
from logdrivers.message import LineBatch, Message, PartialMeta
from tests.support.collectors import EventTime, ForwardServer
from tests.unit.logdrivers.conftest import CONTAINER_ID

T = 1_714_564_800_123_456_789


@pytest.fixture
def server():
    s = ForwardServer()
    yield s
    s.stop()


def wait_events(server, count):
    from tests.support.daemon import wait_for

    wait_for(lambda: len(server.events) >= count, 5, 0.01, f"{count} events")
    return server.events


def driver_for(info, server, **opts):
    return FluentdDriver(info, parse_options({"fluentd-address": f"127.0.0.1:{server.port}", **opts}))


def test_one_message_is_dockers_message_mode_record(info, server):
    driver = driver_for(info, server)
    driver.log(Message(b'hello <world> & "q"', "stdout", T))
    (event,) = wait_events(server, 1)
    driver.close()
    assert event.mode == "message"
    assert event.tag == CONTAINER_ID[:12]  # {{.ID}} by default
    assert event.time == 1_714_564_800  # integer seconds without sub-second precision
    assert event.record == {
        "container_id": CONTAINER_ID.encode(),
        "container_name": b"/foobar",  # Docker keeps the leading slash
        "source": b"stdout",
        "log": b'hello <world> & "q"',
    }
    assert server.options == [{}]


def test_sub_second_precision_sends_event_time_ext_0(info, server):
    driver = driver_for(info, server, **{"fluentd-sub-second-precision": "true"})
    driver.log(Message(b"x", "stderr", T))
    (event,) = wait_events(server, 1)
    driver.close()
    assert event.time == EventTime(1_714_564_800, 123_456_789)
    assert event.record["source"] == b"stderr"


def test_partial_pieces_carry_dockers_partial_fields(info, server):
    driver = driver_for(info, server)
    driver.ship(
        [
            Message(b"a" * 10, "stdout", T, PartialMeta("p" * 64, 1, False)),
            Message(b"b", "stdout", T, PartialMeta("p" * 64, 2, True)),
        ]
    )
    events = wait_events(server, 2)
    driver.close()
    assert [e.record["log"] for e in events] == [b"a" * 10, b"b"]
    assert {k: v for k, v in events[1].record.items() if k.startswith("partial")} == {
        "partial_message": b"true",
        "partial_id": b"p" * 64,
        "partial_ordinal": b"2",
        "partial_last": b"true",
    }
    assert events[0].record["partial_last"] == b"false" and events[0].record["partial_ordinal"] == b"1"


def test_labels_env_and_tag_template(info, server):
    driver = driver_for(info, server, labels="tier", env="A", tag="{{.ImageName}}/{{.Name}}/{{.ID}}")
    driver.log(Message(b"x", "stdout", T))
    (event,) = wait_events(server, 1)
    driver.close()
    assert event.tag == f"hello-world/foobar/{CONTAINER_ID[:12]}"
    assert event.record["tier"] == b"front" and event.record["A"] == b"2"


def test_an_attribute_named_log_overwrites_the_line_as_in_docker(info, server):
    info = type(info)(**{**{f: getattr(info, f) for f in info.__slots__}, "labels": {"log": "from-label"}})
    driver = driver_for(info, server, labels="log")
    driver.log(Message(b"the line", "stdout", T))
    (event,) = wait_events(server, 1)
    driver.close()
    assert event.record["log"] == b"from-label"


def test_binary_output_goes_out_as_the_raw_bytes(info, server):
    line = bytes(range(256)).replace(b"\n", b"")
    driver = driver_for(info, server)
    driver.log(Message(line, "stdout", T))
    driver.log(Message(b"\0\0nul", "stdout", T))
    events = wait_events(server, 2)
    driver.close()
    assert [e.record["log"] for e in events] == [line, b"\0\0nul"]


def test_batches_go_out_packed_in_order_split_at_the_buffer_limit(info, server):
    driver = driver_for(info, server, **{"fluentd-buffer-limit": "1000"})
    messages = [Message(str(i).encode(), "stdout", T + i) for i in range(2500)]
    assert driver.ship(messages) == 0
    events = wait_events(server, 2500)
    driver.close()
    assert server.logs() == [str(i).encode() for i in range(2500)]
    assert {e.mode for e in events} == {"packed"}
    assert [o["size"] for o in server.options] == [1000, 1000, 500]


def test_log_batch_sends_every_line(info, server):
    driver = driver_for(info, server)
    driver.log_batch(LineBatch("stdout", T, b"one\ntwo\n\n"))
    wait_events(server, 3)
    driver.close()
    assert server.logs() == [b"one", b"two", b""]


def test_request_ack_waits_for_the_chunk_back(info, server):
    driver = driver_for(info, server, **{"fluentd-request-ack": "true"})
    driver.ship([Message(b"acked", "stdout", T)])
    driver.log(Message(b"acked too", "stdout", T))
    driver.close()
    assert server.logs() == [b"acked", b"acked too"]  # both returned only after their ack
    chunks = [o["chunk"] for o in server.options]
    assert len(set(chunks)) == 2 and all(len(c) == 24 for c in chunks)  # base64 of 16 bytes


def test_an_unacked_batch_is_a_failed_delivery(info):
    server = ForwardServer(ack=False)
    try:
        driver = driver_for(info, server, **{"fluentd-request-ack": "true", "fluentd-read-timeout": "200ms"})
        with pytest.raises(DeliveryFailed) as caught:
            driver.ship([Message(b"x", "stdout", T)])
        assert caught.value.delivered == 0
        driver.close()
    finally:
        server.stop()


def test_unix_socket(info, tmp_path):
    server = ForwardServer(unix_path=str(tmp_path / "fluent.sock"))
    try:
        driver = FluentdDriver(info, parse_options({"fluentd-address": f"unix://{tmp_path}/fluent.sock"}))
        driver.log(Message(b"over unix", "stdout", T))
        wait_events(server, 1)
        driver.close()
        assert server.logs() == [b"over unix"]
    finally:
        server.stop()


def test_a_collector_that_is_down_fails_the_attempt_and_a_later_one_reconnects(info, server):
    driver = driver_for(info, server)
    driver.log(Message(b"before", "stdout", T))
    wait_events(server, 1)
    server.stop()
    with pytest.raises((DeliveryFailed, OSError)):
        for _ in range(3):  # the first send after the peer closed may still be buffered by the kernel
            driver.ship([Message(b"lost-or-not", "stdout", T)])
    server.start()
    driver.ship([Message(b"after", "stdout", T)])
    wait_events(server, 2)
    driver.close()
    assert server.logs()[-1] == b"after"


def test_retry_delay_is_fluent_logger_golangs_backoff(info, server):
    driver = driver_for(info, server, **{"fluentd-retry-wait": "100ms"})
    assert [round(driver.retry_delay(n), 4) for n in (1, 2, 3)] == [0.1, 0.15, 0.225]
    assert driver_for(info, server).retry_delay(100) == 60.0

import pytest
from werkzeug.datastructures import MultiDict

from tests.unit.web.fakes import FakeEngine
from web.errors import InvalidOption
from web.logstream import LogFollower, LogLine, LogQuery, parse_log_line, parse_log_query, parse_time_ns

CID = "f" * 64


@pytest.mark.parametrize(
    "text, ns",
    [
        ("2024-05-01T10:00:00.123456789Z", 1714557600_123456789),
        ("2024-05-01T10:00:00.5Z", 1714557600_500000000),  # Go trims trailing zeros
        ("2024-05-01T10:00:00Z", 1714557600_000000000),
        ("2024-05-01T12:00:00.000000001+02:00", 1714557600_000000001),
        ("2024-05-01 10:00:00Z", None),
        ("garbage", None),
    ],
)
def test_parse_time_ns_is_exact(text, ns):
    assert parse_time_ns(text) == ns


@pytest.mark.parametrize(
    "payload, line",
    [
        (b"2024-05-01T10:00:00.5Z hello world\n", LogLine(1714557600_500000000, "stdout", "hello world")),
        (b"2024-05-01T10:00:00Z crlf\r\n", LogLine(1714557600_000000000, "stdout", "crlf")),
        (b"2024-05-01T10:00:00Z \xff\n", LogLine(1714557600_000000000, "stdout", "\ufffd")),
        (b"2024-05-01T10:00:00Z \n", LogLine(1714557600_000000000, "stdout", "")),
        (b"no stamp here\n", None),
    ],
)
def test_parse_log_line(payload, line):
    assert parse_log_line(payload, "stdout") == line


def test_a_line_prints_its_time_with_nine_digits():
    assert LogLine(1714557600_500000000, "stderr", "x").timestamp == "2024-05-01T10:00:00.500000000Z"


@pytest.mark.parametrize(
    "args, last_id, query",
    [
        ({}, None, LogQuery()),
        ({"tail": "all", "follow": "0"}, None, LogQuery(tail=None, follow=False)),
        ({"tail": "5", "stderr": "0"}, "1714557600500000000", LogQuery(5, True, False, True, 1714557600500000000)),
    ],
)
def test_parse_log_query(args, last_id, query):
    assert parse_log_query(MultiDict(args), last_id) == query


@pytest.mark.parametrize(
    "args, last_id, message",
    [
        ({"tail": "-1"}, None, "web: invalid tail '-1': expected 'all' or a number from 0 to 10000"),
        ({"tail": "99999"}, None, "web: invalid tail '99999'"),
        ({"stdout": "0", "stderr": "0"}, None, "web: invalid logs query: choose stdout, stderr or both"),
        ({"follow": "yes"}, None, "web: invalid follow 'yes': expected 1 or 0"),
        ({}, "abc", "web: invalid Last-Event-ID 'abc'"),
    ],
)
def test_parse_log_query_refuses(args, last_id, message):
    with pytest.raises(InvalidOption, match=message):
        parse_log_query(MultiDict(args), last_id)


def collect(follower: LogFollower) -> list:
    return [item for item in follower.lines(heartbeat=5) if item is not None]


def test_both_streams_are_read_each_with_its_own_request():
    engine = FakeEngine()
    engine.log_lines[(CID, "stdout")] = [b"2024-05-01T10:00:01Z out 1\n", b"2024-05-01T10:00:03Z out 2\n"]
    engine.log_lines[(CID, "stderr")] = [b"2024-05-01T10:00:02Z err 1\n"]
    lines = collect(LogFollower(engine, CID, LogQuery(tail=2)))
    assert sorted((line.time_ns, line.stream, line.text) for line in lines) == [
        (1714557601_000000000, "stdout", "out 1"),
        (1714557602_000000000, "stderr", "err 1"),
        (1714557603_000000000, "stdout", "out 2"),
    ]
    assert [(c["stdout"], c["stderr"], c["tail"], c["timestamps"], c["follow"]) for c in engine.log_calls] == [
        (True, False, 2, True, True),
        (False, True, 2, True, True),
    ]


def test_a_resumed_stream_asks_from_the_last_line_and_drops_it():
    engine = FakeEngine()
    engine.log_lines[(CID, "stdout")] = [b"2024-05-01T10:00:01Z seen\n", b"2024-05-01T10:00:01.000000001Z new\n"]
    lines = collect(LogFollower(engine, CID, LogQuery(stderr=False, after_ns=1714557601_000000000)))
    assert [line.text for line in lines] == ["new"]
    assert "tail" not in engine.log_calls[0]
    assert engine.log_calls[0]["since"] == pytest.approx(1714557601.0 - 1e-6)


def test_a_tty_stream_in_arbitrary_chunks_is_split_into_lines():
    engine = FakeEngine()
    engine.log_lines[(CID, "stdout")] = [b"2024-05-01T10:00:01Z par", b"tial\n2024-05-01T10:00:02Z a", b"b"]
    lines = collect(LogFollower(engine, CID, LogQuery(stderr=False)))
    assert [line.text for line in lines] == ["partial", "ab"]


def test_close_ends_the_requests():
    engine = FakeEngine()
    follower = LogFollower(engine, CID, LogQuery())
    follower.close()
    assert len(engine.log_streams) == 2
    assert all(stream.closed for stream in engine.log_streams)

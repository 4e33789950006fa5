import itertools
import random

import pytest

from logdrivers.message import MAX_LINE, LineBatch, Message
from logdrivers.splitter import SplitState, split_chunk, split_eof, split_flush

EOF = None  # marks the end of the stream in a case's chunk list
FLUSH = "flush"  # marks a flush of what waits for its newline (a terminal's prompt)


def run(chunks: list[bytes | None]) -> list[tuple]:
    """Feed chunks (read i at time i); entries as ("batch", data, ts) / ("piece", line, id, ordinal, last, ts)."""
    ids = (f"id{n}" for n in itertools.count(1))
    state, out = SplitState(), []
    for now, chunk in enumerate(chunks):
        if chunk is EOF:
            entries = split_eof(state, "stdout", now, lambda: next(ids))
        elif chunk == FLUSH:
            state, entries = split_flush(state, "stdout", now, lambda: next(ids))
        else:
            state, entries = split_chunk(state, chunk, "stdout", now, lambda: next(ids))
        for e in entries:
            assert e.source == "stdout"
            if isinstance(e, LineBatch):
                out.append(("batch", e.data, e.timestamp_ns))
            else:
                out.append(("piece", e.line, e.partial.id, e.partial.ordinal, e.partial.last, e.timestamp_ns))
    return out


A, B = b"a" * MAX_LINE, b"b" * MAX_LINE

CASES = {
    "lines": ([b"a\nb\n"], [("batch", b"a\nb\n", 0)]),
    "carriage return kept": ([b"a\r\nb\r\n"], [("batch", b"a\r\nb\r\n", 0)]),
    "empty lines are messages": ([b"\n\n"], [("batch", b"\n\n", 0)]),
    "line across reads": ([b"ab", b"c\n"], [("batch", b"abc\n", 1)]),
    "unterminated at EOF": (
        [b"a\nprompt> ", EOF],
        [("batch", b"a\n", 0), ("piece", b"prompt> ", "id1", 1, False, 1)],
    ),
    "nothing left at EOF": ([b"a\n", EOF], [("batch", b"a\n", 0)]),
    "one byte under the cap": ([b"x" * (MAX_LINE - 1) + b"\n"], [("batch", b"x" * (MAX_LINE - 1) + b"\n", 0)]),
    "exactly the cap: empty last piece": (
        [A + b"\n"],
        [("piece", A, "id1", 1, False, 0), ("piece", b"", "id1", 2, True, 0)],
    ),
    "two and a half caps": (
        [A + A + b"tail\n"],
        [("piece", A, "id1", 1, False, 0), ("piece", A, "id1", 2, False, 0), ("piece", b"tail", "id1", 3, True, 0)],
    ),
    "long line over three reads keeps the first timestamp": (
        [b"a" * 10000, b"a" * 10000, b"z\n"],
        [("piece", A, "id1", 1, False, 1), ("piece", b"a" * (20000 - MAX_LINE) + b"z", "id1", 2, True, 1)],
    ),
    "ordinary lines around a long one": (
        [b"x\ny\n" + A + b"rest\nz\n"],
        [
            ("batch", b"x\ny\n", 0),
            ("piece", A, "id1", 1, False, 0),
            ("piece", b"rest", "id1", 2, True, 0),
            ("batch", b"z\n", 0),
        ],
    ),
    "each long line its own id": (
        [A + b"\n" + B + b"\n"],
        [
            ("piece", A, "id1", 1, False, 0),
            ("piece", b"", "id1", 2, True, 0),
            ("piece", B, "id2", 1, False, 0),
            ("piece", b"", "id2", 2, True, 0),
        ],
    ),
    "EOF continues an open chain": (
        [A + b"more", EOF],
        [("piece", A, "id1", 1, False, 0), ("piece", b"more", "id1", 2, False, 0)],
    ),
    "EOF right after a full piece adds nothing": ([A, EOF], [("piece", A, "id1", 1, False, 0)]),
    "NUL and invalid UTF-8 pass through": ([b"\x00\xff\xfe\xc3(\n"], [("batch", b"\x00\xff\xfe\xc3(\n", 0)]),
    "a flushed prompt, then the line typed at it": (
        [b"/ # ", FLUSH, b"echo hi\r\nhi\r\n"],
        [("piece", b"/ # ", "id1", 1, False, 1), ("piece", b"echo hi\r", "id1", 2, True, 1), ("batch", b"hi\r\n", 2)],
    ),
    "keys echoed one flush at a time, each piece with its own time": (
        [b"e", FLUSH, b"x", FLUSH, b"\r\n"],
        [
            ("piece", b"e", "id1", 1, False, 1),
            ("piece", b"x", "id1", 2, False, 3),
            ("piece", b"\r", "id1", 3, True, 3),
        ],
    ),
    "a flush with nothing waiting adds nothing": (
        [b"a\n", FLUSH, b"b\n"],
        [("batch", b"a\n", 0), ("batch", b"b\n", 2)],
    ),
    "a flush then EOF": (
        [b"ab", FLUSH, b"c", EOF],
        [("piece", b"ab", "id1", 1, False, 1), ("piece", b"c", "id1", 2, False, 1)],
    ),
    "each read is stamped with its own time": (
        [b"1\n", b"2\n3\n"],
        [("batch", b"1\n", 0), ("batch", b"2\n3\n", 1)],
    ),
}


@pytest.mark.parametrize("chunks, expected", CASES.values(), ids=CASES.keys())
def test_split(chunks, expected):
    assert run(chunks) == expected


def test_batch_lines_and_messages_drop_only_the_newline():
    batch = LineBatch("stderr", 7, b"a\r\n\nb\n")
    assert batch.lines() == [b"a\r", b"", b"b"]
    assert list(batch.messages()) == [
        Message(b"a\r", "stderr", 7),
        Message(b"", "stderr", 7),
        Message(b"b", "stderr", 7),
    ]


@pytest.mark.parametrize("seed", range(20))
def test_printed_entries_rebuild_the_stream_exactly(seed):
    rng = random.Random(seed)
    pieces = [
        rng.choice([b"\n", b"x" * rng.randrange(0, 40000), bytes(rng.randrange(256) for _ in range(50))])
        for _ in range(30)
    ]
    stream = b"".join(pieces)
    cuts = sorted(rng.sample(range(1, len(stream)), 10)) if len(stream) > 11 else []
    chunks = [stream[i:j] for i, j in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    state, entries = SplitState(), []
    for chunk in chunks:
        state, new = split_chunk(state, chunk, "stdout", 0, lambda: "id")
        entries += new
    entries += split_eof(state, "stdout", 0, lambda: "id")
    printed = b"".join(e.data if isinstance(e, LineBatch) else e.printed() for e in entries)
    assert printed == stream
    for e in entries:
        if isinstance(e, LineBatch):
            assert max(len(line) for line in e.lines()) < MAX_LINE
        elif not e.partial.last and e is not entries[-1]:
            assert len(e.line) == MAX_LINE

"""json-file lines back into messages, many at once (the shipper's path): whole lines take the one-parse path,
anything else (a cut line, attributes, damage) gives what decoding line by line gives."""

import orjson

from common.rfc3339 import format_ns
from logdrivers.jsonfile.decode import EntryDecoder
from logdrivers.message import Message

T = 1_714_564_800_123_456_789


def entry(log: str, stream: str = "stdout", at: int = T, **extra) -> bytes:
    return orjson.dumps({"log": log, "stream": stream, "time": format_ns(at), **extra})


def one_by_one(raws: list[bytes]) -> list[Message]:
    decoder = EntryDecoder()
    return [msg for msg in map(decoder.decode, raws) if msg is not None]


def test_whole_lines_keep_their_stream_time_and_text():
    raws = [entry("one\n"), entry("two\n", "stderr"), entry("three \u00e9\n", at=T + 5)]
    assert EntryDecoder().decode_many(raws) == [
        Message(b"one", "stdout", T),
        Message(b"two", "stderr", T),
        Message("three \u00e9".encode(), "stdout", T + 5),
    ]


def test_a_cut_line_gives_its_pieces_chained_as_line_by_line():
    raws = [entry("whole\n"), entry("first half "), entry("second half\n"), entry("after\n")]
    decoded = EntryDecoder().decode_many(raws)
    assert [(m.line, m.partial.ordinal if m.partial else None) for m in decoded] == [
        (b"whole", None),
        (b"first half ", 1),
        (b"second half", 2),
        (b"after", None),
    ]
    assert decoded[1].partial.id == decoded[2].partial.id and decoded[2].partial.last
    assert [m.printed() for m in decoded] == [m.printed() for m in one_by_one(raws)]


def test_a_chain_left_open_by_one_batch_is_closed_by_the_next():
    decoder = EntryDecoder()
    (head,) = decoder.decode_many([entry("begun ")])
    (tail, after) = decoder.decode_many([entry("ended\n"), entry("next\n")])
    assert (tail.partial.id, tail.partial.ordinal, tail.partial.last) == (head.partial.id, 2, True)
    assert after.partial is None


def test_attributes_are_kept():
    raws = [entry("plain\n"), entry("tagged\n", attrs={"team": "blue"})]
    assert [m.attrs for m in EntryDecoder().decode_many(raws)] == [None, {"team": "blue"}]


def test_damaged_lines_are_skipped_and_counted_and_the_rest_kept():
    raws = [entry("before\n"), b'{"log":"half-writ', b"\0\0\0" + entry("after nuls\n"), entry("last\n")]
    decoder = EntryDecoder()
    assert [m.line for m in decoder.decode_many(raws)] == [b"before", b"after nuls", b"last"]
    assert decoder.skipped == 1


def test_a_line_holding_two_entries_is_not_taken_for_two():
    raws = [entry("one\n") + b"," + entry("two\n"), entry("three\n")]
    decoder = EntryDecoder()
    assert [m.line for m in decoder.decode_many(raws)] == [b"three"]
    assert decoder.skipped == 1

"""ECS documents: their bytes, their ids, and cut lines joined back (or held until their end arrives)."""

import json
from dataclasses import replace

import pytest

from logdrivers.elasticsearch.documents import JOIN_LIMIT, DocumentEncoder
from logdrivers.elasticsearch.options import parse_options
from logdrivers.message import Message, PartialMeta
from tests.unit.logdrivers.conftest import CONTAINER_ID

T0 = 1_795_844_239_865_441_125  # 2026-11-28T05:37:19.865441125Z
OPTIONS = parse_options({"elasticsearch-url": "http://es:9200"})


@pytest.fixture
def encoder(info):
    return DocumentEncoder(info, OPTIONS)


def places(count, first_line=0):
    return [(1, 2, 100 * i, first_line + i) for i in range(count)]


def piece(text, pid, ordinal, last, source="stdout", ts=T0):
    return Message(text.encode(), source, ts, PartialMeta(pid, ordinal, last))


def test_a_line_is_an_ecs_document(encoder):
    (doc,), taken = encoder.documents([Message(b'say "hi" \xc3\xa9', "stderr", T0)], places(1), final=False)
    assert taken == 1 and doc.entries == 1
    assert json.loads(doc.source) == {
        "@timestamp": "2026-11-28T05:37:19.865441125Z",
        "message": 'say "hi" é',
        "log": {"iostream": "stderr"},
        "container": {
            "id": CONTAINER_ID,
            "name": "foobar",
            "image": {"name": "hello-world"},
            "runtime": "porthole",
            "labels": {"com_example_team": "web", "tier": "front", "tag": "from-label"},  # dots made "_"
        },
        "host": {"name": "host1"},
        "ecs": {"version": "8.11.0"},
        "data_stream": {"type": "logs", "dataset": "porthole", "namespace": "default"},
        "event": {"dataset": "porthole"},
    }


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00.000000000Z"),
        (T0, "2026-11-28T05:37:19.865441125Z"),
        (T0 - 865441125 + 7, "2026-11-28T05:37:19.000000007Z"),
    ],
)
def test_timestamps_keep_all_nine_digits(encoder, ns, text):
    assert encoder.timestamp(ns) == text.encode()


def test_no_data_stream_fields_for_an_index_outside_elastics_naming(info):
    encoder = DocumentEncoder(info, parse_options({"elasticsearch-url": "http://es:1", "elasticsearch-index": "app"}))
    (doc,), _ = encoder.documents([Message(b"x", "stdout", T0)], places(1), final=True)
    assert "data_stream" not in json.loads(doc.source) and "event" not in json.loads(doc.source)


def test_ids_depend_on_the_container_and_the_place_only(encoder, info, tmp_path):
    lines = [Message(b"same", "stdout", T0), Message(b"same", "stdout", T0)]
    first, _ = encoder.documents(lines, places(2), final=True)
    again, _ = encoder.documents(lines, places(2), final=True)
    assert [d.id for d in first] == [d.id for d in again]  # a replay is answered 409
    assert first[0].id != first[1].id and all(len(d.id) == 20 for d in first)
    later, _ = encoder.documents(lines, places(2, first_line=2), final=True)
    assert {d.id for d in later}.isdisjoint(d.id for d in first)
    other = DocumentEncoder(replace(info, id="f" * 64), OPTIONS)
    assert other.documents(lines, places(2), final=True)[0][0].id != first[0].id


def test_unnumbered_logs_take_the_file_offset_and_time(encoder):
    place = (1, 2, 300, None)
    now, later = Message(b"a", "stdout", T0), Message(b"a", "stdout", T0 + 1)
    assert encoder.document_id(place, now, 1) == encoder.document_id(place, now, 1)
    assert encoder.document_id(place, now, 1) != encoder.document_id(place, later, 1)  # the inode used again
    assert encoder.document_id(place, now, 1) != encoder.document_id((1, 2, 301, None), now, 1)


def test_a_cut_line_becomes_one_document_between_its_neighbours(encoder):
    entries = [
        Message(b"before", "stdout", T0),
        piece("aa", "p", 1, False),
        Message(b"other stream", "stderr", T0),
        piece("bb", "p", 2, False),
        piece("cc", "p", 3, True),
        Message(b"after", "stdout", T0),
    ]
    docs, taken = encoder.documents(entries, places(6), final=False)
    assert taken == 6
    assert [json.loads(d.source)["message"] for d in docs] == ["before", "aabbcc", "other stream", "after"]
    assert [d.entries for d in docs] == [1, 3, 1, 1]
    assert "tags" not in json.loads(docs[1].source)
    assert docs[1].id == encoder.document_id(places(6)[1], entries[1], 3)


def test_a_line_still_cut_at_the_end_is_held_with_what_follows_it(encoder):
    entries = [
        Message(b"done", "stdout", T0),
        piece("aa", "p", 1, False),
        Message(b"err line", "stderr", T0),
        piece("bb", "p", 2, False),
    ]
    docs, taken = encoder.documents(entries, places(4), final=False)
    assert taken == 1 and [json.loads(d.source)["message"] for d in docs] == ["done"]


def test_a_finished_line_straddling_the_held_point_is_held_whole(encoder):
    entries = [
        piece("e1", "q", 1, False, "stderr"),
        piece("o1", "p", 1, False),
        piece("e2", "q", 2, True, "stderr"),
    ]
    docs, taken = encoder.documents(entries, places(3), final=False)
    assert (docs, taken) == ([], 0)  # q ends after p began: holding from p would split q


def test_final_ships_an_unended_line_tagged_partial(encoder):
    entries = [Message(b"x", "stdout", T0), piece("aa", "p", 1, False), piece("bb", "p", 2, False)]
    docs, taken = encoder.documents(entries, places(3), final=True)
    assert taken == 3
    assert json.loads(docs[1].source)["message"] == "aabb" and json.loads(docs[1].source)["tags"] == ["partial"]


def test_the_rest_of_a_line_begun_in_an_earlier_document_is_tagged_partial(encoder):
    docs, _ = encoder.documents([piece("cc", "p", 3, True)], places(1), final=False)
    assert json.loads(docs[0].source)["tags"] == ["partial"]


def test_a_line_past_the_join_limit_is_not_held(encoder):
    half = "a" * (JOIN_LIMIT // 2)
    entries = [piece(half, "p", 1, False), piece(half, "p", 2, False)]
    docs, taken = encoder.documents(entries, places(2), final=False)
    assert taken == 2 and len(json.loads(docs[0].source)["message"]) == JOIN_LIMIT

"""The reader for bodies nested deeper than orjson reads: the same values as json.loads, Go's depth limit with
Docker's words, and errors for what is not JSON."""

import json

import pytest

from runtime.api import deepjson
from runtime.errors import InvalidParameter

SAMPLES = [
    '{"a": [1, -2.5e3, "x\\u00e9\\n", true, false, null, {}, []], "b": {"c": {"d": 0.5}}}',
    " [ 1 , [ 2 , [ ] ] ] ",
    '"just a string"',
    "-0",
    "[" * 900 + '{"k": 1}' + "]" * 900,  # json.loads itself stops near 1000
]


@pytest.mark.parametrize("text", SAMPLES)
def test_values_are_those_json_reads(text):
    assert deepjson.loads(text.encode()) == json.loads(text)


def test_ten_thousand_levels_are_read_and_one_more_is_refused_as_docker_words_it():
    value = deepjson.loads(b"[" * 9_999 + b'{"k": 1}' + b"]" * 9_999)
    for _ in range(9_999):
        (value,) = value
    assert value == {"k": 1}
    with pytest.raises(InvalidParameter) as refused:
        deepjson.loads(b'{"a": ' + b"[" * 10_000)
    assert refused.value.message == "invalid JSON: invalid character '[' exceeded max depth"


@pytest.mark.parametrize("text", ["[1,]", '{"a" 1}', "[1] 2", "[", '{"a": tru}', '["\\x"]', "\xff"])
def test_what_is_not_json_is_invalid(text):
    with pytest.raises(InvalidParameter, match="^invalid JSON: "):
        deepjson.loads(text.encode("latin-1"))

"""Environment, env files, key=value lists, filters and restart policies."""

import pytest

from porthole.cli.flags.keyvalues import env_entry, parse_filters, read_env_file, string_map
from porthole.cli.flags.restart import restart_policy
from runtime.errors import InvalidParameter

ENVIRON = {"HOME": "/root", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("A=1", "A=1"), ("A=", "A="), ("A=b=c", "A=b=c"), ("HOME", "HOME=/root"), ("EMPTY", "EMPTY="), ("UNSET", "UNSET")],
)
def test_env_entry(text, expected):
    assert env_entry(text, ENVIRON) == expected


def test_env_entry_needs_a_name():
    with pytest.raises(InvalidParameter, match="no name before '='"):
        env_entry("=1", ENVIRON)


def test_read_env_file(tmp_path):
    path = tmp_path / "app.env"
    path.write_bytes(b"\xef\xbb\xbf# comment\nA=1\n\n  B=two words \nHOME\nUNSET\n   # indented comment\nC=\r\nD=x=y")
    assert read_env_file(path, ENVIRON) == ["A=1", "B=two words ", "HOME=/root", "C=", "D=x=y"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"A B=1\n", "line 1: variable 'A B' contains whitespace"),
        (b"A=1\n=2\n", "line 2: no variable name in '=2'"),
        (b"A=\xff\n", "line 1: invalid UTF-8"),
    ],
)
def test_bad_env_files(tmp_path, content, message):
    path = tmp_path / "bad.env"
    path.write_bytes(content)
    with pytest.raises(InvalidParameter) as caught:
        read_env_file(path, ENVIRON)
    assert caught.value.message == f"env file {str(path)!r}: {message}"


def test_a_missing_env_file_is_named(tmp_path):
    with pytest.raises(InvalidParameter, match=r"env file '.*nope.env': No such file or directory"):
        read_env_file(tmp_path / "nope.env")


def test_string_map():
    assert string_map(["a=1", "b", "c=x=y", "a=2"]) == {"a": "2", "b": "", "c": "x=y"}


def test_parse_filters():
    assert parse_filters(["status=running", "Status=exited", " label = a=b "]) == {
        "status": ["running", "exited"],
        "label": ["a=b"],
    }


def test_a_filter_needs_a_value():
    with pytest.raises(InvalidParameter, match="invalid filter 'status': expected name=value"):
        parse_filters(["status"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", {"Name": "no", "MaximumRetryCount": 0}),
        ("always", {"Name": "always", "MaximumRetryCount": 0}),
        ("unless-stopped", {"Name": "unless-stopped", "MaximumRetryCount": 0}),
        ("on-failure", {"Name": "on-failure", "MaximumRetryCount": 0}),
        ("on-failure:3", {"Name": "on-failure", "MaximumRetryCount": 3}),
    ],
)
def test_restart_policy(text, expected):
    assert restart_policy(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sometimes", "'sometimes' is none of no, always, unless-stopped, on-failure"),
        ("always:3", "a maximum retry count goes only with on-failure"),
        ("on-failure:x", "the maximum retry count must be a whole number"),
        (":3", "'' is none of"),
    ],
)
def test_bad_restart_policies(text, message):
    with pytest.raises(InvalidParameter) as caught:
        restart_policy(text)
    assert message in caught.value.message

"""The command line around the verbs: finding the verb, the registry, the multiplexed stream reader."""

import io
import struct

import pytest

from porthole.cli.command import resolve
from porthole.cli.logs import frames
from porthole.cli.main import build_parser, chosen_verb, command_words
from porthole.cli.running import start_failure_status
from porthole.cli.session import DEFAULT_HOST, resolve_host
from porthole.cli.verbs import VERBS


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["run", "busybox"], ["run", "busybox"]),
        (["-H", "unix:///x.sock", "ps", "-a"], ["ps"]),
        (["--host", "unix:///x.sock", "image", "ls"], ["image", "ls"]),
        (["--host=x", "images"], ["images"]),
        (["--help"], []),
        (["run", "-e", "A=1", "busybox"], ["run", "A=1"]),
    ],
)
def test_command_words(argv, words):
    assert command_words(argv) == words


@pytest.mark.parametrize(
    ("words", "name"),
    [
        (["images"], "images"),
        (["image", "ls"], "image ls"),
        (["container", "run"], "container run"),
        (["run", "busybox"], "run"),
        (["volume", "ls"], "volume ls"),
        (["nope"], None),
        (["image"], None),
    ],
)
def test_chosen_verb(words, name):
    chosen = chosen_verb(words)
    assert (chosen[1] if chosen else None) == name


@pytest.mark.parametrize("verb", VERBS, ids=lambda verb: verb.names[0])
def test_every_verb_resolves_and_answers_help(capsys, verb):
    assert callable(resolve(verb.run))
    for name in verb.names:
        argv = [*name.split(), "--help"]
        with pytest.raises(SystemExit) as caught:
            build_parser(argv).parse_args(argv)
        assert caught.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: porthole {name}")


def test_host_resolution():
    assert resolve_host("unix:///a.sock", {"DOCKER_HOST": "unix:///b.sock"}) == "unix:///a.sock"
    assert resolve_host(None, {"DOCKER_HOST": "unix:///b.sock"}) == "unix:///b.sock"
    assert resolve_host(None, {}) == DEFAULT_HOST


@pytest.mark.parametrize(
    ("message", "status"),
    [
        ('exec: "nope": executable file not found in $PATH', 127),
        ("open /x: no such file or directory", 127),
        ("exec /etc: permission denied", 126),
        ("exec /etc: is a directory", 126),
        ("cgroup: out of ideas", 125),
    ],
)
def test_start_failure_status(message, status):
    assert start_failure_status(f"Error response from daemon: {message}") == status


def _frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def test_frames_reads_the_multiplexed_stream():
    body = io.BytesIO(_frame(1, b"out\n") + _frame(2, b"err\n") + _frame(1, b"") + _frame(1, b"more"))
    assert list(frames(body)) == [(1, b"out\n"), (2, b"err\n"), (1, b"more")]

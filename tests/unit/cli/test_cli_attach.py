"""`porthole attach` refuses, as docker/cli does and in its words, a container it cannot attach to."""

import argparse
from types import SimpleNamespace

import pytest

from porthole.cli.attach import attach


def _session(**state):
    inspected = {"Id": "c" * 64, "Config": {"OpenStdin": False, "Tty": False}, "State": state}
    return SimpleNamespace(api=SimpleNamespace(inspect_container=lambda ref: inspected))


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({"Running": False, "Paused": False, "Restarting": False}, "stopped container, start it first"),
        ({"Running": True, "Paused": True, "Restarting": False}, "paused container, unpause it first"),
        ({"Running": True, "Paused": False, "Restarting": True}, "restarting container, wait until it is running"),
    ],
)
def test_a_container_it_cannot_attach_to_is_refused_in_dockers_words(state, words, capsys):
    args = argparse.Namespace(container="box", detach_keys=None, no_stdin=False, sig_proxy=True)
    assert attach(args, _session(**state)) == 1
    assert capsys.readouterr().err == f"You cannot attach to a {words}\n"

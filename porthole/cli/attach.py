"""`porthole attach`: a session with a running container's main process (its terminal in raw mode if it has one,
our stdin if it was created with -i), until it exits (its status is ours) or the detach keys leave it running."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from porthole.cli.attaching import (
    Conversation,
    add_detach_keys_flag,
    add_sig_proxy_flag,
    converse,
    detached_status,
)
from porthole.cli.command import FAILURE_STATUS

if TYPE_CHECKING:
    from porthole.cli.session import Session


# docker/cli's attach refuses these before it attaches, in this order, with these words
_REFUSALS = (
    (lambda state: not state["Running"], "You cannot attach to a stopped container, start it first"),
    (lambda state: state["Paused"], "You cannot attach to a paused container, unpause it first"),
    (lambda state: state["Restarting"], "You cannot attach to a restarting container, wait until it is running"),
)


def add_attach_arguments(parser: argparse.ArgumentParser) -> None:
    add_detach_keys_flag(parser)
    parser.add_argument("--no-stdin", action="store_true", help="do not send our stdin")
    add_sig_proxy_flag(parser)
    parser.add_argument("container", metavar="CONTAINER")


def attach(args: argparse.Namespace, session: Session) -> int:
    api = session.api
    config_and_state = api.inspect_container(args.container)
    state, config = config_and_state["State"], config_and_state["Config"]
    refusal = next((words for refused, words in _REFUSALS if refused(state)), None)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return FAILURE_STATUS
    container_id = config_and_state["Id"]
    stdin = bool(config["OpenStdin"]) and not args.no_stdin
    params = {"stdin": int(stdin), "stdout": 1, "stderr": 1, "stream": 1, "detachKeys": args.detach_keys or None}
    # The wait goes out first, so that an exit during the attach is not missed (docker's order too).
    waiting = session.request("POST", "/containers/{0}/wait", container_id, stream=True)
    output = api.attach_socket(container_id, params={k: v for k, v in params.items() if v is not None})
    talk = Conversation(
        tty=bool(config["Tty"]),
        stdin=stdin,
        detach_keys=args.detach_keys,
        resize=lambda rows, columns: api.resize(container_id, rows, columns),
        signals=container_id if args.sig_proxy else None,
    )
    try:
        if converse(session, output, talk):
            return detached_status()
        return int(waiting.json()["StatusCode"])
    finally:
        output.close()
        waiting.close()

"""`porthole create` and `porthole run`: detached, or attached with the container's output as it comes and its
exit status as ours (docker's order: create, attach, wait, start; 125 daemon error, 126 cannot run, 127 not found)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from porthole.cli.attaching import Conversation, converse
from porthole.cli.command import USAGE_STATUS
from porthole.cli.runspec import create_body

if TYPE_CHECKING:
    from porthole.cli.session import Session


def start_failure_status(message: str) -> int:
    """docker's toStatusError: 127 for a command not found, 126 for one that cannot be run, else 125."""
    lowered = message.lower()
    if "executable file not found" in lowered or "no such file or directory" in lowered:
        return 127
    if "permission denied" in lowered or "is a directory" in lowered:
        return 126
    return USAGE_STATUS


def create_container(args: argparse.Namespace, session: Session) -> str:
    body = create_body(args)
    reply = session.api.create_container_from_config(body, name=args.name)
    for warning in reply.get("Warnings") or []:
        print(f"WARNING: {warning}", file=sys.stderr)
    return reply["Id"]


def create(args: argparse.Namespace, session: Session) -> int:
    print(create_container(args, session))
    return 0


def run(args: argparse.Namespace, session: Session) -> int:
    container_id = create_container(args, session)
    if not args.detach:
        return run_attached(session, container_id, args)
    status = _start(session, container_id)
    if status == 0:
        print(container_id)
    return status


def _start(session: Session, container_id: str) -> int:
    """Start; 0, or the status docker gives for the failure after printing the daemon's message."""
    try:
        session.api.start(container_id)
    except Exception as e:
        message = session.failure_message(e)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return start_failure_status(message)
    return 0


def run_attached(session: Session, container_id: str, args: argparse.Namespace) -> int:
    api = session.api
    params = {"stdin": int(args.interactive), "stdout": 1, "stderr": 1, "stream": 1}
    output = api.attach_socket(container_id, params=params)
    # The wait goes out before the start, so that an exit right after the start is not missed; requests returns
    # once the daemon has sent the headers and leaves the body (the status) for later.
    waiting = session.request(
        "POST",
        "/containers/{0}/wait",
        container_id,
        params={"condition": "removed" if args.rm else "next-exit"},
        stream=True,
    )
    talk = Conversation(
        tty=args.tty,
        stdin=args.interactive,
        detach_keys=args.detach_keys,
        resize=lambda rows, columns: api.resize(container_id, rows, columns),
        signals=container_id if args.sig_proxy else None,
    )
    try:
        status = _start(session, container_id)
        if status:
            return status
        if converse(session, output, talk):
            return 0  # detached: docker run says nothing and leaves the container running
        result = waiting.json()
    finally:
        output.close()
        waiting.close()
    error = (result.get("Error") or {}).get("Message")
    if error:
        print(f"Error waiting for the container: {error}", file=sys.stderr)
        return USAGE_STATUS
    return int(result["StatusCode"])

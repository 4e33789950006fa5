"""Changing containers' state: start, stop, kill, restart, pause, unpause, rm, wait, and exec
(with -i and -t, a session as `attaching` holds one).
Verbs that take several containers act on each, print each name done and each error, as docker's do."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from porthole.cli.attaching import Conversation, add_detach_keys_flag, converse, detached_status
from porthole.cli.command import argtype
from porthole.cli.flags.keyvalues import env_entry, read_env_file
from runtime.errors import InvalidParameter

if TYPE_CHECKING:
    from porthole.cli.session import Session


def add_container_names(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("containers", nargs="+", metavar="CONTAINER")


def _with_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t",
        "--time",
        "--timeout",
        dest="timeout",
        type=int,
        metavar="SECONDS",
        help="seconds to wait for the stop before killing (default: the container's, else 10)",
    )


def add_stop_arguments(parser: argparse.ArgumentParser) -> None:
    _with_timeout(parser)
    parser.add_argument("-s", "--signal", help="signal to stop with (default: the container's, else SIGTERM)")
    add_container_names(parser)


def add_restart_arguments(parser: argparse.ArgumentParser) -> None:
    _with_timeout(parser)
    add_container_names(parser)


def add_kill_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-s", "--signal", default="KILL", help="signal to send (default KILL)")
    add_container_names(parser)


def add_rm_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--force", action="store_true", help="kill a running container first")
    parser.add_argument("-v", "--volumes", action="store_true", help="also remove its anonymous volumes")
    add_container_names(parser)


def start(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(args.containers, session.api.start)


def stop(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(
        args.containers,
        lambda name: session.request(
            "POST", "/containers/{0}/stop", name, params={"t": args.timeout, "signal": args.signal}
        ),
    )


def restart(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(
        args.containers,
        lambda name: session.request("POST", "/containers/{0}/restart", name, params={"t": args.timeout}),
    )


def kill(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(args.containers, lambda name: session.api.kill(name, signal=args.signal))


def pause(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(args.containers, session.api.pause)


def unpause(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(args.containers, session.api.unpause)


def rm(args: argparse.Namespace, session: Session) -> int:
    def remove(name: str) -> bool:
        try:
            session.api.remove_container(name, v=args.volumes, force=args.force)
        except Exception as e:
            if args.force and session.is_not_found(e):
                # docker's rm -f: a container that is not there is said so, but is no failure
                print(session.failure_message(e), file=sys.stderr)
                return False
            raise
        return True

    return session.for_each(args.containers, remove, show=lambda name, removed: name if removed else None)


def wait(args: argparse.Namespace, session: Session) -> int:
    return session.for_each(args.containers, session.api.wait, show=lambda _, result: str(result["StatusCode"]))


def add_exec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--detach", action="store_true", help="run the command in the background")
    parser.add_argument("-i", "--interactive", action="store_true", help="send our stdin to the command's")
    parser.add_argument("-t", "--tty", action="store_true", help="a terminal for the command")
    add_detach_keys_flag(parser)
    parser.add_argument(
        "-e",
        "--env",
        action="append",
        default=[],
        type=argtype(env_entry),
        metavar="K[=V]",
        help="set an environment variable",
    )
    parser.add_argument(
        "--env-file",
        action="append",
        default=[],
        type=argtype(read_env_file),
        metavar="FILE",
        help="read environment variables from a file",
    )
    parser.add_argument("-w", "--workdir", help="working directory inside the container")
    parser.add_argument("-u", "--user", help="user name or UID[:GID]")
    parser.add_argument("container", metavar="CONTAINER")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND")


def exec_(args: argparse.Namespace, session: Session) -> int:
    if not args.command:
        raise InvalidParameter("no command: give the command to run after the container's name")
    api = session.api
    env = [entry for entries in args.env_file for entry in entries] + args.env
    attached = not args.detach
    created = api.exec_create(
        args.container,
        args.command,
        stdin=attached and args.interactive,
        stdout=attached,
        stderr=attached,
        tty=args.tty,
        environment=env or None,
        workdir=args.workdir,
        user=args.user or "",
        detach_keys=args.detach_keys or None,
    )
    exec_id = created["Id"]
    if args.detach:
        api.exec_start(exec_id, detach=True, tty=args.tty)
        return 0
    stream = api.exec_start(exec_id, tty=args.tty, socket=True)
    talk = Conversation(
        tty=args.tty,
        stdin=args.interactive,
        detach_keys=args.detach_keys,
        resize=lambda rows, columns: api.exec_resize(exec_id, height=rows, width=columns),
    )
    try:
        if converse(session, stream, talk):
            return detached_status()
    finally:
        stream.close()
    return int(api.exec_inspect(exec_id)["ExitCode"] or 0)

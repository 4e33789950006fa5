"""The `porthole` command: docker's verbs and flags on docker-py, `porthole daemon`, `porthole busybox-rootfs`.

Every verb is listed in `porthole.cli.verbs`; only the module of the verb on the command line is imported and only
its flags are set up, so a command pays for itself alone (the engine behind `porthole daemon` is slow to import,
and so is docker-py, which `session` imports on the first request).
"""

from __future__ import annotations

import argparse
import os
import sys

from porthole.cli.command import FAILURE_STATUS, USAGE_STATUS, CliParser, Verb, resolve
from porthole.cli.session import Session, resolve_host
from porthole.cli.verbs import MANAGEMENT_GROUPS, VERBS
from runtime.errors import EngineError, InvalidParameter

_HOST_FLAGS = ("-H", "--host")


def command_words(argv: list[str]) -> list[str]:
    """The first two words that are neither global flags nor their values: a verb, or a group and its verb."""
    words, rest = [], iter(argv)
    for word in rest:
        if word in _HOST_FLAGS:
            next(rest, None)
        elif word.startswith("-"):
            continue
        else:
            words.append(word)
            if len(words) == 2:
                break
    return words


def chosen_verb(words: list[str]) -> tuple[Verb, str] | None:
    """The verb and the spelling that `words` start with."""
    for verb in VERBS:
        for name in verb.names:
            if name.split() == words[: len(name.split())]:
                return verb, name
    return None


def build_parser(argv: list[str]) -> CliParser:
    """The verb on the command line gets its parser and flags, alone: setting up the ~70 others costs ~10 ms.
    Without a known verb, or with a help flag before it, every verb is listed, for --help and argparse's choices."""
    parser = CliParser(prog="porthole", description="An observable container runtime that speaks docker's API.")
    parser.add_argument(
        "-H", "--host", help="daemon socket to talk to (default: $DOCKER_HOST, else unix:///run/porthole/porthole.sock)"
    )
    commands = parser.add_subparsers(dest="verb", metavar="COMMAND", required=True)
    groups: dict[str, argparse._SubParsersAction] = {}
    words = command_words(argv)
    chosen = chosen_verb(words)
    if chosen is not None and not _help_before(argv, words[0]):
        verb, name = chosen
        _add_verb(commands, groups, verb, name, with_arguments=True)
        return parser
    for verb in VERBS:
        for name in verb.names:
            _add_verb(commands, groups, verb, name, with_arguments=False)
    return parser


def _help_before(argv: list[str], first_word: str) -> bool:
    return any(flag in argv[: argv.index(first_word)] for flag in ("-h", "--help"))


def _add_verb(
    commands: argparse._SubParsersAction,
    groups: dict[str, argparse._SubParsersAction],
    verb: Verb,
    name: str,
    with_arguments: bool,
) -> None:
    group, _, word = name.rpartition(" ")
    where = _group_commands(commands, groups, group) if group else commands
    sub = where.add_parser(word, help=verb.summary, description=verb.summary, add_help=verb.add_help and with_arguments)
    if with_arguments:
        resolve(verb.arguments)(sub)
        sub.set_defaults(verb_record=verb)


def _group_commands(
    commands: argparse._SubParsersAction, groups: dict[str, argparse._SubParsersAction], group: str
) -> argparse._SubParsersAction:
    if group not in groups:
        parser = commands.add_parser(group, help=MANAGEMENT_GROUPS[group], description=MANAGEMENT_GROUPS[group])
        groups[group] = parser.add_subparsers(dest=f"{group}_verb", metavar="COMMAND", required=True)
    return groups[group]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    verb: Verb = args.verb_record
    if verb.service:
        return resolve(verb.run)(args)
    session = Session(resolve_host(args.host))
    try:
        return resolve(verb.run)(args, session)
    except InvalidParameter as e:
        print(f"porthole {verb.names[0]}: {e.message}", file=sys.stderr)
        return USAGE_STATUS
    except EngineError as e:
        print(f"porthole {verb.names[0]}: {e.message}", file=sys.stderr)
        return FAILURE_STATUS
    except BrokenPipeError:
        # The reader left (`porthole logs x | head`): quiet, as docker is; stdout goes to /dev/null so that the
        # interpreter's last flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILURE_STATUS
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        message = session.failure_message(e)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return verb.daemon_error_status


if __name__ == "__main__":
    sys.exit(main())

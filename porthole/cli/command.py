"""What every verb module uses: the parser with docker's exit status for bad usage, the verb record that the
registry in `porthole.cli.verbs` is made of, and the adapter that makes a flag parser an argparse type."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn, TypeVar

from runtime.errors import InvalidParameter

USAGE_STATUS = 125  # docker's status for a bad flag or argument, and for a daemon error in run and create
FAILURE_STATUS = 1

T = TypeVar("T")


class CliParser(argparse.ArgumentParser):
    """argparse, with docker's way out of a bad command line: the reason, where to look, status 125."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message}\nSee '{self.prog} --help'.\n")
        raise SystemExit(USAGE_STATUS)


# A NamedTuple rather than a frozen dataclass: `dataclasses` pulls in `inspect`, about 8 ms on every command.
class Verb(NamedTuple):
    """One command. `names` are its spellings ("images" and "image ls" run the same code); `arguments` and `run`
    are "module:function" so that only the module of the verb being run is imported."""

    names: tuple[str, ...]
    summary: str
    arguments: str  # adds the verb's flags to its parser: f(parser)
    run: str  # does the work: f(args, session) -> exit status, or f(args) for a service
    daemon_error_status: int = FAILURE_STATUS
    add_help: bool = True  # False where -h is a flag of the verb (run -h HOSTNAME); --help is then added by it
    service: bool = False  # a long-running program of its own (daemon, exporter, web): run(args), no session


def resolve(target: str) -> Callable[..., Any]:
    """`porthole.cli.running:run` → the function."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def argtype(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type=` from a flag parser: its InvalidParameter becomes argparse's error, which names the flag
    (`argument -m/--memory: invalid size '12x': ...`)."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except InvalidParameter as e:
            raise argparse.ArgumentTypeError(e.message) from None

    convert.__name__ = parse.__name__
    return convert


def add_help_flag(parser: argparse.ArgumentParser) -> None:
    """`--help` alone, for verbs whose `-h` means something else."""
    parser.add_argument("--help", action="help", help="show this help message and exit")

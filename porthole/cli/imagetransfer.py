"""Images in and out as tar streams: `import` (a rootfs tar) and `load` (a `docker save` or OCI tar) with upload
progress, `save`, and porthole's own `busybox-rootfs`, whose output `porthole import - busybox` takes."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from porthole.cli.command import FAILURE_STATUS
from porthole.cli.progress import MODES, upload_body
from runtime.errors import InvalidParameter

if TYPE_CHECKING:
    import requests

    from porthole.cli.session import Session


def _progress_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        choices=MODES,
        default="auto",
        help="upload progress on stderr: auto (when stderr is a terminal), tty, plain, none",
    )


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--change",
        action="append",
        default=[],
        metavar="INSTRUCTION",
        help="Dockerfile instruction to apply (CMD, ENTRYPOINT, ENV, EXPOSE, ...)",
    )
    parser.add_argument("-m", "--message", help="commit message of the image")
    _progress_flag(parser)
    parser.add_argument("file", metavar="FILE|-", help="rootfs tar, or - for standard input")
    parser.add_argument("reference", nargs="?", metavar="REPOSITORY[:TAG]")


def _open_source(path: str, stack: ExitStack) -> BinaryIO:
    if path == "-":
        if sys.stdin.isatty():
            raise InvalidParameter("no input: give a tar file, or a tar on standard input (not a terminal)")
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(path, "rb"))
    except OSError as e:
        raise InvalidParameter(f"file {path!r}: {e.strerror}") from None


def _print_json_lines(response: requests.Response, show: Callable[[dict[str, Any]], str | None]) -> int:
    """The daemon's JSON messages, one a line (docker-py's own reader expects them chunked): each shown line
    printed, an in-stream error printed with status 1."""
    status = 0
    with response:
        lines = [json.loads(line) for line in response.iter_lines() if line.strip()]
    for message in lines:
        if message.get("error") or message.get("errorDetail"):
            error = message.get("error") or message["errorDetail"].get("message", "")
            print(f"Error response from daemon: {error}", file=sys.stderr)
            status = FAILURE_STATUS
            continue
        text = show(message)
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()
    return status


def import_(args: argparse.Namespace, session: Session) -> int:
    with ExitStack() as stack:
        body = upload_body(_open_source(args.file, stack), "Importing", args.progress)
        # docker-py's import_image has no commit message: the call is made here, as the docker CLI makes it
        # (the whole reference in `repo`).
        params = {"fromSrc": "-", "repo": args.reference, "message": args.message, "changes": args.change or None}
        try:
            response = session.request(
                "POST",
                "/images/create",
                params=params,
                data=body,
                stream=True,
                headers={"Content-Type": "application/tar"},
            )
        finally:
            body.finish()  # the progress line ends before any message, the daemon's error included
        return _print_json_lines(response, lambda m: m.get("status", "") + "\n" if m.get("status") else None)


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-i", "--input", metavar="FILE", help="read from a tar file instead of standard input")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress")
    _progress_flag(parser)


def load(args: argparse.Namespace, session: Session) -> int:
    with ExitStack() as stack:
        body = upload_body(_open_source(args.input or "-", stack), "Loading", "none" if args.quiet else args.progress)
        try:
            response = session.request(
                "POST",
                "/images/load",
                params={"quiet": int(args.quiet)},
                data=body,
                stream=True,
                headers={"Content-Type": "application/x-tar"},
            )
        finally:
            body.finish()
        return _print_json_lines(response, lambda m: m.get("stream"))


def _write_output(path: str | None, write: Callable[[BinaryIO], None], what: str) -> None:
    """To `path` through a temporary file renamed at the end (no half-written file is left), or to stdout,
    which must not be a terminal."""
    if path is None:
        if sys.stdout.isatty():
            raise InvalidParameter(f"refusing to write {what} to a terminal: use -o FILE or redirect the output")
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as e:
        raise InvalidParameter(f"output file {path!r}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def add_save_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write to a file instead of standard output")
    parser.add_argument("images", nargs="+", metavar="IMAGE")


def save(args: argparse.Namespace, session: Session) -> int:
    def copy(out: BinaryIO) -> None:
        response = session.request("GET", "/images/get", params={"names": args.images}, stream=True)
        with response:
            for chunk in response.iter_content(1 << 16):
                out.write(chunk)

    _write_output(args.output, copy, "an image tar")
    return 0


def add_busybox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write to a file instead of standard output")


def busybox_rootfs(args: argparse.Namespace, session: Session) -> int:
    from runtime.images.busybox import write_busybox_rootfs

    _write_output(args.output, write_busybox_rootfs, "a tar")
    return 0

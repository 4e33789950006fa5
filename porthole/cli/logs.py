"""`porthole logs`: a container's output from its log, stdout to stdout and stderr to stderr, as docker shows it."""

from __future__ import annotations

import argparse
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from porthole.cli.command import argtype
from porthole.cli.flags.times import api_timestamp
from porthole.cli.output import write_output
from runtime.errors import InvalidParameter

if TYPE_CHECKING:
    import requests

    from porthole.cli.session import Session

FRAME_HEADER = struct.Struct(">BxxxL")  # stream id (1 stdout, 2 stderr), 3 pad bytes, payload length


def tail_count(text: str) -> str:
    """`--tail`: a number of lines, or `all`."""
    if text == "all" or (text.isascii() and text.isdigit()):
        return text
    raise InvalidParameter(f"invalid line count {text!r}: expected a whole number or 'all'")


def add_logs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new output")
    parser.add_argument(
        "-n", "--tail", default="all", type=argtype(tail_count), help="number of lines from the end (default all)"
    )
    parser.add_argument(
        "--since",
        type=argtype(api_timestamp),
        metavar="TIME",
        help="since a time (2024-05-01T10:00:00Z) or a duration before now (10m, 1h30m)",
    )
    parser.add_argument(
        "--until", type=argtype(api_timestamp), metavar="TIME", help="until a time or a duration before now"
    )
    parser.add_argument("-t", "--timestamps", action="store_true", help="show each line's time")
    parser.add_argument("--details", action="store_true", help="show the extra attributes of each line")
    parser.add_argument("container", metavar="CONTAINER")


def frames(body: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """Docker's multiplexed stream as (stream id, payload) until the end of the body."""
    while header := body.read(FRAME_HEADER.size):
        if len(header) < FRAME_HEADER.size:
            return
        stream_id, length = FRAME_HEADER.unpack(header)
        if length:
            yield stream_id, body.read(length)


def write_frames(response: requests.Response) -> None:
    multiplexed = "multiplexed" in response.headers.get("Content-Type", "")
    chunks = frames(response.raw) if multiplexed else ((1, c) for c in response.iter_content(None) if c)
    for stream_id, payload in chunks:
        write_output(stream_id, payload)


def logs(args: argparse.Namespace, session: Session) -> int:
    params = {
        "stdout": 1,
        "stderr": 1,
        "follow": int(args.follow),
        "tail": args.tail,
        "since": args.since,
        "until": args.until,
        "timestamps": int(args.timestamps),
        "details": int(args.details),
    }
    with session.request("GET", "/containers/{0}/logs", args.container, params=params, stream=True) as response:
        write_frames(response)
    return 0

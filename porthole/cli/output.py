"""Output as docker prints it: aligned tables (Go's tabwriter as docker/cli sets it up), short ids, truncation,
go-units sizes and durations, and inspect's JSON."""

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from common.durations import human_duration

STDOUT_STREAM, STDERR_STREAM = 1, 2  # the stream ids of docker's multiplexed framing
# docker/cli formatter: tabwriter.NewWriter(out, minwidth 10, tabwidth 1, padding 3, ' ', 0)
MIN_WIDTH, PADDING = 10, 3
DECIMAL_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
BINARY_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO | None = None) -> None:
    """Columns as wide as their widest cell plus 3 (at least 10); the last column is not padded."""
    out = out or sys.stdout
    lines = [list(headers), *[list(r) for r in rows]]
    widths = [max(MIN_WIDTH, max(len(line[i]) for line in lines) + PADDING) for i in range(len(headers) - 1)]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)] + line[len(widths) :]
        out.write("".join(cells).rstrip() + "\n")
    out.flush()


def short_id(identifier: str) -> str:
    """`sha256:0123456789abcdef...` → `0123456789ab`."""
    return identifier.removeprefix("sha256:")[:12]


def ellipsis(text: str, width: int) -> str:
    """docker's formatter.Ellipsis: cut to `width` characters, the last one an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _scaled(size: float, base: float, units: Sequence[str]) -> tuple[float, str]:
    i = 0
    while size >= base and i < len(units) - 1:
        size /= base
        i += 1
    return size, units[i]


def human_size(size: float, precision: int = 3) -> str:
    """go-units HumanSizeWithPrecision: decimal units, `4.26MB`."""
    value, unit = _scaled(float(size), 1000.0, DECIMAL_UNITS)
    return f"{value:.{precision}g}{unit}"


def bytes_size(size: float) -> str:
    """go-units BytesSize: binary units, `1.5MiB`."""
    value, unit = _scaled(float(size), 1024.0, BINARY_UNITS)
    return f"{value:.4g}{unit}"


def ago(unix_seconds: float, now: float | None = None) -> str:
    """`5 minutes ago`, as the CREATED columns show."""
    return human_duration((time.time() if now is None else now) - unix_seconds) + " ago"


def print_json(value: Any, out: TextIO | None = None) -> None:
    """inspect's output: indented by four spaces, non-ASCII kept."""
    out = out or sys.stdout
    out.write(json.dumps(value, indent=4, ensure_ascii=False) + "\n")
    out.flush()


def write_output(stream_id: int, data: bytes) -> None:
    """A container's bytes to our stdout or our stderr, flushed at once (a user watches them arrive)."""
    target = sys.stderr.buffer if stream_id == STDERR_STREAM else sys.stdout.buffer
    target.write(data)
    target.flush()

"""Cutting a stream into log entries, as Docker's copier does, as pure functions over explicit state.

Lines end at b"\\n" only (a "\\r" stays in the line). A line of MAX_LINE bytes or more becomes partial pieces
of exactly MAX_LINE bytes sharing one id and the first piece's timestamp, ordinals counting from 1; the piece
that reaches the newline is marked last (it may be empty). Data left unterminated at EOF is one more partial
piece with last=False. Runs of ordinary lines come out as one LineBatch per read, so the common case costs a
few C-level scans per 64 KiB rather than a Python object per line.
"""

from collections.abc import Callable

import msgspec

from logdrivers.message import MAX_LINE, LineBatch, Message, PartialMeta

Entry = LineBatch | Message


class OpenChain(msgspec.Struct, frozen=True, gc=False):
    """A line already cut into pieces whose newline has not arrived yet. (Structs, as in logdrivers.message.)"""

    id: str
    ordinal: int  # of the last piece emitted
    timestamp_ns: int  # of the first piece


class SplitState(msgspec.Struct, frozen=True, gc=False):
    rest: bytes = b""  # unterminated data, always shorter than MAX_LINE
    chain: OpenChain | None = None


def _has_long_line(data: bytes, end: int) -> bool:
    """Whether some line in data[:end] is MAX_LINE bytes or longer, in one rfind per MAX_LINE bytes."""
    pos = 0
    while end - pos >= MAX_LINE:
        newline = data.rfind(b"\n", pos, pos + MAX_LINE)
        if newline < 0:
            return True
        pos = newline + 1
    return False


def split_chunk(
    state: SplitState, chunk: bytes, source: str, now_ns: int, new_id: Callable[[], str]
) -> tuple[SplitState, list[Entry]]:
    """Entries completed by `chunk` (read at `now_ns`) and the state to carry to the next read."""
    data = state.rest + chunk if state.rest else chunk
    end = data.rfind(b"\n") + 1
    if state.chain is None and len(data) - end < MAX_LINE and not _has_long_line(data, end):
        entries: list[Entry] = [LineBatch(source, now_ns, data[:end])] if end else []
        return SplitState(data[end:]), entries
    return _split_slowly(data, state.chain, source, now_ns, new_id)


def _split_slowly(
    data: bytes, chain: OpenChain | None, source: str, now_ns: int, new_id: Callable[[], str]
) -> tuple[SplitState, list[Entry]]:
    entries: list[Entry] = []
    pos = run_start = 0  # data[run_start:pos] is a run of ordinary complete lines not yet emitted
    while True:
        newline = data.find(b"\n", pos)
        stop = newline if newline >= 0 else len(data)
        if chain is None and stop - pos < MAX_LINE:
            if newline < 0:
                break
            pos = newline + 1
            continue
        if run_start < pos:
            entries.append(LineBatch(source, now_ns, data[run_start:pos]))
        while stop - pos >= MAX_LINE:
            chain = _next_piece(chain, now_ns, new_id)
            entries.append(_piece(data[pos : pos + MAX_LINE], source, chain, last=False))
            pos += MAX_LINE
        run_start = pos
        if newline < 0:
            break
        assert chain is not None  # reached only with a long line or an open chain
        entries.append(_piece(data[pos:newline], source, _next_piece(chain, now_ns, new_id), last=True))
        chain = None
        pos = run_start = newline + 1
    if run_start < pos:
        entries.append(LineBatch(source, now_ns, data[run_start:pos]))
    return SplitState(data[pos:], chain), entries


def split_eof(state: SplitState, source: str, now_ns: int, new_id: Callable[[], str]) -> list[Entry]:
    """At end of stream: unterminated data becomes a partial piece that is not last (Docker's behaviour)."""
    if not state.rest:
        return []
    chain = _next_piece(state.chain, now_ns, new_id)
    return [_piece(state.rest, source, chain, last=False)]


def split_flush(
    state: SplitState, source: str, now_ns: int, new_id: Callable[[], str]
) -> tuple[SplitState, list[Entry]]:
    """Unterminated data emitted now as a partial piece that is not last (a terminal's prompt, which no newline
    follows until the user types), its chain kept open for the rest of the line. The piece and those after it
    carry `now_ns`: a prompt and the command typed at it can be seconds apart."""
    if not state.rest:
        return state, []
    chain = _next_piece(state.chain, now_ns, new_id)
    chain = OpenChain(chain.id, chain.ordinal, now_ns)
    return SplitState(b"", chain), [_piece(state.rest, source, chain, last=False)]


def _next_piece(chain: OpenChain | None, now_ns: int, new_id: Callable[[], str]) -> OpenChain:
    if chain is None:
        return OpenChain(new_id(), 1, now_ns)
    return OpenChain(chain.id, chain.ordinal + 1, chain.timestamp_ns)


def _piece(line: bytes, source: str, chain: OpenChain, last: bool) -> Message:
    return Message(line, source, chain.timestamp_ns, PartialMeta(chain.id, chain.ordinal, last))

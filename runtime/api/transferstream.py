"""Pull and push progress as Docker's JSON messages, so `docker pull` and `docker push` draw their bars:
`{"status": "Downloading", "id": "<12 hex>", "progressDetail": {"current": n, "total": m}, "progress": "[=>  ]"}`,
status lines, the push's aux {Tag, Digest, Size}, errors as errorDetail."""

import json
import queue
import threading
from collections.abc import Callable, Iterator

from runtime.api.errors import stream_message
from runtime.images.registry.progress import LayerStatus, PushResult, StatusLine, TransferProgress

BAR_WIDTH = 50


def _bar(current: int, total: int) -> str:
    filled = min(BAR_WIDTH, current * BAR_WIDTH // total) if total else 0
    arrow = ">" if filled < BAR_WIDTH else "="
    return f"[{'=' * max(filled - 1, 0)}{arrow}{' ' * (BAR_WIDTH - filled)}] {_size(current)}/{_size(total)}"


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.3g}{unit}"
    return f"{count}B"


def render(record: TransferProgress) -> bytes:
    if isinstance(record, LayerStatus):
        message: dict = {"status": record.status, "id": record.id}
        if record.current is not None:
            message["progressDetail"] = {"current": record.current, "total": record.total}
            message["progress"] = _bar(record.current, record.total or 0)
        return json.dumps(message).encode() + b"\n"
    if isinstance(record, StatusLine):
        return json.dumps({"status": record.text}).encode() + b"\n"
    if isinstance(record, PushResult):
        aux = {"Tag": record.tag, "Digest": record.digest, "Size": record.size}
        return json.dumps({"progressDetail": {}, "aux": aux}).encode() + b"\n"
    raise TypeError(f"transfer stream: no rendering for {type(record).__name__}")


def render_error(error: BaseException, what: str) -> bytes:
    message = stream_message(error, what)
    return json.dumps({"errorDetail": {"message": message}, "error": message}).encode() + b"\n"


def streamed(work: Callable[[Callable[[TransferProgress], None]], object], what: str) -> Iterator[bytes]:
    """Run `work(emit)` on a thread; yield its records rendered, then its error if it failed (`what` failed)."""
    records: queue.Queue = queue.Queue()
    done = object()

    def run() -> None:
        try:
            work(records.put)
        except BaseException as error:  # noqa: BLE001 - reported in the stream
            records.put(error)
        finally:
            records.put(done)

    thread = threading.Thread(target=run, name="transfer", daemon=True)
    thread.start()
    finished = False
    while not finished:
        # What else is queued goes out in the same write: three layers' progress in one send, not one each.
        batch = [records.get()]
        while not records.empty():
            batch.append(records.get_nowait())
        finished = batch[-1] is done  # always the last record put
        rendered = [
            render_error(r, what) if isinstance(r, BaseException) else render(r) for r in batch if r is not done
        ]
        if rendered:
            yield b"".join(rendered)
    thread.join()

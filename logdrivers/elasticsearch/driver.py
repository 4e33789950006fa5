"""The elasticsearch driver: ECS documents into a data stream with the bulk API, at least once, no duplicates.

The shipper (logdrivers.shipping) hands it entries with their places in the local log; it makes one attempt
per call and never sleeps. Every document goes out as a bulk `create` (the only action a data stream takes)
with an id derived from its place, so a replay after a crash or a failed request is answered 409, which
counts as delivered. Per document: 2xx delivered; 409 already there; 400 malformed, written to the dead-letter
file and counted, never sent again; anything else (429, 5xx) makes the attempt fail, and the retry sends only
the documents not yet settled. A request that fails whole (no connection, 401, 403, 5xx) fails the attempt:
the shipper waits retry_delay() and offers the same entries again; they wait in the local log meanwhile.
"""

import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import ClassVar

from elasticsearch import ApiError, AuthorizationException, BadRequestError, NotFoundError, TransportError

from logdrivers.elasticsearch.client import ElasticsearchError, error_reason, make_client, translate
from logdrivers.elasticsearch.deadletter import DEAD_LETTER_FILE, DeadLetterFile
from logdrivers.elasticsearch.documents import Document, DocumentEncoder
from logdrivers.elasticsearch.options import ElasticsearchOptions
from logdrivers.elasticsearch.template import template_body, template_name
from logdrivers.info import ContainerInfo
from logdrivers.message import Message
from logdrivers.shipping.cursor import EntryPosition
from logdrivers.shipping.positioned import DocumentCounts, Shipped

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # well under Elasticsearch's http.max_content_length (100 MB)
REPORT_INTERVAL_S = 10.0
# Only what the driver reads of a bulk answer: the client parses less (a full answer echoes every document's
# index, id, version, sequence number and shards).
BULK_FILTER = "errors,items.*.status,items.*.error"

_log = logging.getLogger("logdrivers")


class ElasticsearchDriver:
    name: ClassVar[str] = "elasticsearch"

    def __init__(self, info: ContainerInfo, options: ElasticsearchOptions, client=None) -> None:
        self.options = options
        self._client = client if client is not None else make_client(options)
        self._encoder = DocumentEncoder(info, options)
        self.dead_letters = DeadLetterFile(info.log_path.parent / DEAD_LETTER_FILE)
        self._container = info.short_id
        self._ready = False  # template and pipeline checked
        self._settled: dict[str, int] = {}  # id -> entries refused, for documents of the batch being retried
        self._counts = {"shipped": 0, "duplicate": 0, "retried": 0, "rejected": 0}
        self._next_report = 0.0

    # -- the shipping interface ------------------------------------------------------------------------
    def ship_entries(self, entries: Sequence[Message], positions: Sequence[EntryPosition], final: bool) -> Shipped:
        documents, taken = self._encoder.documents(entries, positions, final)
        if not final and self._filling(documents, entries):
            return Shipped(0)
        self._ensure_ready()
        failure: ElasticsearchError | None = None
        unsettled = 0
        for request in self._requests(documents):
            pending = [doc for doc in request if doc.id not in self._settled]
            if not pending:
                continue
            try:
                left, error = self._send(pending)
            except ElasticsearchError as exc:
                left, error = len(pending), exc
            unsettled += left
            failure = failure or error
        if failure is not None:
            self._counts["retried"] += unsettled
            raise failure
        refused = sum(self._settled.values())
        self._settled.clear()
        return Shipped(taken, refused)

    def retry_delay(self, failures: int) -> float:
        return min(self.options.retry_backoff_s * 2 ** max(failures - 1, 0), self.options.retry_max_backoff_s)

    def document_counts(self) -> DocumentCounts:
        return DocumentCounts(**self._counts)

    # -- the LogDriver interface -----------------------------------------------------------------------
    def log(self, msg: Message) -> None:
        """One message without a place in a log (not the shipper's way): a random id, so never deduplicated."""
        self.ship_entries([msg], [(0, 0, int.from_bytes(os.urandom(8)), None)], final=True)

    def close(self) -> None:
        self._client.close()

    # -- requests ----------------------------------------------------------------------------------------
    def _filling(self, documents: list[Document], entries: Sequence[Message]) -> bool:
        """Whether to wait for more: a batch not yet full whose oldest line is younger than the flush interval."""
        age_s = (time.time_ns() - entries[0].timestamp_ns) / 1e9
        return len(documents) < self.options.batch_size and age_s < self.options.flush_interval_s

    def _requests(self, documents: list[Document]) -> Iterator[list[Document]]:
        request: list[Document] = []
        size = 0
        for doc in documents:
            if request and (len(request) >= self.options.batch_size or size + len(doc.source) > MAX_REQUEST_BYTES):
                yield request
                request, size = [], 0
            request.append(doc)
            size += len(doc.source) + 40
        if request:
            yield request

    def _send(self, documents: list[Document]) -> tuple[int, ElasticsearchError | None]:
        """One bulk request: how many documents are left to retry, and why."""
        body = b"".join([b'{"create":{"_id":"%s"}}\n%s\n' % (doc.id.encode(), doc.source) for doc in documents])
        try:
            answer = self._client.bulk(
                operations=body,
                index=self.options.index,
                pipeline=self.options.pipeline or None,
                filter_path=BULK_FILTER,
            ).body
        except (ApiError, TransportError) as exc:
            raise translate(exc, self.options, f"bulk request of {len(documents)} documents") from exc
        if not answer.get("errors"):
            self._settled.update((doc.id, 0) for doc in documents)
            self._counts["shipped"] += len(documents)
            return 0, None
        items = answer.get("items", [])
        if len(items) != len(documents):
            why = f"bulk answer has {len(items)} items for {len(documents)} documents"
            raise ElasticsearchError(", ".join(self.options.urls), why)
        left, first = 0, ""
        for doc, item in zip(documents, items, strict=True):
            outcome = next(iter(item.values()))
            status = outcome.get("status", 0)
            if 200 <= status < 300 or status == 409:
                self._settled[doc.id] = 0
                self._counts["shipped" if status != 409 else "duplicate"] += 1
            elif status == 400:
                self._reject(doc, outcome.get("error"))
            else:
                left += 1
                first = first or f"{status} {error_reason(outcome.get('error'))}"
        if not left:
            return 0, None
        why = f"{left} of {len(documents)} documents not taken now (the first: {first})"
        return left, ElasticsearchError(", ".join(self.options.urls), why)

    def _reject(self, doc: Document, error: object) -> None:
        self.dead_letters.write(self.options.index, doc.id, 400, error, doc.source)
        self._settled[doc.id] = doc.entries
        self._counts["rejected"] += 1
        now = time.monotonic()
        if now >= self._next_report:
            self._next_report = now + REPORT_INTERVAL_S
            _log.error(
                "logdrivers: elasticsearch %s: document %s of %s refused as malformed (%s): kept in %s (%d so far)",
                self.options.index,
                doc.id,
                self._container,
                error_reason(error),
                self.dead_letters.path,
                self._counts["rejected"],
            )

    # -- first use ---------------------------------------------------------------------------------------
    def _ensure_ready(self) -> None:
        if self._ready:
            return
        if self.options.install_template:
            self._install_template()
        if self.options.pipeline:
            self._check_pipeline()
        self._ready = True

    def _install_template(self) -> None:
        name, index = template_name(self.options.index), self.options.index
        try:
            if self._client.indices.exists_index_template(name=name):
                return
            self._client.indices.put_index_template(name=name, create=True, **template_body(index))
        except (AuthorizationException, BadRequestError) as exc:
            # 403: the user may write documents but not manage templates; 400: it exists (another container's
            # driver was first) or another template of the same priority matches. Shipping goes on either way.
            why = translate(exc, self.options, f"index template {name}")
            _log.warning("%s; documents go to %s with the mappings of whichever template matches it", why, index)
        except (ApiError, TransportError) as exc:
            raise translate(exc, self.options, f"index template {name}") from exc

    def _check_pipeline(self) -> None:
        pipeline = self.options.pipeline
        try:
            self._client.ingest.get_pipeline(id=pipeline)
        except NotFoundError as exc:
            # Elasticsearch would refuse every document with 400: waiting beats dead-lettering them all.
            where = translate(exc, self.options, "").where
            raise ElasticsearchError(where, f"ingest pipeline {pipeline}: not found (elasticsearch-pipeline)") from exc
        except AuthorizationException as exc:
            _log.warning(
                "%s; shipping through it unchecked", translate(exc, self.options, f"ingest pipeline {pipeline}")
            )
        except (ApiError, TransportError) as exc:
            raise translate(exc, self.options, f"ingest pipeline {pipeline}") from exc

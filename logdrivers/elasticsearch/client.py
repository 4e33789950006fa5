"""The official client, set up for a shipper, and its exceptions turned into the pipeline's own.

The client is elasticsearch-py 8.x: its major version must match the server's (a 9.x client sends
`compatible-with=9`, which an 8.x server refuses with 400 on every call). It tries each URL in turn on a
connection failure, but retries nothing else itself and never sleeps: the shipper owns the back-off
(ElasticsearchDriver.retry_delay) and replays the batch from the local log.
"""

import re

from elasticsearch import ApiError, Elasticsearch, TransportError, UnsupportedProductError
from elasticsearch.exceptions import ConnectionTimeout, SSLError
from elasticsearch.serializer import OrjsonSerializer

from logdrivers.elasticsearch.options import ElasticsearchOptions
from logdrivers.errors import LogDriverError

_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] [^)'\"]*")


class ElasticsearchError(LogDriverError):
    """A request failed: `logdrivers: elasticsearch <url>: <what> <why>`."""

    def __init__(self, where: str, why: str, status: int | None = None) -> None:
        self.where, self.why, self.status = where, why, status
        super().__init__(f"logdrivers: elasticsearch {where}: {why}")


def make_client(options: ElasticsearchOptions) -> Elasticsearch:
    settings: dict = {
        "hosts": list(options.urls),
        "request_timeout": options.timeout_s,
        "max_retries": len(options.urls) - 1,  # each other node once, on a connection failure only
        "retry_on_status": (),
        "retry_on_timeout": len(options.urls) > 1,
        "serializer": OrjsonSerializer(),  # bulk answers run to hundreds of kilobytes
    }
    if options.username:
        settings["basic_auth"] = (options.username, options.password)
    if options.api_key:
        settings["api_key"] = options.api_key
    if options.ca_path:
        settings["ca_certs"] = options.ca_path
    if not options.verify_tls:
        settings["verify_certs"] = False
        settings["ssl_show_warn"] = False
    return Elasticsearch(**settings)


def error_reason(error: object) -> str:
    """`type: reason` of an error object from an answer (a bulk item's, or a whole request's)."""
    if isinstance(error, dict):
        kind, reason = error.get("type", ""), error.get("reason", "")
        return f"{kind}: {reason}" if kind and reason else str(kind or reason or error)
    return str(error) if error else ""


def translate(exc: ApiError | TransportError, options: ElasticsearchOptions, what: str) -> ElasticsearchError:
    """The client's exception as one that says what failed, where, and what to check."""
    where = ", ".join(options.urls)
    if isinstance(exc, UnsupportedProductError):
        why = "the server is not Elasticsearch (it sends no 'X-Elastic-Product: Elasticsearch' header)"
        return ElasticsearchError(where, f"{what}: {why}")
    if isinstance(exc, ApiError):
        node = exc.meta.node
        where = f"{node.scheme}://{node.host}:{node.port}"
        status = exc.meta.status
        body = exc.body if isinstance(exc.body, dict) else {}
        reason = error_reason(body.get("error"))  # none for HEAD requests
        detail = f": {reason}" if reason else ""
        if status == 401:
            check = "check elasticsearch-username and elasticsearch-password, or elasticsearch-api-key"
            return ElasticsearchError(where, f"{what}: authentication failed (401): {check}{detail}", status)
        if status == 403:
            return ElasticsearchError(where, f"{what}: not allowed (403){detail}", status)
        return ElasticsearchError(where, f"{what}: failed ({status}){detail}", status)
    if isinstance(exc, ConnectionTimeout):
        return ElasticsearchError(where, f"{what}: no answer within {options.timeout_s:g}s")
    if isinstance(exc, SSLError):
        return ElasticsearchError(where, f"{what}: TLS failed (check elasticsearch-ca): {_short(exc)}")
    return ElasticsearchError(where, f"{what}: cannot connect: {_short(exc)}")


def _short(exc: TransportError) -> str:
    """urllib3's nested message reduced to its OS error ("[Errno 111] Connection refused") when it has one."""
    text = " ".join(str(part) for part in (exc.message, *exc.errors, exc.__cause__) if part)
    match = _ERRNO_TEXT.search(text)
    return match.group(0).strip() if match else str(exc.message or exc)

"""elasticsearch options, parsed once: the same function validates at container create and builds at start.

Named as Docker names its drivers' options (`<driver>-<what>`). Everything that can be known without asking
the server is checked here, so a typo fails `docker run` with a 400 naming the option; whether the server
answers, and accepts the credentials, is known only when shipping starts (the daemon's log and the shipping
error counter say so, and the lines wait in the local log).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from logdrivers.common_options import reject_unknown_keys
from logdrivers.errors import InvalidLogOpt
from logdrivers.goparse import parse_bool, parse_duration_ns, parse_uint

DRIVER = "elasticsearch"
DEFAULT_INDEX = "logs-porthole-default"
MAX_BATCH_SIZE = 10_000
KNOWN_KEYS = frozenset(
    {
        "elasticsearch-url",
        "elasticsearch-username",
        "elasticsearch-password",
        "elasticsearch-api-key",
        "elasticsearch-ca",
        "elasticsearch-tls-skip-verify",
        "elasticsearch-index",
        "elasticsearch-pipeline",
        "elasticsearch-install-template",
        "elasticsearch-batch-size",
        "elasticsearch-flush-interval",
        "elasticsearch-retry-backoff",
        "elasticsearch-retry-max-backoff",
        "elasticsearch-timeout",
    }
)
# Elasticsearch's rules for index and data stream names (MetadataCreateIndexService.validateIndexOrAliasName).
_INDEX_FORBIDDEN = set('\\/*?"<>| ,#:')


@dataclass(frozen=True, slots=True)
class ElasticsearchOptions:
    urls: tuple[str, ...]
    username: str = ""
    password: str = field(default="", repr=False)
    api_key: str = field(default="", repr=False)  # the encoded key, as Kibana shows it
    ca_path: str = ""  # PEM bundle the server's certificate must chain to; empty: the system's
    verify_tls: bool = True
    index: str = DEFAULT_INDEX  # a data stream name
    pipeline: str = ""  # an ingest pipeline run on every document
    install_template: bool = True  # put an index template for `index` on first use if there is none
    batch_size: int = 1000  # documents per bulk request, and how many a filling batch waits for
    flush_interval_s: float = 1.0  # the longest a line waits for its batch to fill; 0: send at once
    retry_backoff_s: float = 1.0  # the first wait after a failed request; doubled after each failure
    retry_max_backoff_s: float = 60.0
    timeout_s: float = 30.0  # one request

    @property
    def data_stream(self) -> tuple[str, str, str] | None:
        """(type, dataset, namespace) when the index follows Elastic's `<type>-<dataset>-<namespace>` scheme."""
        parts = self.index.split("-")
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def _fail(key: str, why: str) -> InvalidLogOpt:
    return InvalidLogOpt(key, DRIVER, why)


def parse_url(text: str) -> str:
    """One node's address; raises ValueError saying what is wrong with it."""
    if "://" not in text:
        raise ValueError("expected http://host:port or https://host:port")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme '{parts.scheme}'")
    if parts.username is not None or parts.password is not None:
        raise ValueError("credentials belong in elasticsearch-username and elasticsearch-password")
    if not parts.hostname:
        raise ValueError("missing host")
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when it is read
    except ValueError as exc:
        raise ValueError(f"invalid port: {exc}") from None
    if parts.query or parts.fragment:
        raise ValueError("a query or fragment is not allowed")
    return text.rstrip("/")


def check_index_name(name: str) -> None:
    """Elasticsearch's rules for a data stream or index name; raises ValueError with the broken rule."""
    if not name:
        raise ValueError("must not be empty")
    if name != name.lower():
        raise ValueError("must be lowercase")
    if bad := sorted(_INDEX_FORBIDDEN & set(name)):
        raise ValueError(f"must not contain {' '.join(repr(c) for c in bad)}")
    if name[0] in "-_+":
        raise ValueError("must not start with '-', '_' or '+'")
    if name in (".", ".."):
        raise ValueError("must not be '.' or '..'")
    if len(name.encode()) > 255:
        raise ValueError("must be at most 255 bytes")


def _duration_s(opts: Mapping[str, str], key: str, default_s: float, minimum_s: float) -> float:
    text = opts.get(key, "")
    if not text:
        return default_s
    try:
        seconds = parse_duration_ns(text) / 1e9
    except ValueError as exc:
        raise _fail(key, f"invalid value for {key}: value must be a duration: {exc}") from None
    if seconds < minimum_s:
        raise _fail(key, f"invalid value for {key}: must be at least {minimum_s:g}s, not '{text}'")
    return seconds


def _bool(opts: Mapping[str, str], key: str, default: bool) -> bool:
    text = opts.get(key, "")
    if not text:
        return default
    try:
        return parse_bool(text)
    except ValueError as exc:
        raise _fail(key, str(exc)) from None


def _urls(opts: Mapping[str, str]) -> tuple[str, ...]:
    given = opts.get("elasticsearch-url", "")
    if not given:
        raise _fail("elasticsearch-url", "elasticsearch-url is a required parameter")
    urls = []
    for item in given.split(","):
        try:
            urls.append(parse_url(item.strip()))
        except ValueError as exc:
            raise _fail("elasticsearch-url", f"invalid elasticsearch-url ({item.strip()}): {exc}") from None
    return tuple(urls)


def _credentials(opts: Mapping[str, str]) -> tuple[str, str, str]:
    username, password = opts.get("elasticsearch-username", ""), opts.get("elasticsearch-password", "")
    api_key = opts.get("elasticsearch-api-key", "")
    if username and not password:
        raise _fail("elasticsearch-password", "elasticsearch-username is set: elasticsearch-password is required")
    if password and not username:
        raise _fail("elasticsearch-username", "elasticsearch-password is set: elasticsearch-username is required")
    if api_key and username:
        raise _fail("elasticsearch-api-key", "use either elasticsearch-api-key or a username and password")
    return username, password, api_key


def _ca_path(opts: Mapping[str, str], urls: tuple[str, ...], verify: bool) -> str:
    path = opts.get("elasticsearch-ca", "")
    if not path:
        return ""
    if not verify:
        raise _fail("elasticsearch-ca", "cannot be used with elasticsearch-tls-skip-verify=true")
    if not any(url.startswith("https://") for url in urls):
        raise _fail("elasticsearch-ca", "no elasticsearch-url uses https")
    import ssl  # here: the shim imports these options, and ssl costs it memory for nothing

    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        raise _fail("elasticsearch-ca", f"cannot load certificates from {path}: {exc}") from None
    return path


def _batch_size(opts: Mapping[str, str]) -> int:
    text = opts.get("elasticsearch-batch-size", "")
    if not text:
        return 1000
    try:
        size = parse_uint(text, 32)
    except ValueError as exc:
        raise _fail("elasticsearch-batch-size", str(exc)) from None
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise _fail("elasticsearch-batch-size", f"must be between 1 and {MAX_BATCH_SIZE}, not {size}")
    return size


def parse_options(opts: Mapping[str, str]) -> ElasticsearchOptions:
    reject_unknown_keys(opts, KNOWN_KEYS, DRIVER)
    urls = _urls(opts)
    username, password, api_key = _credentials(opts)
    verify = not _bool(opts, "elasticsearch-tls-skip-verify", False)
    index = opts.get("elasticsearch-index", "") or DEFAULT_INDEX
    try:
        check_index_name(index)
    except ValueError as exc:
        raise _fail("elasticsearch-index", f"invalid data stream name '{index}': {exc}") from None
    pipeline = opts.get("elasticsearch-pipeline", "")
    if pipeline != pipeline.strip() or "/" in pipeline:
        raise _fail("elasticsearch-pipeline", f"invalid pipeline id '{pipeline}'")
    backoff = _duration_s(opts, "elasticsearch-retry-backoff", 1.0, 0.001)
    max_backoff = _duration_s(opts, "elasticsearch-retry-max-backoff", max(60.0, backoff), 0.001)
    if max_backoff < backoff:
        why = f"must be at least elasticsearch-retry-backoff ({backoff:g}s)"
        raise _fail("elasticsearch-retry-max-backoff", why)
    return ElasticsearchOptions(
        urls=urls,
        username=username,
        password=password,
        api_key=api_key,
        ca_path=_ca_path(opts, urls, verify),
        verify_tls=verify,
        index=index,
        pipeline=pipeline,
        install_template=_bool(opts, "elasticsearch-install-template", True),
        batch_size=_batch_size(opts),
        flush_interval_s=_duration_s(opts, "elasticsearch-flush-interval", 1.0, 0.0),
        retry_backoff_s=backoff,
        retry_max_backoff_s=max_backoff,
        timeout_s=_duration_s(opts, "elasticsearch-timeout", 30.0, 0.001),
    )

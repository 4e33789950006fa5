"""The local cache of remote drivers (Docker's dual logging), and what the shim writes for each driver.

Only built-in writers run in the shim (it loads no plugins and must stay small): json-file, local and none. Every
other driver -- fluentd, gelf, any third-party plugin -- is *remote*: the shim writes the container's output
to the json-file log (bounded by the cache-* options) and the daemon ships it from there (logdrivers.shipping),
so `docker logs` works for every driver but none, and a collector outage delays delivery instead of blocking
the container or losing lines.
"""

from collections.abc import Mapping

from logdrivers.common_options import SHARED_KEYS
from logdrivers.errors import InvalidLogOpt
from logdrivers.goparse import GO_BOOLS

SHIM_WRITERS = frozenset({"json-file", "local", "none"})
CACHE_KEYS = frozenset({"cache-disabled", "cache-max-size", "cache-max-file", "cache-compress"})
# Docker's defaults for the dual-logging cache: about 100 MB per container at most.
CACHE_DEFAULTS = {"max-size": "20m", "max-file": "5", "compress": "true"}
CACHE_WRITER = "json-file"


def is_remote(name: str) -> bool:
    """Whether the daemon ships this driver's lines from the local cache (every driver the shim cannot run)."""
    return name not in SHIM_WRITERS


def local_spec(name: str, opts: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """What the shim writes for a container logging to `name`: the driver itself if it is a shim writer,
    else the json-file cache with the cache-* options (and the delivery mode, which governs the cache write)."""
    if not is_remote(name):
        return name, dict(opts)
    writer = dict(CACHE_DEFAULTS)
    writer.update({key.removeprefix("cache-"): value for key, value in opts.items() if key in CACHE_KEYS})
    writer.pop("disabled", None)
    if "cache-compress" not in opts and writer["max-file"].strip() in ("0", "1"):
        writer["compress"] = "false"  # the default compress=true needs a second file to compress into
    writer.update({key: value for key, value in opts.items() if key in SHARED_KEYS})
    return CACHE_WRITER, writer


def check_cache_options(opts: Mapping[str, str], driver: str) -> None:
    """cache-disabled may only be false: the cache is the spool the daemon ships from."""
    text = opts.get("cache-disabled", "")
    if text and text not in GO_BOOLS:
        raise InvalidLogOpt("cache-disabled", driver, f'strconv.ParseBool: parsing "{text}": invalid syntax')
    if text and GO_BOOLS[text]:
        why = "porthole ships remote logs from the local cache, so the cache cannot be disabled"
        raise InvalidLogOpt("cache-disabled", driver, why)


def without_cache_keys(opts: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in opts.items() if key not in CACHE_KEYS}

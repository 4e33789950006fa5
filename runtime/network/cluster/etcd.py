"""etcd's v3 API through its JSON gateway (etcd 3.4 serves it at /v3/), one member after another.

Unary calls (range, put, delete, txn, leases) go through etcd3gw, OpenStack's maintained client of that gateway
(the gRPC clients on PyPI are unmaintained and pin old protobufs). The watch stream is read here: etcd3gw's
Watcher reads it in an executor whose outcome nobody sees, so a stream cut by an etcd restart would end in
silence, and a host would never learn it has to catch up.

Every failure to reach the store is a StoreUnavailable naming it; the callers decide what survives that.
"""

import base64
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from etcd3gw.client import Etcd3Client
from etcd3gw.exceptions import ConnectionFailedError, ConnectionTimeoutError, Etcd3Exception

from runtime.errors import HostError
from runtime.network.cluster.config import ClusterConfig

log = logging.getLogger(__name__)
REQUEST_TIMEOUT = 3.0  # a store that does not answer in this time is taken as down
WATCH_IDLE = 30.0  # a watch stream silent this long is reopened (from where it was)


class StoreUnavailable(HostError):
    """The cluster store could not be reached or refused the request (500, naming the store)."""


class Compacted(Exception):
    """A watch asked for history that etcd has compacted away: read everything again."""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(text: str) -> str:
    return base64.b64decode(text).decode()


def prefix_end(prefix: str) -> str:
    """The range_end that covers every key starting with prefix (its last byte plus one)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: str
    mod_revision: int
    lease: int


@dataclass(frozen=True, slots=True)
class Event:
    """One change seen by a watch: a put (value set) or a delete (value None)."""

    key: str
    value: str | None
    revision: int


def _session(config: ClusterConfig) -> requests.Session:
    """A session that takes nothing from the environment: requests lets $REQUESTS_CA_BUNDLE override a session's
    own CA (kv.cacertfile would be ignored wherever it is set), and the store is never reached through
    $HTTP_PROXY."""
    session = requests.Session()
    session.trust_env = False
    if config.ca_file is not None:
        session.verify = str(config.ca_file)
    if config.cert_file is not None and config.key_file is not None:
        session.cert = (str(config.cert_file), str(config.key_file))
    return session


def _key_value(kv: dict[str, Any]) -> KeyValue:
    return KeyValue(
        unb64(kv["key"]), unb64(kv.get("value", "")), int(kv.get("mod_revision", 0)), int(kv.get("lease", 0))
    )


class EtcdClient:
    def __init__(self, config: ClusterConfig) -> None:
        self.url = config.url
        self._clients = [
            Etcd3Client(
                host=e.host,
                port=e.port,
                protocol="https" if config.tls else "http",
                timeout=REQUEST_TIMEOUT,
                api_path="/v3/",  # etcd >= 3.4; no discovery round trip
                session=_session(config),
            )
            for e in config.endpoints
        ]
        self._current = 0

    # -- unary calls -----------------------------------------------------------------------------------

    def _call(self, what: str, work: Callable[[Etcd3Client], Any]) -> Any:
        """work on the member that answered last, then on each other one; StoreUnavailable if none does."""
        errors = []
        for step in range(len(self._clients)):
            index = (self._current + step) % len(self._clients)
            try:
                result = work(self._clients[index])
            except (ConnectionFailedError, ConnectionTimeoutError) as exc:
                errors.append(f"{self._clients[index].host}: {type(exc).__name__}")
                continue
            except Etcd3Exception as exc:
                raise StoreUnavailable(f"network: cluster store {self.url}: {what}: {exc.detail_text}") from exc
            self._current = index
            return result
        raise StoreUnavailable(f"network: cluster store {self.url}: unreachable ({what}: {'; '.join(errors)})")

    def _post(self, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        return self._call(what, lambda c: c.post(c.get_url(path), json=body))

    def range_prefix(self, prefix: str) -> tuple[list[KeyValue], int]:
        """Every key under prefix and the store's revision they were read at."""
        body = {"key": b64(prefix), "range_end": b64(prefix_end(prefix))}
        result = self._post("/kv/range", body, f"read {prefix}")
        return [_key_value(kv) for kv in result.get("kvs", [])], int(result["header"]["revision"])

    def get(self, key: str) -> KeyValue | None:
        result = self._post("/kv/range", {"key": b64(key)}, f"read {key}")
        kvs = result.get("kvs", [])
        return _key_value(kvs[0]) if kvs else None

    def put(self, key: str, value: str, lease: int = 0) -> None:
        body: dict[str, Any] = {"key": b64(key), "value": b64(value)}
        if lease:
            body["lease"] = str(lease)
        self._post("/kv/put", body, f"write {key}")

    def delete(self, key: str) -> None:
        self._post("/kv/deleterange", {"key": b64(key)}, f"delete {key}")

    def create(self, puts: dict[str, str], lease: int = 0, absent: tuple[str, ...] = ()) -> bool:
        """Write every key of puts in one transaction if none of them (nor any of absent) exists yet."""
        compare = [
            {"key": b64(k), "result": "EQUAL", "target": "CREATE", "create_revision": "0"} for k in (*puts, *absent)
        ]
        success = [{"request_put": {"key": b64(k), "value": b64(v), "lease": str(lease)}} for k, v in puts.items()]
        result = self._post("/kv/txn", {"compare": compare, "success": success, "failure": []}, "transaction")
        return bool(result.get("succeeded"))

    def delete_if(self, key: str, mod_revision: int, also: tuple[str, ...] = ()) -> bool:
        """Delete key (and the keys of also) if key was last changed at mod_revision."""
        compare = [{"key": b64(key), "result": "EQUAL", "target": "MOD", "mod_revision": str(mod_revision)}]
        success = [{"request_delete_range": {"key": b64(k)}} for k in (key, *also)]
        result = self._post("/kv/txn", {"compare": compare, "success": success, "failure": []}, f"delete {key}")
        return bool(result.get("succeeded"))

    def delete_held(self, key: str, lease: int, also: tuple[str, ...] = ()) -> bool:
        """Delete the keys of also, and key with them if it is still held under lease (an address another host
        took after this one's lease expired stays that host's)."""
        compare = [{"key": b64(key), "result": "EQUAL", "target": "LEASE", "lease": str(lease)}]
        others = [{"request_delete_range": {"key": b64(k)}} for k in also]
        success = [{"request_delete_range": {"key": b64(key)}}, *others]
        result = self._post("/kv/txn", {"compare": compare, "success": success, "failure": others}, f"delete {key}")
        return bool(result.get("succeeded"))

    def grant(self, ttl: int) -> int:
        return int(self._post("/lease/grant", {"TTL": str(ttl), "ID": "0"}, "grant a lease")["ID"])

    def keep_alive(self, lease: int) -> bool:
        """Refresh the lease; False if it has expired (its keys are gone)."""
        result = self._post("/lease/keepalive", {"ID": str(lease)}, "keep the host's lease alive")
        return int(result.get("result", {}).get("TTL", -1)) > 0

    # -- the watch stream ----------------------------------------------------------------------------------

    def watch(self, prefix: str, start_revision: int) -> Iterator[list[Event]]:
        """The changes under prefix from start_revision on, a batch per message, until the stream ends (returns
        quietly after WATCH_IDLE of silence, to be reopened) or breaks (StoreUnavailable)."""
        client = self._clients[self._current]
        body = {
            "create_request": {
                "key": b64(prefix),
                "range_end": b64(prefix_end(prefix)),
                "start_revision": str(start_revision),
            }
        }
        try:
            with client.session.post(
                client.get_url("/watch"), json=body, stream=True, timeout=(REQUEST_TIMEOUT, WATCH_IDLE)
            ) as response:
                if response.status_code != 200:
                    raise StoreUnavailable(f"network: cluster store {self.url}: watch: HTTP {response.status_code}")
                for line in response.iter_lines():
                    if line:
                        yield self._batch(json.loads(line))
        except requests.exceptions.ReadTimeout:
            return
        except (requests.exceptions.RequestException, ValueError) as exc:
            self._current = (self._current + 1) % len(self._clients)
            raise StoreUnavailable(f"network: cluster store {self.url}: watch: {exc}") from exc

    def _batch(self, message: dict[str, Any]) -> list[Event]:
        if "error" in message:
            raise StoreUnavailable(f"network: cluster store {self.url}: watch: {message['error'].get('message')}")
        result = message.get("result", {})
        if int(result.get("compact_revision", 0)):
            raise Compacted(result["compact_revision"])
        if result.get("canceled"):
            raise StoreUnavailable(f"network: cluster store {self.url}: watch canceled: {result.get('cancel_reason')}")
        events = []
        for event in result.get("events", []):
            kv = event["kv"]
            deleted = event.get("type") == "DELETE"  # proto3 JSON leaves out PUT, the enum's zero
            events.append(
                Event(unb64(kv["key"]), None if deleted else unb64(kv.get("value", "")), int(kv["mod_revision"]))
            )
        return events

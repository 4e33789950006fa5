"""Volume plugins over Docker's plugin protocol, v1 (docs.docker.com/engine/extend/plugin_api and
plugins_volume): JSON over HTTP POST, the plugin found by name as a unix socket `/run/docker/plugins/NAME.sock`,
or a spec file `NAME.spec` (a unix:// or tcp:// URL) or `NAME.json` (`{"Addr": ...}`) in /etc/docker/plugins or
/usr/lib/docker/plugins. It is activated once (`/Plugin.Activate` must list "VolumeDriver"); then
`/VolumeDriver.Create|Remove|Mount|Unmount|Path|Get|List|Capabilities`. Each answer's "Err", when not empty, is
the failure. This is how Rex-Ray, GlusterFS and the cloud providers' volume drivers plug in.

Written on http.client: the protocol is a handful of small POSTs, and no maintained client of it exists for
Python (docker-py speaks to the daemon, not to plugins).
"""

import http.client
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from runtime.errors import HostError, NotFound

PLUGIN_DIRS = (Path("/run/docker/plugins"), Path("/etc/docker/plugins"), Path("/usr/lib/docker/plugins"))
MEDIA_TYPE = "application/vnd.docker.plugins.v1.2+json"
TIMEOUT = 30.0  # a Mount may attach a cloud disk; Docker waits as long


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)  # the Host header plugins see, as from dockerd
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


def plugin_not_found(name: str) -> NotFound:
    return NotFound(f'error looking up volume plugin {name}: plugin "{name}" not found')


@dataclass(frozen=True, slots=True)
class VolumePlugin:
    name: str
    address: str  # unix:///path or tcp://host:port

    def _connection(self) -> http.client.HTTPConnection:
        where = urlparse(self.address)
        if where.scheme == "unix":
            return _UnixConnection(where.path, TIMEOUT)
        return http.client.HTTPConnection(where.hostname, where.port, timeout=TIMEOUT)

    def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /method; HostError naming the plugin if it cannot be reached, answers badly or sets Err."""
        connection = self._connection()
        try:
            connection.request(
                "POST", f"/{method}", json.dumps(body), {"Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE}
            )
            response = connection.getresponse()
            text = response.read()
        except OSError as exc:
            raise HostError(f"volume plugin {self.name}: {method}: cannot reach {self.address}: {exc}") from exc
        finally:
            connection.close()
        try:
            answer = json.loads(text or b"{}")
        except ValueError as exc:
            raise HostError(f"volume plugin {self.name}: {method}: not JSON: {text[:200]!r}") from exc
        if not isinstance(answer, dict):
            raise HostError(f"volume plugin {self.name}: {method}: not a JSON object: {text[:200]!r}")
        if answer.get("Err") or response.status != 200:
            raise HostError(f"volume plugin {self.name}: {method}: {answer.get('Err') or f'HTTP {response.status}'}")
        return answer

    def activate(self) -> None:
        implements = self.call("Plugin.Activate", {}).get("Implements") or []
        if "VolumeDriver" not in implements:
            raise HostError(f"volume plugin {self.name}: implements {implements}, not VolumeDriver")

    def create(self, volume: str, opts: dict[str, str] | None) -> None:
        self.call("VolumeDriver.Create", {"Name": volume, "Opts": opts or {}})

    def remove(self, volume: str) -> None:
        self.call("VolumeDriver.Remove", {"Name": volume})

    def mount(self, volume: str, container_id: str) -> Path:
        mountpoint = self.call("VolumeDriver.Mount", {"Name": volume, "ID": container_id}).get("Mountpoint")
        if not mountpoint or not Path(mountpoint).is_absolute():
            raise HostError(f"volume plugin {self.name}: VolumeDriver.Mount {volume}: no absolute Mountpoint")
        return Path(mountpoint)

    def unmount(self, volume: str, container_id: str) -> None:
        self.call("VolumeDriver.Unmount", {"Name": volume, "ID": container_id})

    def get(self, volume: str) -> dict[str, Any]:
        return self.call("VolumeDriver.Get", {"Name": volume}).get("Volume") or {}

    def capabilities(self) -> dict[str, Any]:
        return self.call("VolumeDriver.Capabilities", {}).get("Capabilities") or {}


def _address(directory: Path, name: str) -> str | None:
    sock, spec, json_spec = directory / f"{name}.sock", directory / f"{name}.spec", directory / f"{name}.json"
    if sock.exists():
        return f"unix://{sock}"
    if spec.exists():
        return spec.read_text().strip()
    if json_spec.exists():
        described = json.loads(json_spec.read_text())
        if described.get("TLSConfig"):
            raise HostError(f"volume plugin {name}: {json_spec}: TLSConfig is not supported by porthole")
        return str(described.get("Addr") or "")
    return None


def find_plugin(name: str, directories: Sequence[Path] = PLUGIN_DIRS) -> VolumePlugin:
    """The plugin of that name, activated; NotFound with Docker's text when no directory has it."""
    if "/" in name or name.startswith("."):
        raise plugin_not_found(name)
    for directory in directories:
        try:
            address = _address(directory, name)
        except (OSError, ValueError) as exc:
            raise HostError(f"volume plugin {name}: its spec in {directory} is unreadable: {exc}") from exc
        if address is None:
            continue
        if urlparse(address).scheme not in ("unix", "tcp"):
            raise HostError(f"volume plugin {name}: address {address!r}: only unix:// and tcp:// are supported")
        plugin = VolumePlugin(name, address)
        plugin.activate()
        return plugin
    raise plugin_not_found(name)

"""Another host's containers, read from its exporter: the cAdvisor series its daemon serves (`--exporter`) at the
metrics address it publishes in the cluster store.

Why the exporter and not that host's dashboard or Engine API: /metrics is read-only and needs no credentials, so
this dashboard hands its token to no address the store names; the Engine API is a unix socket on the other
machine. The series are cAdvisor's, so these are the containers that run there (an exited one has no cgroup).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

# the series a row is made of: a container's identity comes with each (its id, name and image labels)
_SERIES = (
    "container_last_seen",
    "container_start_time_seconds",
    "container_memory_working_set_bytes",
    "container_spec_memory_limit_bytes",
    "container_cpu_usage_seconds_total",
)
_WANTED_LINES = tuple(name + "{" for name in _SERIES)
# a proxy set in the environment must not see cluster-internal addresses
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RemoteHostError(Exception):
    """The host's metrics could not be read; the message names the host and the address."""


@dataclass(slots=True)
class RemoteContainer:
    id: str  # the container's id (the last part of its cgroup path)
    name: str
    image: str
    started_at: float | None = None
    memory_usage: float | None = None
    memory_limit: float | None = None  # None when unlimited (cAdvisor exports 0)
    cpu_seconds: float = 0.0

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "short_id": self.short_id,
            "name": self.name,
            "image": self.image,
            "started_at": self.started_at,
            "memory_usage": self.memory_usage,
            "memory_limit": self.memory_limit,
            "cpu_seconds": self.cpu_seconds,
        }


def containers_in(metrics_text: str) -> list[RemoteContainer]:
    """The named containers of an exporter's /metrics body, by name. Only the lines of the few series read are
    parsed: a host with 500 containers serves some 20,000 series."""
    wanted = "\n".join(line for line in metrics_text.splitlines() if line.startswith(_WANTED_LINES))
    found: dict[str, RemoteContainer] = {}
    for family in text_string_to_metric_families(wanted + "\n"):
        for sample in family.samples:
            labels = sample.labels
            if not labels.get("name") or labels.get("id", "/") == "/":
                continue  # the root group and cgroups that are no container
            row = found.setdefault(
                labels["id"],
                RemoteContainer(id=labels["id"].rsplit("/", 1)[-1], name=labels["name"], image=labels.get("image", "")),
            )
            if sample.name == "container_start_time_seconds":
                row.started_at = sample.value
            elif sample.name == "container_memory_working_set_bytes":
                row.memory_usage = sample.value
            elif sample.name == "container_spec_memory_limit_bytes":
                row.memory_limit = sample.value or None
            elif sample.name == "container_cpu_usage_seconds_total":
                row.cpu_seconds += sample.value  # one series per CPU
    return sorted(found.values(), key=lambda c: c.name)


def fetch_containers(host_name: str, metrics_address: str, timeout: float = 5.0) -> list[RemoteContainer]:
    """:raise RemoteHostError: the host publishes no metrics address, does not answer, or serves no container
    series (its daemon runs without --exporter)."""
    if not metrics_address:
        raise RemoteHostError(f"web: host {host_name} publishes no metrics address (its daemon has no --metrics-addr)")
    url = f"http://{metrics_address}/metrics"
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            text = response.read().decode()
    except (OSError, urllib.error.URLError) as e:
        raise RemoteHostError(f"web: cannot read host {host_name}'s metrics at {url}: {e}") from None
    if "container_last_seen" not in text:
        raise RemoteHostError(
            f"web: host {host_name}'s metrics at {url} carry no container series (its daemon runs without --exporter)"
        )
    return containers_in(text)

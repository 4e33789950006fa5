"""What the cluster store holds, and where (every key under /porthole/v1/):

hosts/<host id>                       ClusterHost, under the host's lease
networks/<network id>                 the global network's NetworkRecord
names/<network name>                  network id: names are unique across the cluster (a transaction)
vnis/<vni>                            network id: so is each network's VXLAN id
ipam/<network id>/<address>           AddressClaim, under the holder's lease: one holder per address
endpoints/<network id>/<endpoint id>  ClusterEndpoint, under the host's lease
"""

import json
from dataclasses import asdict, dataclass

ROOT = "/porthole/v1/"
HOSTS = ROOT + "hosts/"
NETWORKS = ROOT + "networks/"
NAMES = ROOT + "names/"
VNIS = ROOT + "vnis/"
IPAM = ROOT + "ipam/"
ENDPOINTS = ROOT + "endpoints/"


def host_key(host_id: str) -> str:
    return HOSTS + host_id


def network_key(network_id: str) -> str:
    return NETWORKS + network_id


def name_key(name: str) -> str:
    return NAMES + name


def vni_key(vni: int) -> str:
    return f"{VNIS}{vni}"


def ipam_prefix(network_id: str) -> str:
    return f"{IPAM}{network_id}/"


def ipam_key(network_id: str, address: str) -> str:
    return ipam_prefix(network_id) + address


def parse_ipam_key(key: str) -> tuple[str, str]:
    """(network id, address) of an ipam key."""
    network_id, _, address = key[len(IPAM) :].partition("/")
    return network_id, address


def endpoints_prefix(network_id: str) -> str:
    return f"{ENDPOINTS}{network_id}/"


def endpoint_key(network_id: str, endpoint_id: str) -> str:
    return endpoints_prefix(network_id) + endpoint_id


@dataclass(frozen=True, slots=True)
class ClusterHost:
    host_id: str
    name: str  # what the map and the dashboard call it
    address: str  # the advertised IPv4 address: VXLAN tunnels end there
    advertise: str  # --cluster-advertise as given
    metrics: str | None = None  # HOST:PORT of its /metrics, when it serves one
    web: str | None = None  # HOST:PORT of its dashboard, when it serves one

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ClusterHost":
        return cls(**json.loads(text))


@dataclass(frozen=True, slots=True)
class AddressClaim:
    host_id: str
    owner: str  # the container holding the address

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "AddressClaim":
        return cls(**json.loads(text))


@dataclass(frozen=True, slots=True)
class LostClaim:
    """An address this host's container held that another host took while this one was cut off from the store
    for longer than its lease (the others expired this host's claims and gave the address away)."""

    network_id: str
    address: str
    owner: str  # this host's container that held it
    holder: str  # the name of the host that holds it now (its id if it has left the store)


@dataclass(frozen=True, slots=True)
class ClusterEndpoint:
    """A container's endpoint on a global network, as every host sees it."""

    network_id: str
    endpoint_id: str
    host_id: str
    vtep: str  # the host's advertised address
    container_id: str
    name: str
    dns_names: tuple[str, ...]  # name, aliases, short id, hostname
    ip: str
    mac: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ClusterEndpoint":
        data = json.loads(text)
        return cls(**{**data, "dns_names": tuple(data["dns_names"])})

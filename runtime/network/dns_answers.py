"""What the embedded DNS answers for one container (pure: bytes in, bytes out; dnspython for the wire format).

A container resolves the names, aliases and short ids of the containers on its user-defined networks,
and the reverse (PTR) of their addresses. Everything else is forwarded to the container's upstreams (its
`--dns` servers, or the daemon's `--dns-upstream`), or, when it has none, answered NXDOMAIN here.
"""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 600  # Docker's for container names


@dataclass(frozen=True, slots=True)
class DnsView:
    """An immutable snapshot of what one container may resolve."""

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lower-case name -> IPv4 addresses
    reverse: Mapping[str, str] = field(default_factory=dict)  # IPv4 address -> name


EMPTY_VIEW = DnsView()


def normalize(name: str) -> str:
    return name.rstrip(".").lower()


def _reverse_address(qname: str) -> str | None:
    suffix = ".in-addr.arpa"
    if not qname.endswith(suffix):
        return None
    parts = qname[: -len(suffix)].split(".")
    try:
        return str(ipaddress.IPv4Address(".".join(reversed(parts))))
    except ValueError:
        return None


def answer(query: bytes, view: DnsView, can_forward: bool) -> bytes | None:
    """The reply to query, or None when it is not ours and should go upstream as it is.
    Raises dns.exception.DNSException on a malformed query (the caller drops and counts it)."""
    request = dns.message.from_wire(query)
    response = dns.message.make_response(request)
    response.flags |= dns.flags.RA if can_forward else 0
    if request.opcode() != dns.opcode.QUERY or len(request.question) != 1:
        response.set_rcode(dns.rcode.NOTIMP)
        return response.to_wire()
    question = request.question[0]
    qname = normalize(question.name.to_text())
    if question.rdclass != dns.rdataclass.IN:
        return None if can_forward else _nxdomain(response)
    addresses = view.names.get(qname)
    if addresses is not None:
        response.flags |= dns.flags.AA
        if question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(question.name, TTL, "IN", "A", *addresses))
        return response.to_wire()  # other types of a known name: NOERROR, no data (musl asks AAAA too)
    reverse = _reverse_address(qname) if question.rdtype == dns.rdatatype.PTR else None
    if reverse is not None and reverse in view.reverse:
        response.flags |= dns.flags.AA
        response.answer.append(dns.rrset.from_text(question.name, TTL, "IN", "PTR", view.reverse[reverse] + "."))
        return response.to_wire()
    return None if can_forward else _nxdomain(response)


def _nxdomain(response: dns.message.Message) -> bytes:
    response.set_rcode(dns.rcode.NXDOMAIN)
    return response.to_wire()


def servfail(query: bytes) -> bytes:
    """The reply when every upstream failed."""
    response = dns.message.make_response(dns.message.from_wire(query))
    response.set_rcode(dns.rcode.SERVFAIL)
    return response.to_wire()


def build_views(
    memberships: Mapping[str, tuple[str, ...]],
    entries: Mapping[str, list[tuple[str, tuple[str, ...]]]],
    private: Mapping[str, list[tuple[str, tuple[str, ...]]]] | None = None,
) -> dict[str, DnsView]:
    """memberships: container id -> the DNS-enabled networks it is on (in attach order);
    entries: network id -> [(address, names)] of the live endpoints on it; private: container id -> the
    [(address, names)] only it resolves (its legacy links' aliases), first. -> container id -> view."""
    views = {}
    for container_id, networks in memberships.items():
        names: dict[str, list[str]] = {}
        reverse: dict[str, str] = {}
        listed = [(False, entries.get(network_id, [])) for network_id in networks]
        for shared, pairs in [(True, (private or {}).get(container_id, [])), *listed]:
            for address, endpoint_names in pairs:
                for name in endpoint_names:
                    found = names.setdefault(normalize(name), [])
                    if address not in found:
                        found.append(address)
                if not shared:  # a link's alias is not the address's name
                    reverse.setdefault(address, endpoint_names[0])
        views[container_id] = DnsView({n: tuple(a) for n, a in names.items()}, reverse)
    return views

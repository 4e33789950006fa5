import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from runtime.network.dns_answers import DnsView, answer, build_views, servfail

VIEW = DnsView({"web": ("10.1.0.2",), "db": ("10.1.0.3", "10.2.0.3")}, {"10.1.0.2": "web"})


def ask(name, rdtype="A", view=VIEW, can_forward=False):
    query = dns.message.make_query(name, rdtype)
    reply = answer(query.to_wire(), view, can_forward)
    return None if reply is None else dns.message.from_wire(reply)


def addresses(reply):
    return sorted(item.address for rrset in reply.answer for item in rrset)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("web", ["10.1.0.2"]), ("WEB.", ["10.1.0.2"]), ("db", ["10.1.0.3", "10.2.0.3"])],
)
def test_known_names_get_their_addresses(name, expected):
    reply = ask(name)
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.flags & dns.flags.AA
    assert addresses(reply) == expected
    assert reply.answer[0].ttl == 600


def test_other_types_of_a_known_name_get_no_data_not_an_error():
    reply = ask("web", "AAAA")
    assert reply.rcode() == dns.rcode.NOERROR and reply.answer == []


def test_reverse_lookup_of_a_container_address():
    reply = ask("2.0.1.10.in-addr.arpa", "PTR")
    assert [item.target.to_text() for item in reply.answer[0]] == ["web."]


def test_unknown_names_are_nxdomain_without_upstreams_and_forwarded_with():
    assert ask("example.com").rcode() == dns.rcode.NXDOMAIN
    assert ask("example.com", can_forward=True) is None
    assert ask("9.9.9.10.in-addr.arpa", "PTR").rcode() == dns.rcode.NXDOMAIN


def test_malformed_queries_raise_for_the_server_to_count():
    with pytest.raises(dns.exception.DNSException):
        answer(b"\x00\x01garbage", VIEW, False)


def test_servfail_keeps_the_query_id():
    query = dns.message.make_query("x", "A")
    reply = dns.message.from_wire(servfail(query.to_wire()))
    assert reply.id == query.id and reply.rcode() == dns.rcode.SERVFAIL


def test_views_hold_only_the_networks_a_container_is_on():
    entries = {
        "net1": [("10.1.0.2", ("a", "alias-a")), ("10.1.0.3", ("b",))],
        "net2": [("10.2.0.4", ("c",)), ("10.2.0.3", ("b",))],
    }
    views = build_views({"A": ("net1",), "C": ("net2",), "B": ("net1", "net2")}, entries)
    assert views["A"].names == {"a": ("10.1.0.2",), "alias-a": ("10.1.0.2",), "b": ("10.1.0.3",)}
    assert "c" not in views["A"].names and "a" not in views["C"].names
    assert views["B"].names["b"] == ("10.1.0.3", "10.2.0.3")
    assert views["C"].reverse == {"10.2.0.4": "c", "10.2.0.3": "b"}

"""Forwarding of names the embedded DNS does not know, to an upstream on the loopback (never off the host)."""

import socket
import threading

import dns.message
import dns.rcode
import dns.rrset

from runtime.network.dns_server import EmbeddedDns


def fake_upstream():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))

    def serve():
        data, client = sock.recvfrom(4096)
        reply = dns.message.make_response(dns.message.from_wire(data))
        reply.answer.append(dns.rrset.from_text("elsewhere.test.", 30, "IN", "A", "192.0.2.7"))
        sock.sendto(reply.to_wire(), client)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return sock, thread


def test_unknown_names_go_to_the_configured_upstream_and_back():
    upstream, thread = fake_upstream()
    server = EmbeddedDns([upstream.getsockname()])
    try:
        query = dns.message.make_query("elsewhere.test", "A")
        reply = dns.message.from_wire(server.ask_upstreams(query.to_wire()))
        assert [item.address for item in reply.answer[0]] == ["192.0.2.7"]
        assert server.forwarded == 1
    finally:
        server.close()
        thread.join(timeout=5)
        upstream.close()


def test_a_silent_upstream_gives_servfail():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    server = EmbeddedDns([silent.getsockname()])
    try:
        query = dns.message.make_query("elsewhere.test", "A")
        reply = dns.message.from_wire(server.ask_upstreams(query.to_wire()))
        assert reply.rcode() == dns.rcode.SERVFAIL
    finally:
        server.close()
        silent.close()

"""Sockets asked through the fds that hold them (pidfd_getfd on this very process): a listener, both ends
of a loopback connection (v4 and v4-mapped v6), and the UDP and unix sockets left out."""

import os
import socket

import pytest

from web.topology.held_sockets import held_tcp_sockets
from web.topology.netns_sockets import namespace_sockets
from web.topology.proc_net import LISTEN
from web.topology.proc_processes import socket_fds


@pytest.fixture
def sockets():
    server = socket.create_server(("::", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    others = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socketpair()[0]]
    yield server, client, accepted, port
    for s in (server, client, accepted, *others):
        s.close()


def test_held_sockets_are_described_by_themselves(sockets):
    server, client, accepted, port = sockets
    inodes = {
        os.fstat(s.fileno()).st_ino: name
        for s, name in ((server, "server"), (client, "client"), (accepted, "accepted"))
    }
    fds = socket_fds(os.getpid(), "/proc")
    found = {inodes[s.inode]: s for s in held_tcp_sockets(os.getpid(), fds) if s.inode in inodes}
    assert (found["server"].local_ip, found["server"].local_port, found["server"].state) == ("::", port, LISTEN)
    c, a = found["client"], found["accepted"]
    assert (c.remote_ip, c.remote_port, c.state) == ("127.0.0.1", port, 1)
    assert (a.local_ip, a.local_port, a.remote_ip, a.remote_port) == ("127.0.0.1", port, "127.0.0.1", c.local_port)


def test_a_namespace_without_tcp_sockets_costs_one_small_read(tmp_path):
    (tmp_path / "5" / "net").mkdir(parents=True)
    (tmp_path / "5" / "net" / "sockstat").write_text("TCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\n")
    (tmp_path / "5" / "net" / "sockstat6").write_text("TCP6: inuse 0\n")
    (tmp_path / "5" / "net" / "tcp").write_text("not even read\n")
    errors = []
    found = namespace_sockets([5], tmp_path, errors, take_fds=False)
    assert (found.sockets, found.read_table, errors) == ([], False, [])


def test_a_listed_fd_that_now_holds_another_file_is_left_out_and_nothing_leaks(sockets, tmp_path):
    """Between listing a process's fds and taking them, a socket may close and its number be reused: by a
    plain file (a socket object cannot even be made of it) or by another socket (its inode tells)."""
    server, client, accepted, port = sockets
    plain = os.open(tmp_path / "plain", os.O_CREAT | os.O_RDWR)
    stale_inode = os.fstat(client.fileno()).st_ino + 10_000_000
    try:
        listed = [
            (plain, stale_inode),
            (accepted.fileno(), stale_inode),
            (server.fileno(), os.fstat(server.fileno()).st_ino),
        ]
        before = len(os.listdir("/proc/self/fd"))
        found = held_tcp_sockets(os.getpid(), listed)
        assert [(s.local_port, s.state) for s in found] == [(port, LISTEN)]
        assert len(os.listdir("/proc/self/fd")) == before
    finally:
        os.close(plain)

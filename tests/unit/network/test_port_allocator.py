import socket

import pytest

from runtime.errors import Conflict
from runtime.network.port_allocator import HostPortAllocator
from runtime.network.records import PortRequest


@pytest.fixture
def allocator():
    allocator = HostPortAllocator((40000, 40999))
    yield allocator
    allocator.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_host_port_has_one_holder_with_dockers_message(allocator):
    port = free_port()
    allocator.allocate("a", PortRequest("tcp", 80, "127.0.0.1", port, port))
    with pytest.raises(Conflict) as caught:
        allocator.allocate("b", PortRequest("tcp", 80, "0.0.0.0", port, port))
    assert caught.value.message == f"Bind for 0.0.0.0:{port} failed: port is already allocated"
    # another protocol on the same number is a different port
    assert allocator.allocate("b", PortRequest("udp", 53, "127.0.0.1", port, port)).host_port == port


def test_a_held_port_cannot_be_taken_by_a_host_process(allocator):
    port = free_port()
    allocator.allocate("a", PortRequest("tcp", 80, "0.0.0.0", port, port))
    with socket.socket() as sock, pytest.raises(OSError):
        sock.bind(("127.0.0.1", port))
    allocator.release_owner("a")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_a_port_a_host_process_holds_is_refused_or_skipped(allocator):
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(Conflict):
            allocator.allocate("a", PortRequest("tcp", 80, "0.0.0.0", port, port))
        mapping = allocator.allocate("a", PortRequest("tcp", 80, "0.0.0.0", port, port + 50))
        assert port < mapping.host_port <= port + 50


def test_free_ports_come_from_the_range_and_are_distinct(allocator):
    ports = {allocator.allocate(str(i), PortRequest("tcp", 80)).host_port for i in range(20)}
    assert len(ports) == 20 and all(40000 <= p <= 40999 for p in ports)

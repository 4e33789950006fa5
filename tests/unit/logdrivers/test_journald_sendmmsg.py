"""sendmmsg through ctypes: every datagram its own (a shared head and its own tail), in order; a call stops
before the first that fails, and the next call starting there raises its error."""

import errno
import socket

import pytest

from logdrivers.journald.sendmmsg import WINDOW, DatagramBatch


@pytest.fixture
def pair():
    sender, receiver = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.settimeout(5)
    yield sender, receiver
    sender.close()
    receiver.close()


def queued(receiver: socket.socket) -> list[bytes]:
    """What the receiver's queue holds now (the socket is non-blocking)."""
    got = []
    while True:
        try:
            got.append(receiver.recv(64))
        except BlockingIOError:
            return got


def test_datagrams_arrive_one_by_one_in_order_over_many_calls(pair):
    sender, receiver = pair
    # Non-blocking: the sender's buffer (SO_SNDBUF) full fails a call; it is emptied between calls.
    sender.setblocking(False)
    receiver.setblocking(False)
    datagrams = [b"%d" % i * (i % 7) for i in range(3 * WINDOW + 5)]
    batch = DatagramBatch()
    batch.load(datagrams)
    sent, got = 0, []
    while sent < len(batch):
        try:
            sent += batch.send(sender.fileno(), sent)
        except BlockingIOError:
            pass
        got += queued(receiver)
    assert got == datagrams


def test_a_full_queue_stops_a_call_and_the_next_one_raises_for_the_first_unsent(pair):
    sender, receiver = pair
    sender.setblocking(False)  # a full queue fails the send (EAGAIN) instead of waiting
    datagrams = [b"entry %d" % i for i in range(5000)]
    batch = DatagramBatch()
    batch.load(datagrams)
    sent = 0
    with pytest.raises(BlockingIOError):  # the sender's buffer is full (a socketpair's peer has no queue limit)
        while True:
            sent += batch.send(sender.fileno(), sent)
    assert 0 < sent < len(datagrams)
    assert [receiver.recv(64) for _ in range(sent)] == datagrams[:sent]
    assert batch.send(sender.fileno(), sent) > 0
    assert receiver.recv(64) == datagrams[sent]


def test_a_datagram_too_large_fails_alone_and_those_after_it_still_go(pair):
    sender, receiver = pair
    datagrams = [b"before", b"x" * (1 << 20), b"after"]
    batch = DatagramBatch()
    batch.load(datagrams)
    assert batch.send(sender.fileno(), 0) == 1  # stopped before the large one
    with pytest.raises(OSError) as caught:
        batch.send(sender.fileno(), 1)
    assert caught.value.errno == errno.EMSGSIZE
    assert batch.send(sender.fileno(), 2) == 1
    assert [receiver.recv(64), receiver.recv(64)] == [b"before", b"after"]


def test_a_closed_peer_fails_the_call(pair):
    sender, receiver = pair
    receiver.close()
    batch = DatagramBatch()
    batch.load([b"a", b"b"])
    with pytest.raises(OSError) as caught:
        batch.send(sender.fileno(), 0)
    assert caught.value.errno in (errno.ECONNREFUSED, errno.ENOTCONN, errno.EPIPE, errno.ECONNRESET)


def test_a_smaller_batch_after_a_larger_one_sends_only_its_own(pair):
    sender, receiver = pair
    batch = DatagramBatch()
    batch.load([b"one", b"two", b"three"])
    assert batch.send(sender.fileno(), 0) == 3
    batch.load([b"four"])
    assert batch.send(sender.fileno(), 0) == 1
    assert [receiver.recv(64) for _ in range(4)] == [b"one", b"two", b"three", b"four"]


def test_a_shared_head_arrives_in_front_of_each_tail_in_one_datagram(pair):
    sender, receiver = pair
    batch = DatagramBatch()
    batch.load([b"one", b"", b"three"], b"HEAD=1\n")
    assert batch.send(sender.fileno(), 0) == 3
    assert [receiver.recv(64) for _ in range(3)] == [b"HEAD=1\none", b"HEAD=1\n", b"HEAD=1\nthree"]
    batch.load([b"four"])  # a batch without a head sends its tails alone
    assert batch.send(sender.fileno(), 0) == 1
    assert receiver.recv(64) == b"four"

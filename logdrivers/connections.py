"""Closing a driver's connection from any thread."""

import errno
import socket


def shutdown_and_close(sock: socket.socket) -> None:
    """Close a connection; the shutdown first also wakes a send or recv blocked in another thread."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:
        if exc.errno != errno.ENOTCONN:  # ENOTCONN: the peer is gone already, nothing to wake
            raise
    finally:
        sock.close()


def peer_closed(sock: socket.socket) -> bool:
    """Whether a connection the collector never writes to has been closed or reset by it.

    Without acknowledgements a send into a connection the peer already closed still succeeds once (the kernel
    takes the bytes; the peer answers with a reset): the batch would be counted as shipped and lost. Looking
    first turns a collector restart into a failed attempt that is retried. Anything readable counts as closed
    too: a TLS peer that goes away sends its close_notify alert before the end of the stream. The peek reads
    the raw socket (an SSLSocket refuses recv flags), never decrypting.
    """
    try:
        socket.socket.recv(sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False  # nothing to read: the connection is open
    except OSError:
        return True  # reset
    return True  # the end of the stream, or bytes from a collector that has nothing to say but goodbye

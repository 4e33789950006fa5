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

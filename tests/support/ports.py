"""Loopback ports for tests that start servers: whether one is free, and waiting until it is."""

from __future__ import annotations

import socket
import time


def port_is_free(port: int) -> bool:
    """Whether a server could bind 127.0.0.1:port now (as the servers do, TIME_WAIT does not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until_free(port: int, timeout_s: float = 15.0) -> bool:
    """Whether the port became free within `timeout_s` (a server stopping takes a moment)."""
    ends = time.monotonic() + timeout_s
    while not port_is_free(port):
        if time.monotonic() > ends:
            return False
        time.sleep(0.1)
    return True

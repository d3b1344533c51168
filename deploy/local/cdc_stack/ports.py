"""Free loopback ports.

Ports are reserved by binding, and kept out of the other ports handed out in this process,
so that two services of one stack never get the same one. Another process may still take a
port between pick and use; the readiness probe then fails with the service's log, loudly.
"""

from __future__ import annotations

import socket

_handed_out: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port on ``host`` that nothing listens on now."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port

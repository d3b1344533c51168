"""A TCP proxy on loopback that a test can take down and bring back: an outage on demand.

While down it closes every open connection and accepts new ones only to close them at
once, so clients see resets and refused exchanges, as when a server dies and restarts.
While muted, connections opened then forward requests but never deliver the server's
answer: the client waits on a response that will not come.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._up, self._muted = True, False
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept_forever, daemon=True).start()

    def down(self) -> None:
        with self._lock:
            self._up = False
            for conn in self._open:
                _close(conn)
            self._open.clear()

    def up(self) -> None:
        with self._lock:
            self._up = True

    def mute(self, muted: bool = True) -> None:
        with self._lock:
            self._muted = muted

    def close(self) -> None:
        self.down()
        _close(self._listener)

    def _accept_forever(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if not self._up:
                    _close(client)
                    continue
                try:
                    server = socket.create_connection(self._target, timeout=5)
                except OSError:
                    _close(client)
                    continue
                server.settimeout(None)  # the connect is bounded, not the wait for data
                self._open |= {client, server}
                muted = self._muted
            for a, b, drop in ((client, server, False), (server, client, muted)):
                threading.Thread(target=self._pump, args=(a, b, drop), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, drop: bool) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                if not drop:
                    sink.sendall(chunk)
        _close(sink)
        _close(source)


def _close(conn: socket.socket) -> None:
    with suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    with suppress(OSError):
        conn.close()

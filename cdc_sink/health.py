"""Liveness, readiness and /metrics over HTTP.

Liveness (/healthz) means the consume loop still turns: it beats on every iteration, and a
loop stuck longer than ``stall_after_s`` fails the probe so the orchestrator restarts it.
Readiness (/readyz) means the sink holds its assignment and PostgreSQL answered the last
commit; it goes false while retrying a failing warehouse.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class Health:
    """Thread-safe state the probes read."""

    def __init__(self, stall_after_s: float = 120.0) -> None:
        self.stall_after_s = stall_after_s
        self._beat = time.monotonic()
        self._ready = False
        self._reason = "starting"
        self._lock = threading.Lock()

    def beat(self) -> None:
        self._beat = time.monotonic()

    def set_ready(self, ready: bool, reason: str = "") -> None:
        with self._lock:
            self._ready, self._reason = ready, reason

    def live(self) -> bool:
        return time.monotonic() - self._beat < self.stall_after_s

    def readiness(self) -> tuple[bool, str]:
        with self._lock:
            return self._ready, self._reason


def serve(host: str, port: int, health: Health, registry: CollectorRegistry) -> ThreadingHTTPServer:
    """Start the HTTP server in a daemon thread; ``server.server_address`` has the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                ok = health.live()
                self._json(200 if ok else 503, {"live": ok})
            elif self.path == "/readyz":
                ready, reason = health.readiness()
                self._json(200 if ready else 503, {"ready": ready, "reason": reason})
            else:
                self._json(404, {"error": "not found"})

        def _json(self, status: int, body: dict[str, object]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Probes every few seconds are not worth a log line."""

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="cdc-sink-http", daemon=True).start()
    return server

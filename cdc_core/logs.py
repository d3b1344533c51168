"""Logging for the long-running commands: JSON lines in containers, text on a terminal.

``CDC_LOG_FORMAT=json|text`` forces one; ``CDC_LOG_LEVEL`` sets the level. Messages never
carry secrets: configuration objects hold them as SecretStr, which prints as stars.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z", "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_CONFIGURED: list[bool] = []


def logging_configured() -> bool:
    """Whether a long-running command has set up logging (its errors then go there too)."""
    return bool(_CONFIGURED)


def configure_logging() -> None:
    _CONFIGURED.append(True)
    fmt = os.environ.get("CDC_LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=os.environ.get("CDC_LOG_LEVEL", "INFO"), handlers=[handler],
                        force=True)

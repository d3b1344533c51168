"""Headless Chromium (Debian's ``chromium``) loading a page as a user's browser would.

Prometheus's pages render with JavaScript (the graph page queries the API from the
browser), so the DOM is read after the page's scripts ran: ``--dump-dom`` with a virtual
time budget, which lets the page's timers and requests finish before the DOM is written.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=10000", "--window-size=1400,1000")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is not installed (deploy/local/install-system-deps.sh installs it)"
    return found


def dump_dom(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran."""
    proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def screenshot(url: str, path: Path, profile: Path) -> Path:
    """A PNG of the rendered page."""
    proc = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}",
                           f"--screenshot={path}", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and path.exists(), proc.stderr[-2000:]
    return path

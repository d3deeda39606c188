"""What every benchmark needs: a free port on 127.0.0.1 and a line naming the machine."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nothing listens on right now (the servers a benchmark starts bind only loopback)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def machine() -> str:
    """Cores, CPU model and Python: figures mean little without them."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"

"""CPU time of the app processes a benchmark starts (Linux ``/proc``), shared by bench_app and bench_live."""

from __future__ import annotations

import os
from pathlib import Path


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_pid(port: int) -> int:
    """The child of this process serving on ``port`` (tests.app_server starts app.py as a child)."""
    me = os.getpid()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != me:
                continue
            environ = (stat.parent / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if f"GRADIO_SERVER_PORT={port}".encode() in environ:
            return int(stat.parent.name)
    raise RuntimeError(f"no app.py child of this process listens on port {port}")

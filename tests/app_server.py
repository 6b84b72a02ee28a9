"""Run ``python app.py`` on a free loopback port for the API and browser tests, the way a user starts it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app(
    model_dir: str | Path, timeout: float = 90.0, env: dict[str, str] | None = None, log_path: Path | None = None
) -> Iterator[str]:
    """Start app.py with MODEL_ID=model_dir; yield its URL once its model is warm (``GET /api/health`` says
    "ready", or "no model" when it can't load); stop it afterwards.

    Torch runs on one thread (tests share the CPU) unless ``env`` says otherwise. The app's output goes to
    ``log_path`` when given (a test reads its log lines), else to a temporary file.
    """
    port = free_port()
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MODEL_ID": str(model_dir),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "w+") if log_path else tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited with {proc.returncode}:\n{_tail(log)}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"app.py did not answer on {url} within {timeout:.0f} s:\n{_tail(log)}")
                if _health(url) in ("ready", "no model"):
                    break
                time.sleep(0.3)
            yield url
            if proc.poll() is not None:
                raise RuntimeError(f"app.py died during the tests (exit {proc.returncode}):\n{_tail(log)}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _health(url: str) -> str | None:
    """The app's readiness ("loading", "ready", "no model"), or None while it does not answer."""
    try:
        with urllib.request.urlopen(url + "api/health", timeout=2) as response:
            return json.load(response)["status"]
    except urllib.error.HTTPError as err:  # 503 while loading or without a model; the body says which
        return json.load(err)["status"]
    except OSError:
        return None


def _tail(log, chars: int = 4000) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-chars:]

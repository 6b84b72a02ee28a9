"""What a server around the recogniser needs: an admission gate, a request log line, upload clean-up.

- :class:`Gate`: at most ``running`` requests work at once and ``waiting`` more queue for a turn; beyond
  that a request is refused at once (:class:`Busy`) instead of waiting without bound.
- :func:`configure_logging` / :func:`log_request`: one line per request (endpoint, outcome, reason, time,
  file name), never the server's path.
- :class:`UploadFolder`: the folder uploads land in, emptied periodically (files older than ``max_age``,
  including what the web framework leaves after refusing an upload) and removed at shutdown.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("who_tf_screamin")


class Busy(RuntimeError):
    """More requests than the gate admits; try again shortly."""


class Gate:
    """Admission control: ``running`` requests at once, ``waiting`` more in line, the rest refused."""

    def __init__(self, running: int, waiting: int):
        if running < 1 or waiting < 0:
            raise ValueError(f"Gate: expected running >= 1 and waiting >= 0, got {running}, {waiting}")
        self.running, self.waiting = running, waiting
        self._slots = threading.Semaphore(running)
        self._lock = threading.Lock()
        self.inside = 0
        """Requests admitted (working or waiting)."""

    def __enter__(self) -> Gate:
        with self._lock:
            if self.inside >= self.running + self.waiting:
                raise Busy(f"{self.inside} requests are being served or waiting")
            self.inside += 1
        self._slots.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._slots.release()
        with self._lock:
            self.inside -= 1


def configure_logging(level: int = logging.INFO) -> None:
    """Timestamped lines on stderr for the app's logger (left alone if the host configured logging)."""
    if logging.getLogger().handlers or log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def log_request(endpoint: str, outcome: str, reason: str, seconds: float, path: str | None) -> None:
    """The request's one line: ``endpoint outcome file=NAME seconds reason=...`` (a name, never a path)."""
    name = Path(path).name if path else "-"
    reason = " ".join(str(reason).split())[:300]
    log.info("%s %s file=%r %.0f ms reason=%s", endpoint, outcome, name, 1000 * seconds, reason or "-")


class UploadFolder:
    """A folder for uploads: files older than ``max_age`` s are removed every ``every`` s; all of it at :meth:`close`.

    ``owned``: the folder was made for this process (removed entirely at close); a folder the operator
    chose is only emptied of old files.
    """

    def __init__(self, path: str | os.PathLike, max_age: float, every: float, owned: bool):
        self.path, self.max_age, self.every, self.owned = Path(path), float(max_age), float(every), owned
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_process(cls, max_age: float, every: float, env: str = "GRADIO_TEMP_DIR") -> UploadFolder:
        """``$GRADIO_TEMP_DIR`` when set, else a new private folder (and ``$GRADIO_TEMP_DIR`` set to it)."""
        chosen = os.environ.get(env)
        if chosen:
            return cls(chosen, max_age, every, owned=False)
        path = tempfile.mkdtemp(prefix="who_tf_screamin-uploads-")
        os.environ[env] = path
        return cls(path, max_age, every, owned=True)

    def start(self) -> UploadFolder:
        """Start the periodic clean-up (a daemon thread)."""
        self._thread = threading.Thread(target=self._loop, name="upload-cleanup", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            removed = self.sweep()
            if removed:
                log.info("upload clean-up: removed %d files older than %.0f s", removed, self.max_age)

    def sweep(self, now: float | None = None) -> int:
        """Remove files older than ``max_age`` and the folders they leave empty; returns the files removed."""
        now = time.time() if now is None else now
        # folders are judged by their age before their old files go (removing a file touches its folder)
        stale = {Path(root) / d for root, dirs, _ in os.walk(self.path) for d in dirs if self._old(Path(root) / d, now)}
        removed = 0
        for root, dirs, files in os.walk(self.path, topdown=False):
            for name in files:
                file = Path(root) / name
                try:
                    if self._old(file, now):
                        file.unlink()
                        removed += 1
                except OSError:
                    pass  # gone already
            for name in dirs:
                if Path(root) / name in stale:
                    try:
                        (Path(root) / name).rmdir()  # only when empty
                    except OSError:
                        pass
        return removed

    def _old(self, path: Path, now: float) -> bool:
        try:
            return now - path.lstat().st_mtime > self.max_age
        except OSError:
            return False

    def close(self) -> None:
        """Stop the clean-up; remove the folder if this process made it, else its old files."""
        self._stop.set()
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.sweep()

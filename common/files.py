"""Files written so that work is never lost: atomic writes, and the one cache folder every stage uses."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

CACHE_ENV = "WHO_CACHE_DIR"
"""The environment variable that moves every cache (downloads, rooms, backgrounds, fbanks, embeddings)."""


def default_cache_dir(*parts: str) -> Path:
    """``$WHO_CACHE_DIR``, else ``$XDG_CACHE_HOME/who_tf_screamin``, else ``~/.cache/who_tf_screamin``; then ``parts``."""
    base = os.environ.get(CACHE_ENV)
    if not base:
        base = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "who_tf_screamin")
    return Path(base, *parts)


def atomic_write_with(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it into place.

    Readers see the old file or the whole new one, never half of it; a failed write leaves no temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    return atomic_write_with(path, lambda f: f.write(payload))


def atomic_write_json(path: str | os.PathLike, payload) -> Path:
    """Write ``payload`` as indented UTF-8 JSON atomically."""
    return atomic_write(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n")

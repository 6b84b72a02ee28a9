"""Writes a built dataset atomically, in the Hub's parquet layout: ``data/<split>-NNNNN-of-NNNNN.parquet`` + README.md.

The folder is made next to the target under a temporary name and renamed into place only once complete,
so a failed build leaves the target as it was (absent, or the previous build).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

MAX_SHARD_BYTES = 500_000_000
"""Audio bytes per parquet file at most (the Hub's usual shard size)."""
BUILD_MARKER = "who_tf_screamin"
"""A tag in the card that marks a folder as one of our builds, so a rebuild may replace it."""


class OutputError(ValueError):
    """The output path cannot take the dataset."""


def check_output(path: str | os.PathLike) -> Path:
    """Fail early (before any download) when ``path`` cannot receive the dataset."""
    target = Path(path).expanduser().resolve()
    if target.exists() and not target.is_dir():
        raise OutputError(f"--output {target}: exists and is not a folder; expected a new or previously built dataset folder")
    if target.is_dir() and any(target.iterdir()) and not is_previous_build(target):
        raise OutputError(
            f"--output {target}: the folder is not empty and is not a dataset built by this tool; "
            "choose a new path (a previous build there would be replaced, anything else is left alone)"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.probe-")
        os.rmdir(probe)
    except OSError as err:
        raise OutputError(
            f"--output {target}: cannot write there ({type(err).__name__}: {err.strerror or err}); expected a writable folder path"
        ) from err
    return target


def is_previous_build(folder: Path) -> bool:
    card = folder / "README.md"
    return (folder / "data").is_dir() and card.is_file() and BUILD_MARKER in card.read_text(encoding="utf-8", errors="ignore")


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temp folder beside ``target``; on success it replaces ``target``, on failure it is removed."""
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.building-"))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    os.chmod(target, 0o755)  # mkdtemp makes it 0700


def write_split(rows: Sequence[dict], features, folder: Path, split: str) -> list[Path]:
    """Write one split's rows as parquet shards of at most :data:`MAX_SHARD_BYTES` of audio."""
    import datasets

    audio_bytes = sum(len(r["audio"]["bytes"]) for r in rows)
    n_shards = max(1, math.ceil(audio_bytes / MAX_SHARD_BYTES))
    per_shard = max(1, math.ceil(len(rows) / n_shards))
    n_shards = max(1, math.ceil(len(rows) / per_shard))
    (folder / "data").mkdir(parents=True, exist_ok=True)
    paths = []
    quiet = not datasets.are_progress_bars_disabled()
    if quiet:
        datasets.disable_progress_bars()  # one bar per shard is noise next to the build's own bars
    try:
        for i in range(n_shards):
            path = folder / "data" / f"{split}-{i:05d}-of-{n_shards:05d}.parquet"
            chunk = list(rows[i * per_shard : (i + 1) * per_shard])
            columns = {name: [r[name] for r in chunk] for name in features}
            datasets.Dataset.from_dict(columns, features=features).to_parquet(str(path))
            paths.append(path)
    finally:
        if quiet:
            datasets.enable_progress_bars()
    return paths

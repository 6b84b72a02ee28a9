"""Writes a built dataset atomically, in the Hub's parquet layout: ``data/<split>-NNNNN-of-NNNNN.parquet`` + README.md.

The folder is made next to the target under a temporary name and renamed into place only once complete,
so a failed build leaves the target as it was (absent, or the previous build).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

MAX_SHARD_BYTES = 500_000_000
"""Bytes (of Arrow data) per parquet file at most, the Hub's usual shard size."""
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


ROWS_PER_ROW_GROUP = 100
"""Rows per parquet row group (about 10 MB of audio): what streaming readers fetch at a time."""


class SplitWriter:
    """Streams one split's rows into ``data/<split>-NNNNN-of-NNNNN.parquet`` shards of at most :data:`MAX_SHARD_BYTES`.

    Rows are encoded with the dataset's ``Features`` and written with the options ``Dataset.to_parquet`` uses
    (schema metadata, per-column compression, content-defined chunking), so ``load_dataset`` reads the files
    exactly like ones ``datasets`` wrote, while the build never holds more than a row group in memory.
    """

    def __init__(self, features, folder: Path, split: str, max_shard_bytes: int = MAX_SHARD_BYTES):
        self.features, self.split, self.max_shard_bytes = features, split, max_shard_bytes
        self.folder = folder / "data"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows = 0
        self._paths: list[Path] = []
        self._writer = None
        self._shard_bytes = 0
        self._pending: list[dict] = []

    def write(self, row: dict) -> None:
        self._pending.append(self.features.encode_example(row))
        self.rows += 1
        if len(self._pending) >= ROWS_PER_ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self._pending:
            return
        if self._writer is None or self._shard_bytes >= self.max_shard_bytes:
            self._open_shard()
        table = pa.Table.from_pylist(self._pending, schema=self.features.arrow_schema)
        self._writer.write_table(table)
        self._shard_bytes += table.nbytes
        self._pending = []

    def _open_shard(self) -> None:
        import pyarrow.parquet as pq
        from datasets import config
        from datasets.arrow_writer import get_parquet_column_options

        if self._writer is not None:
            self._writer.close()
        path = self.folder / f".{self.split}-{len(self._paths):05d}.parquet.part"
        schema = self.features.arrow_schema
        self._writer = pq.ParquetWriter(
            path,
            schema=schema,
            use_content_defined_chunking=config.DEFAULT_CDC_OPTIONS,
            write_page_index=True,
            **get_parquet_column_options(self.features, schema),
        )
        self._writer.add_key_value_metadata({"content_defined_chunking": json.dumps(config.DEFAULT_CDC_OPTIONS)})
        self._paths.append(path)
        self._shard_bytes = 0

    def close(self) -> list[Path]:
        """Finish the last shard and give every shard its final ``-of-NNNNN`` name."""
        self._flush()
        if self._writer is None:
            self._open_shard()  # an empty split still gets a (valid, empty) file
        self._writer.close()
        self._writer = None
        final = []
        for i, path in enumerate(self._paths):
            target = self.folder / f"{self.split}-{i:05d}-of-{len(self._paths):05d}.parquet"
            os.rename(path, target)
            final.append(target)
        return final

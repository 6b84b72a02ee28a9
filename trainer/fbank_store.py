"""The fbank store: one split's cached features, memory-mapped, and views over some of its rows.

A store holds each training example's *unpadded, unnormalised* fbank (see :mod:`trainer.features`), so
it depends only on the dataset, the front end and the mel settings: ``max_length``, the dataset mean/std
and SpecAugment are applied on the fly and can change freely.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from frontend.fbank import MIN_SAMPLES


class _RowSelection:
    """What a store and its row-selection views share: ``select``, ``labels``, ``lengths`` and the fbank statistics.

    A subclass sets ``labels``, ``rows`` (None: every clip), ``folder`` and ``_entry_key``, and gives
    ``_all_lengths`` and ``_blocks``.
    """

    def select(self, rows):
        """A view over ``rows`` of this store (like ``Dataset.select``), sharing its memory maps and offsets."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"{self.folder}: row selection out of range; expected indices in [0, {len(self)})")
        view = copy.copy(self)
        view.rows = rows if self.rows is None else self.rows[rows]
        view.labels = self.labels[rows]
        # The selection is part of the key, so caches derived from a view (embeddings) never mix subsets.
        view.key = f"{self._entry_key}-rows{hashlib.sha256(view.rows.tobytes()).hexdigest()[:12]}"
        return view

    def __len__(self) -> int:
        return len(self.labels)

    def _row(self, i: int) -> int:
        return int(self.rows[i]) if self.rows is not None else int(i)

    @property
    def lengths(self) -> np.ndarray:
        lengths = self._all_lengths()
        return lengths if self.rows is None else lengths[self.rows]

    def moments(self, chunk_frames: int = 262_144) -> tuple[int, float, float]:
        """Count, sum and sum of squares over every real (unpadded) frame and mel bin of the (selected) clips."""
        total, s, s2 = 0, 0.0, 0.0
        for raw in self._blocks(chunk_frames):
            block = np.asarray(raw, dtype=np.float64)
            total += block.size
            s += float(block.sum())
            s2 += float(np.square(block).sum())
        return total, s, s2

    def stats(self, chunk_frames: int = 262_144) -> tuple[float, float]:
        """Mean and standard deviation over every real (unpadded) frame and mel bin of the (selected) clips."""
        total, s, s2 = self.moments(chunk_frames)
        if total == 0:
            raise ValueError(f"{self.folder}: no fbank frames; expected clips of at least {MIN_SAMPLES} samples")
        mean = s / total
        return mean, float(np.sqrt(max(s2 / total - mean * mean, 1e-12)))


class FbankStore(_RowSelection):
    """One split's cached fbanks, memory-mapped: ``store[i]`` is clip ``i``'s ``(frames, mels)`` float32 array.

    :meth:`select` gives a view over some of the rows (e.g. the conditions of a curriculum stage) that shares
    the split's cache entry instead of computing those clips again.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.meta = json.loads((self.folder / "meta.json").read_text())
        self.key = self._entry_key = self.meta["key"]
        self.offsets = np.load(self.folder / "offsets.npy")
        self.labels = np.load(self.folder / "labels.npy")
        self.rows: np.ndarray | None = None  # indices into the entry; None: every clip
        total, mels = int(self.offsets[-1]), int(self.meta["num_mel_bins"])
        dtype = np.dtype(self.meta["dtype"])
        self.data = (
            np.memmap(self.folder / "fbank.bin", dtype=dtype, mode="r", shape=(total, mels))
            if total
            else np.zeros((0, mels), dtype=dtype)
        )

    def __getitem__(self, i: int) -> np.ndarray:
        r = self._row(i)
        return np.asarray(self.data[self.offsets[r] : self.offsets[r + 1]], dtype=np.float32)

    def _all_lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def _blocks(self, chunk_frames: int):
        if self.rows is None:
            for start in range(0, len(self.data), chunk_frames):
                yield self.data[start : start + chunk_frames]
        else:
            for r in self.rows:
                yield self.data[self.offsets[r] : self.offsets[r + 1]]


class ConcatFbankStore(_RowSelection):
    """Several stores read as one, in order (a split with other datasets' train splits appended to it).

    Each part keeps its own cache entry, so appending a supplement computes only the supplement's fbanks.
    """

    def __init__(self, parts: list):
        if not parts:
            raise ValueError("ConcatFbankStore: expected at least one store")
        self.parts = list(parts)
        self.bounds = np.cumsum([0] + [len(p) for p in self.parts])
        self.labels = np.concatenate([p.labels for p in self.parts])
        self.rows: np.ndarray | None = None
        self.folder = " + ".join(str(p.folder) for p in self.parts)
        self.key = self._entry_key = "concat-" + hashlib.sha256("+".join(p.key for p in self.parts).encode()).hexdigest()[:20]

    def __getitem__(self, i: int) -> np.ndarray:
        r = self._row(i)
        k = int(np.searchsorted(self.bounds, r, side="right")) - 1
        return self.parts[k][r - int(self.bounds[k])]

    def _all_lengths(self) -> np.ndarray:
        return np.concatenate([p.lengths for p in self.parts])

    def _blocks(self, chunk_frames: int):
        if self.rows is None:
            for p in self.parts:
                yield from p._blocks(chunk_frames)
        else:
            for i in range(len(self)):
                yield self[i]

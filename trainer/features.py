"""Log-mel filterbank features: computed once per split, cached on disk, padded and normalised per batch.

The cache holds each clip's *unpadded, unnormalised* fbank (exactly what ``ASTFeatureExtractor``
computes before padding), so it depends only on the dataset and the mel settings: the fitted
``max_length``, the dataset mean/std and SpecAugment are applied on the fly and can change freely.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from dataset_builder.audio import SAMPLE_RATE, to_mono

logger = logging.getLogger(__name__)

FBANK_CACHE_VERSION = 1
"""Bump when the cached fbank layout or computation changes (invalidates old cache entries)."""

WINDOW_SAMPLES = 400
"""Samples per fbank frame (25 ms at 16 kHz; Kaldi's default, as ASTFeatureExtractor uses)."""

HOP_SAMPLES = 160
"""Samples between frames (10 ms at 16 kHz)."""


def num_frames(n_samples: int) -> int:
    """Fbank frames Kaldi produces for ``n_samples`` (``snip_edges=True``)."""
    return 0 if n_samples < WINDOW_SAMPLES else 1 + (n_samples - WINDOW_SAMPLES) // HOP_SAMPLES


def fit_max_length(longest_frames: int, patch_size: int = 16, time_stride: int = 10) -> int:
    """The shortest input length ≥ ``longest_frames`` whose patches tile it exactly (no frame left uncovered).

    A 4 s clip has 398 frames: 406 with time stride 10 (40 patches), 400 with stride 8 or 16.
    """
    length = max(int(longest_frames), patch_size)
    return patch_size + -(-(length - patch_size) // time_stride) * time_stride


def make_extractor(num_mel_bins: int, max_length: int = 1024, mean: float = -4.2677393, std: float = 4.5689974):
    """The ``ASTFeatureExtractor`` saved beside the model (defaults: AudioSet statistics)."""
    from transformers import ASTFeatureExtractor

    return ASTFeatureExtractor(
        num_mel_bins=int(num_mel_bins),
        max_length=int(max_length),
        mean=float(mean),
        std=float(std),
        sampling_rate=SAMPLE_RATE,
        do_normalize=True,
        return_attention_mask=False,
    )


def compute_fbank(waveform: np.ndarray, extractor) -> np.ndarray:
    """Unpadded log-mel fbank ``(frames, num_mel_bins)`` of a 16 kHz mono clip, as the extractor computes it."""
    waveform = np.ascontiguousarray(to_mono(waveform), dtype=np.float32)
    frames = num_frames(waveform.shape[0])
    if frames == 0:
        return np.zeros((0, extractor.num_mel_bins), dtype=np.float32)
    return np.asarray(extractor._extract_fbank_features(waveform, max_length=frames), dtype=np.float32)


def pad_and_normalize(fbanks: list[np.ndarray], max_length: int, mean: float, std: float) -> np.ndarray:
    """Batch ``(n, max_length, mels)``: zero-pad or cut raw fbanks, then AST's ``(x - mean) / (2 std)``."""
    n_mels = fbanks[0].shape[1]
    out = np.zeros((len(fbanks), max_length, n_mels), dtype=np.float32)
    for i, fb in enumerate(fbanks):
        n = min(len(fb), max_length)
        out[i, :n] = fb[:n]
    return (out - np.float32(mean)) / np.float32(2.0 * std)


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
            raise ValueError(f"{self.folder}: no fbank frames; expected clips of at least {WINDOW_SAMPLES} samples")
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


def fbank_cache_key(ds, num_mel_bins: int, dtype: str, audio_column: str, label_column: str) -> str:
    """Cache key: the split's fingerprint and size, the columns and the mel settings."""
    payload = {
        "fingerprint": ds._fingerprint,
        "rows": len(ds),
        "audio_column": audio_column,
        "label_column": label_column,
        "num_mel_bins": int(num_mel_bins),
        "sampling_rate": SAMPLE_RATE,
        "dtype": dtype,
        "version": FBANK_CACHE_VERSION,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


@contextmanager
def cache_entry(folder: Path):
    """Fill a temporary sibling of ``folder``, renamed into place when the block ends cleanly.

    An interrupted run leaves no half-written entry; when another process finished the same entry first, its
    (identical) copy is kept.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        os.replace(tmp, folder)
    except OSError:
        if not folder.exists():
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_fbanks(
    ds,
    num_mel_bins: int,
    cache_dir: str | os.PathLike,
    *,
    audio_column: str = "audio",
    label_column: str = "label",
    dtype: str = "float32",
    desc: str = "",
) -> FbankStore:
    """The split's :class:`FbankStore`, computing it on first use (written atomically; never recomputed)."""
    key = fbank_cache_key(ds, num_mel_bins, dtype, audio_column, label_column)
    folder = Path(cache_dir) / "fbank" / key
    if (folder / "meta.json").exists():
        logger.info("fbank cache hit for %s: %s", desc or "split", folder)
        return FbankStore(folder)
    extractor = make_extractor(num_mel_bins)
    with cache_entry(folder) as tmp:
        offsets, labels = [0], []
        np_dtype = np.dtype(dtype)
        from tqdm.auto import tqdm

        rows = ds.select_columns([audio_column, label_column])
        with open(tmp / "fbank.bin", "wb") as out:
            for i, row in enumerate(tqdm(rows, total=len(ds), desc=f"fbank {desc}".strip(), mininterval=5)):
                audio = row[audio_column]
                if audio["sampling_rate"] != SAMPLE_RATE:
                    raise ValueError(
                        f"{desc or 'split'} row {i}: audio decoded at {audio['sampling_rate']} Hz; expected {SAMPLE_RATE} Hz"
                    )
                fb = compute_fbank(np.asarray(audio["array"]), extractor)
                out.write(np.ascontiguousarray(fb, dtype=np_dtype).tobytes())
                offsets.append(offsets[-1] + len(fb))
                labels.append(int(row[label_column]))
        np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
        np.save(tmp / "labels.npy", np.asarray(labels, dtype=np.int64))
        meta = {"key": key, "num_mel_bins": int(num_mel_bins), "dtype": dtype, "rows": len(labels), "split": desc}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    logger.info("fbank cache written for %s: %s", desc or "split", folder)
    return FbankStore(folder)


class SpecAugment:
    """SpecAugment-style masking (Park et al., 2019) on one raw fbank: time and frequency stripes set to ``fill``.

    Draws its parameters with torch's global generator, which the Trainer seeds and DataLoader workers
    re-seed, so runs are reproducible from ``--seed``.
    """

    def __init__(self, freq_mask: int = 12, time_mask: int = 48, num_masks: int = 1, fill: float = 0.0):
        for name, value in (("freq_mask", freq_mask), ("time_mask", time_mask), ("num_masks", num_masks)):
            if value < 0:
                raise ValueError(f"SpecAugment: {name} must be >= 0, got {value}")
        self.freq_mask, self.time_mask, self.num_masks, self.fill = freq_mask, time_mask, num_masks, fill

    def draw(self, n_frames: int, n_mels: int) -> list[tuple[int, int, int]]:
        """``(axis, start, width)`` for each mask; axis 0 is time, 1 frequency."""
        import torch

        params = []
        for axis, widest, size in ((0, self.time_mask, n_frames), (1, self.freq_mask, n_mels)):
            for _ in range(self.num_masks if widest and size else 0):
                width = int(torch.randint(0, min(widest, size) + 1, ()).item())
                start = int(torch.randint(0, size - width + 1, ()).item())
                params.append((axis, start, width))
        return params

    def apply(self, fbank: np.ndarray, params: list[tuple[int, int, int]]) -> np.ndarray:
        out = np.array(fbank, dtype=np.float32, copy=True)
        for axis, start, width in params:
            if axis == 0:
                out[start : start + width, :] = self.fill
            else:
                out[:, start : start + width] = self.fill
        return out

    def __call__(self, fbank: np.ndarray) -> np.ndarray:
        return self.apply(fbank, self.draw(*fbank.shape))


class FbankDataset:
    """Map-style dataset over an :class:`FbankStore`: ``{"fbank", "labels"}``, optionally augmented."""

    def __init__(self, store: FbankStore, augment: SpecAugment | None = None):
        self.store, self.augment = store, augment

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, i: int) -> dict:
        fb = self.store[int(i)]
        return {"fbank": self.augment(fb) if self.augment else fb, "labels": int(self.store.labels[i])}


def audio_transform(extractor, audio_column: str, label_column: str, augment: SpecAugment | None = None):
    """A ``set_transform`` function computing fbanks from audio on the fly (``--cache-features false``)."""

    def transform(batch: dict) -> dict:
        fbanks = [compute_fbank(np.asarray(a["array"]), extractor) for a in batch[audio_column]]
        if augment is not None:
            fbanks = [augment(fb) for fb in fbanks]
        return {"fbank": fbanks, "labels": list(batch[label_column])}

    return transform


class FbankCollator:
    """Pads or cuts each raw fbank to ``max_length`` and normalises with the dataset's mean/std."""

    def __init__(self, max_length: int, mean: float, std: float):
        self.max_length, self.mean, self.std = int(max_length), float(mean), float(std)

    def __call__(self, items: list[dict]) -> dict:
        import torch

        x = pad_and_normalize([it["fbank"] for it in items], self.max_length, self.mean, self.std)
        batch = {"input_values": torch.from_numpy(x)}
        if "labels" in items[0]:
            batch["labels"] = torch.tensor([int(it["labels"]) for it in items], dtype=torch.long)
        return batch

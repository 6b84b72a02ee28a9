"""Training features: each clip becomes the window the app would score, then its fbank, cached once per split.

A training example is prepared by exactly the function the recogniser uses on a recording
(:func:`frontend.windows.training_example`: trim, window, loudness) and turned into features by the same
fbank (:func:`frontend.fbank.compute_fbank`). The cache holds the unpadded, unnormalised fbank, so
``max_length``, the dataset mean/std and SpecAugment are applied per batch and can change freely.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from frontend.audio import SAMPLE_RATE
from frontend.fbank import band_normalisation, compute_fbank, make_extractor, pad_and_normalize
from frontend.windows import onset_setting, training_example

from .fbank_store import FbankStore
from .specaugment import SpecAugment

logger = logging.getLogger(__name__)

FBANK_CACHE_VERSION = 2
"""Bump when the cached fbank layout or computation changes (2: examples prepared by the app's front end)."""


def fit_max_length(longest_frames: int, patch_size: int = 16, time_stride: int = 10) -> int:
    """The shortest input length ≥ ``longest_frames`` whose patches tile it exactly (no frame left uncovered).

    A 4 s clip has 398 frames: 406 with time stride 10 (40 patches), 400 with stride 8 or 16.
    """
    length = max(int(longest_frames), patch_size)
    return patch_size + -(-(length - patch_size) // time_stride) * time_stride


def example_fbank(waveform: np.ndarray, extractor, window: int | None = None, locator=None) -> np.ndarray:
    """The fbank of one training clip, prepared as the recogniser prepares a recording (``window`` in samples;
    ``locator``: the model's :class:`frontend.locator.CryLocator`, if it has one)."""
    prepared = training_example(np.asarray(waveform, dtype=np.float32), window, onset_setting(extractor), locator)
    return compute_fbank(prepared, extractor)


def fbank_cache_key(
    ds, num_mel_bins: int, dtype: str, audio_column: str, label_column: str, window: int | None = None,
    onset_below_peak_db: float | None = None,
    locator_digest: str | None = None,
) -> str:
    """Cache key: the split's fingerprint and size, the columns, the model window and the mel settings."""
    payload = {
        "fingerprint": ds._fingerprint,
        "rows": len(ds),
        "audio_column": audio_column,
        "label_column": label_column,
        "num_mel_bins": int(num_mel_bins),
        "window_samples": None if window is None else int(window),
        "sampling_rate": SAMPLE_RATE,
        "dtype": dtype,
        "version": FBANK_CACHE_VERSION,
    }
    if onset_below_peak_db is not None:  # absent otherwise, so the caches of earlier runs keep their keys
        payload["onset_below_peak_db"] = float(onset_below_peak_db)
    if locator_digest is not None:
        payload["cry_locator"] = locator_digest
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
    window: int | None = None,
    onset_below_peak_db: float | None = None,
    locator=None,
) -> FbankStore:
    """The split's :class:`FbankStore`, computing it on first use (written atomically; never recomputed)."""
    key = fbank_cache_key(ds, num_mel_bins, dtype, audio_column, label_column, window, onset_below_peak_db,
                          None if locator is None else locator.digest)
    folder = Path(cache_dir) / "fbank" / key
    if (folder / "meta.json").exists():
        logger.info("fbank cache hit for %s: %s", desc or "split", folder)
        return FbankStore(folder)
    extractor = make_extractor(num_mel_bins, onset_below_peak_db=onset_below_peak_db)
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
                fb = example_fbank(audio["array"], extractor, window, locator)
                out.write(np.ascontiguousarray(fb, dtype=np_dtype).tobytes())
                offsets.append(offsets[-1] + len(fb))
                labels.append(int(row[label_column]))
        np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
        np.save(tmp / "labels.npy", np.asarray(labels, dtype=np.int64))
        meta = {"key": key, "num_mel_bins": int(num_mel_bins), "dtype": dtype, "rows": len(labels), "split": desc}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    logger.info("fbank cache written for %s: %s", desc or "split", folder)
    return FbankStore(folder)


class FbankDataset:
    """Map-style dataset over an :class:`FbankStore`: ``{"fbank", "labels"}``, optionally augmented."""

    def __init__(self, store: FbankStore, augment: SpecAugment | None = None):
        self.store, self.augment = store, augment

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, i: int) -> dict:
        fb = self.store[int(i)]
        return {"fbank": self.augment(fb) if self.augment else fb, "labels": int(self.store.labels[i])}


def audio_transform(
    extractor, audio_column: str, label_column: str, augment: SpecAugment | None = None, window: int | None = None,
    locator=None,
):
    """A ``set_transform`` function computing fbanks from audio on the fly (``--cache-features false``)."""

    def transform(batch: dict) -> dict:
        fbanks = [example_fbank(a["array"], extractor, window, locator) for a in batch[audio_column]]
        if augment is not None:
            fbanks = [augment(fb) for fb in fbanks]
        return {"fbank": fbanks, "labels": list(batch[label_column])}

    return transform


class FbankCollator:
    """Pads or cuts each raw fbank to ``max_length`` and normalises it (bands, then the dataset's mean/std)."""

    def __init__(self, max_length: int, mean: float, std: float, bands: str = "none"):
        self.max_length, self.mean, self.std, self.bands = int(max_length), float(mean), float(std), bands

    @classmethod
    def for_extractor(cls, extractor) -> FbankCollator:
        """The collator that prepares cached fbanks exactly as ``extractor`` and the recogniser prepare windows."""
        return cls(extractor.max_length, extractor.mean, extractor.std, band_normalisation(extractor))

    def __call__(self, items: list[dict]) -> dict:
        import torch

        x = pad_and_normalize([it["fbank"] for it in items], self.max_length, self.mean, self.std, self.bands)
        batch = {"input_values": torch.from_numpy(x)}
        if "labels" in items[0]:
            batch["labels"] = torch.tensor([int(it["labels"]) for it in items], dtype=torch.long)
        return batch

"""Levels: the one frame meter, trimming to the sounding part, and level normalisation.

Every "how loud is this" question in the project (trimming a cry, finding the windows that hold sound,
normalising a window, an AGC's envelope, a background's active level, rejecting a silent download) is
answered by :func:`frame_power` over frames of a stated length.
"""

from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE, SILENCE_DBFS

FRAME_SECONDS = 0.02
"""s. Frame length of the level meter used for trimming, window selection and normalisation."""

TRIM_BELOW_PEAK_DB = 40.0
"""dB. Frames this far below the loudest frame (or under SILENCE_DBFS) count as silence when trimming."""

TRIM_PAD_SECONDS = 0.1
"""s. Kept on each side of the sound so onsets and decays are not cut."""

ONSET_PAD_SECONDS = 0.02
"""s. Kept before the onset when a window starts at the cry's onset (``onset_below_peak_db``)."""

LOUD_BELOW_PEAK_DB = 30.0
"""dB. Frames within this of the loudest frame are the "sounding" ones a level is measured on."""

TARGET_DBFS = -20.0
"""dBFS. RMS level of a window's sounding frames after normalisation (the model's input level)."""

MAX_GAIN_DB = 50.0
"""dB. Normalisation never amplifies more than this (quiet rooms stay quiet)."""

MAX_PEAK = 0.99
"""Full-scale fraction. Normalisation never scales a peak above this."""


def frame_samples(seconds: float = FRAME_SECONDS, sample_rate: int = SAMPLE_RATE) -> int:
    """Samples in a meter frame of ``seconds`` (at least 1)."""
    return max(1, int(round(seconds * sample_rate)))


def frame_power(samples: np.ndarray, frame: int | None = None) -> np.ndarray:
    """Mean power of consecutive non-overlapping frames of ``frame`` samples (default 20 ms).

    The tail shorter than a frame is a frame of its own; an empty input has no frames.
    """
    frame = frame_samples() if frame is None else int(frame)
    if frame < 1:
        raise ValueError(f"frame_power: frame must be >= 1 sample, got {frame}")
    x = np.asarray(samples, dtype=np.float64)
    n_full = len(x) // frame
    power = np.mean(np.square(x[: n_full * frame]).reshape(n_full, frame), axis=1) if n_full else np.zeros(0)
    if len(x) % frame:
        power = np.append(power, np.mean(np.square(x[n_full * frame :])))
    return power


def to_db(power: np.ndarray | float) -> np.ndarray | float:
    """10·log10 of a power, -inf for zero."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power)


def frame_levels(samples: np.ndarray, frame: int | None = None) -> np.ndarray:
    """RMS level (dBFS) of each meter frame (see :func:`frame_power`)."""
    return to_db(frame_power(samples, frame))


def rms_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level of the whole signal in dBFS (-inf for digital silence or no samples)."""
    x = np.asarray(samples, dtype=np.float64)
    return float(to_db(np.mean(np.square(x)))) if x.size else float("-inf")


def loudest_frame_dbfs(samples: np.ndarray, frame: int | None = None) -> float:
    """RMS level (dBFS) of the loudest meter frame: a quiet tail does not make a sound 'silent'."""
    levels = frame_levels(samples, frame)
    return float(np.max(levels)) if levels.size else float("-inf")


def active_power(samples: np.ndarray, below_peak_db: float = LOUD_BELOW_PEAK_DB, frame: int | None = None) -> float:
    """Mean power of the frames within ``below_peak_db`` of the loudest frame (0 for silence)."""
    power = frame_power(samples, frame)
    if power.size == 0 or power.max() <= 0:
        return 0.0
    return float(np.mean(power[power >= power.max() * 10.0 ** (-below_peak_db / 10.0)]))


def sounding_span(
    samples: np.ndarray,
    below_peak_db: float = TRIM_BELOW_PEAK_DB,
    pad_seconds: float = TRIM_PAD_SECONDS,
    frame: int | None = None,
    sample_rate: int = SAMPLE_RATE,
) -> tuple[int, int] | None:
    """(start, end) in samples of the part that is not silence, padded; None when all of it is silence.

    Silence is a frame more than ``below_peak_db`` under the loudest frame, or under SILENCE_DBFS.
    """
    frame = frame_samples(sample_rate=sample_rate) if frame is None else int(frame)
    levels = frame_levels(samples, frame)
    if levels.size == 0 or not np.any(levels >= SILENCE_DBFS):
        return None
    threshold = max(SILENCE_DBFS, float(np.max(levels)) - below_peak_db)
    active = np.flatnonzero(levels >= threshold)
    pad = int(pad_seconds * sample_rate)
    return max(0, int(active[0]) * frame - pad), min(len(samples), (int(active[-1]) + 1) * frame + pad)


def sounding_level_dbfs(samples: np.ndarray) -> float:
    """RMS level (dBFS) of the sounding frames (within LOUD_BELOW_PEAK_DB of the loudest); -inf if silent."""
    power = active_power(samples)
    return float(to_db(power)) if power > 0 else float("-inf")


def normalise_loudness(samples: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Scale so the sounding frames' RMS is ``target_dbfs``; never above MAX_PEAK nor amplified > MAX_GAIN_DB."""
    samples = np.asarray(samples, dtype=np.float32)
    level = sounding_level_dbfs(samples)
    if not np.isfinite(level):
        return samples.copy()
    gain = 10.0 ** (min(target_dbfs - level, MAX_GAIN_DB) / 20.0)
    peak = float(np.max(np.abs(samples))) * gain
    if peak > MAX_PEAK:
        gain *= MAX_PEAK / peak
    return (samples * gain).astype(np.float32)


def remove_dc(samples: np.ndarray) -> np.ndarray:
    """Subtract the mean (a DC offset is inaudible but would read as sound to the meter), float32 out."""
    samples = np.asarray(samples, dtype=np.float32)
    return (samples - np.float32(np.mean(samples, dtype=np.float64))) if samples.size else samples.copy()


def peak_normalise(samples: np.ndarray, peak_dbfs: float) -> np.ndarray:
    """Scale so the largest sample is ``peak_dbfs``; digital silence is returned unchanged."""
    samples = np.asarray(samples, dtype=np.float32)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak == 0.0:
        return samples.copy()
    return (samples * (10.0 ** (peak_dbfs / 20.0) / peak)).astype(np.float32)

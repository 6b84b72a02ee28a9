"""Find the cry in a recording: trim silence, cut model-sized windows, normalise loudness.

A phone recording is longer than the cry and its level depends on the speaker and the distance.
The model sees fixed windows of ``max_length`` feature frames (10 ms each); a recording longer than
one window is cut into overlapping windows (hop = a quarter window, so any sound up to three
quarters of a window long lies whole inside one of them) and each window is normalised to the same
loudness before the model sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dataset_builder.audio import SAMPLE_RATE, SILENCE_DBFS

FRAME_SECONDS = 0.02
"""s. Frame length of the level meter used for trimming and window selection."""

TRIM_BELOW_PEAK_DB = 40.0
"""dB. Frames this far below the loudest frame (or under SILENCE_DBFS) count as silence when trimming."""

TRIM_PAD_SECONDS = 0.1
"""s. Kept on each side of the sound so onsets and decays are not cut."""

WINDOW_BELOW_PEAK_DB = 30.0
"""dB. A window whose loudest frame is this far below the recording's loudest frame holds no sound worth scoring."""

TARGET_DBFS = -20.0
"""dBFS. RMS level of a window's sounding frames after normalisation (the trainer should use the same)."""

MAX_GAIN_DB = 50.0
"""dB. Normalisation never amplifies more than this (quiet rooms stay quiet)."""

HOP_FRACTION = 0.25
"""Window hop as a fraction of the window length."""

# ASTFeatureExtractor computes Kaldi fbanks: 25 ms frames every 10 ms (snip_edges).
_FBANK_WIN = 400
_FBANK_HOP = 160


@dataclass(frozen=True)
class Window:
    """A slice of the (trimmed) recording the model scores; ``start`` in samples of the full recording."""

    start: int
    samples: np.ndarray

    @property
    def start_seconds(self) -> float:
        return self.start / SAMPLE_RATE


def window_length(max_length_frames: int) -> int:
    """Samples that fill exactly ``max_length_frames`` fbank frames at SAMPLE_RATE."""
    return (max_length_frames - 1) * _FBANK_HOP + _FBANK_WIN


def frame_levels(samples: np.ndarray, frame: int = int(FRAME_SECONDS * SAMPLE_RATE)) -> np.ndarray:
    """RMS level (dBFS) of consecutive non-overlapping frames; the tail shorter than a frame is its own frame."""
    samples = np.asarray(samples, dtype=np.float32)
    n_full = len(samples) // frame
    parts = [samples[: n_full * frame].reshape(n_full, frame)] if n_full else []
    power = [np.mean(np.square(p, dtype=np.float64), axis=1) for p in parts]
    if len(samples) % frame or not n_full:
        power.append(np.array([np.mean(np.square(samples[n_full * frame :], dtype=np.float64))]))
    power = np.concatenate(power) if power else np.zeros(0)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(power)


def sounding_span(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> tuple[int, int] | None:
    """(start, end) in samples of the part that is not silence, padded; None when all of it is silence."""
    frame = int(FRAME_SECONDS * sample_rate)
    levels = frame_levels(samples, frame)
    if levels.size == 0 or not np.any(levels >= SILENCE_DBFS):
        return None
    threshold = max(SILENCE_DBFS, float(np.max(levels)) - TRIM_BELOW_PEAK_DB)
    active = np.flatnonzero(levels >= threshold)
    pad = int(TRIM_PAD_SECONDS * sample_rate)
    start = max(0, int(active[0]) * frame - pad)
    end = min(len(samples), (int(active[-1]) + 1) * frame + pad)
    return start, end


def normalise_loudness(samples: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """Scale so the sounding frames' RMS is ``target_dbfs``; never clip (peak <= 0.99) nor amplify by > MAX_GAIN_DB."""
    samples = np.asarray(samples, dtype=np.float32)
    levels = frame_levels(samples)
    if levels.size == 0 or not np.isfinite(np.max(levels)):
        return samples.copy()
    loud = levels[levels >= np.max(levels) - WINDOW_BELOW_PEAK_DB]
    level = 10.0 * np.log10(np.mean(np.power(10.0, loud / 10.0)))
    gain_db = min(target_dbfs - level, MAX_GAIN_DB)
    gain = 10.0 ** (gain_db / 20.0)
    peak = float(np.max(np.abs(samples))) * gain
    if peak > 0.99:
        gain *= 0.99 / peak
    return (samples * gain).astype(np.float32)


def split_windows(samples: np.ndarray, length: int, hop_fraction: float = HOP_FRACTION) -> list[Window]:
    """Overlapping windows of ``length`` samples covering all of ``samples`` (one window if it is shorter)."""
    if len(samples) <= length:
        return [Window(0, samples)]
    hop = max(1, int(length * hop_fraction))
    starts = list(range(0, len(samples) - length + 1, hop))
    if starts[-1] + length < len(samples):
        starts.append(len(samples) - length)
    return [Window(s, samples[s : s + length]) for s in starts]


def find_windows(samples: np.ndarray, length: int) -> list[Window]:
    """The windows of a 16 kHz mono recording that hold sound, loudness-normalised; [] when it is silent.

    Silence at both ends is trimmed first; windows much quieter than the loudest part are dropped.
    ``Window.start`` refers to the untrimmed recording.
    """
    span = sounding_span(samples)
    if span is None:
        return []
    start, end = span
    windows = split_windows(samples[start:end], length)
    peaks = [float(np.max(frame_levels(w.samples))) for w in windows]
    floor = max(SILENCE_DBFS, max(peaks) - WINDOW_BELOW_PEAK_DB)
    return [
        Window(start + w.start, normalise_loudness(w.samples)) for w, p in zip(windows, peaks, strict=True) if p >= floor
    ]

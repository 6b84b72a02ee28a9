"""Cut a recording into the model-sized windows it is scored on: the same function for training and the app.

A phone recording is longer than the cry and its level depends on the speaker and the distance. The model
sees fixed windows of ``max_length`` fbank frames; a recording is trimmed to its sounding part, cut into
overlapping windows (hop = a quarter window, so any sound up to three quarters of a window long lies whole
inside one of them), windows much quieter than the loudest part are dropped and each is normalised to the
same loudness. :func:`find_windows` is what the recogniser scores; :func:`training_example` is the window a
training clip becomes, taken from the very same list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE, SILENCE_DBFS
from .levels import (
    LOUD_BELOW_PEAK_DB,
    ONSET_PAD_SECONDS,
    frame_levels,
    normalise_loudness,
    remove_dc,
    sounding_span,
)

HOP_FRACTION = 0.25
"""Window hop as a fraction of the window length."""

MIN_WINDOW_SAMPLES = SAMPLE_RATE // 4
"""samples. A located onset is moved back so that at least this much of the sounding part is left to score."""

WINDOW_BELOW_PEAK_DB = LOUD_BELOW_PEAK_DB
"""dB. A window whose loudest frame is this far below the recording's loudest frame holds nothing worth scoring."""


ONSET_SETTING = "onset_below_peak_db"
"""The key a model's preprocessor_config.json (its feature extractor) holds the onset setting under (absent: off)."""


def onset_setting(feature_extractor) -> float | None:
    """The ``onset_below_peak_db`` a model was trained with, read from its feature extractor (None: off)."""
    value = getattr(feature_extractor, ONSET_SETTING, None)
    return None if value is None else float(value)


@dataclass(frozen=True)
class Window:
    """A slice of the recording the model scores; ``start`` in samples of the full (untrimmed) recording."""

    start: int
    samples: np.ndarray

    @property
    def start_seconds(self) -> float:
        return self.start / SAMPLE_RATE


def split_windows(samples: np.ndarray, length: int, hop_fraction: float = HOP_FRACTION) -> list[Window]:
    """Overlapping windows of ``length`` samples covering all of ``samples`` (one window if it is shorter)."""
    if len(samples) <= length:
        return [Window(0, samples)]
    hop = max(1, int(length * hop_fraction))
    starts = list(range(0, len(samples) - length + 1, hop))
    if starts[-1] + length < len(samples):
        starts.append(len(samples) - length)
    return [Window(s, samples[s : s + length]) for s in starts]


def find_windows(
    samples: np.ndarray, length: int, onset_below_peak_db: float | None = None, locator=None
) -> list[Window]:
    """The loudness-normalised windows of a 16 kHz mono recording that hold sound; [] when it is silent.

    A DC offset is removed and silence at both ends trimmed first; windows much quieter than the loudest
    part are dropped. With ``onset_below_peak_db`` (dB) the first window starts at the onset instead: the first
    frame within that much of the loudest, less ONSET_PAD_SECONDS (a quiet lead-in no longer shifts the cry
    in its window). With a ``locator`` (a :class:`frontend.locator.CryLocator`) it starts where the locator puts
    the cry, less ONSET_PAD_SECONDS, whatever the levels say (under a phone's AGC the level rule fires at the
    start of the recording). A model records what it was trained with (its feature extractor's
    ``onset_below_peak_db``, its folder's ``cry_locator.safetensors``), so training and the app cut the same windows.
    """
    samples = remove_dc(samples)
    span = sounding_span(samples)
    if span is None:
        return []
    start, end = span
    if locator is not None:
        located = int((locator.onset_seconds(samples) - ONSET_PAD_SECONDS) * SAMPLE_RATE)
        start = min(max(start, located), max(start, end - MIN_WINDOW_SAMPLES))
    elif onset_below_peak_db is not None:
        start = max(start, sounding_span(samples, below_peak_db=float(onset_below_peak_db), pad_seconds=ONSET_PAD_SECONDS)[0])
    windows = split_windows(samples[start:end], length)
    peaks = [float(np.max(frame_levels(w.samples))) for w in windows]
    floor = max(SILENCE_DBFS, max(peaks) - WINDOW_BELOW_PEAK_DB)
    return [
        Window(start + w.start, normalise_loudness(w.samples))
        for w, p in zip(windows, peaks, strict=True)
        if p >= floor
    ]


def training_example(
    samples: np.ndarray, length: int | None = None, onset_below_peak_db: float | None = None, locator=None
) -> np.ndarray:
    """The samples a training clip is learned from: the loudest of the windows the app would score.

    ``length`` is the model's window in samples; None means "as long as the clip" (the trainer fits the
    model's input to its longest clip, so every clip is one window). ``onset_below_peak_db``, ``locator``: as
    :func:`find_windows`. A silent clip is returned unchanged.
    """
    samples = np.asarray(samples, dtype=np.float32)
    windows = find_windows(samples, len(samples) if length is None else int(length), onset_below_peak_db, locator)
    if not windows:
        return samples
    if len(windows) == 1:
        return windows[0].samples
    # every window is normalised to the same level, so "loudest" is measured before normalisation
    centred = remove_dc(samples)
    span_levels = [float(np.max(frame_levels(centred[w.start : w.start + len(w.samples)]))) for w in windows]
    return windows[int(np.argmax(span_levels))].samples

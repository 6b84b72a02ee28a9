"""Game-like music by other means than the training's: FM lead, plucked (Karplus-Strong) bass, swept-sine kick.

Modes (dorian, mixolydian, harmonic minor, blues) and timbres differ from ``dataset_builder``'s pulse and
triangle channels, so this music was never heard in training.
"""

from __future__ import annotations

import numpy as np

from .parts import SAMPLE_RATE

MODES = {
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "blues": (0, 3, 5, 6, 7, 10),
}


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def fm_note(freq: float, n: int, ratio: float, index: float) -> np.ndarray:
    """A frequency-modulated tone whose brightness (modulation index) decays with the note."""
    t = np.arange(n) / SAMPLE_RATE
    decay = np.exp(-t * 6.0)
    return np.sin(2 * np.pi * freq * t + index * decay * np.sin(2 * np.pi * freq * ratio * t)) * decay


def pluck(freq: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """A Karplus-Strong plucked string (a noise burst through a damped comb filter)."""
    from scipy import signal

    period = max(2, int(SAMPLE_RATE / freq))
    excitation = np.zeros(n)
    excitation[:period] = rng.uniform(-1, 1, period)
    a = np.zeros(period + 2)
    a[0], a[period], a[period + 1] = 1.0, -0.497, -0.497
    return signal.lfilter([1.0], a, excitation)


def kick(n: int) -> np.ndarray:
    """A sine sweeping from 130 to 45 Hz with a fast decay."""
    t = np.arange(n) / SAMPLE_RATE
    freq = 45.0 + 85.0 * np.exp(-t * 30.0)
    return np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE) * np.exp(-t * 12.0)


def chiptune(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` samples of a looping game-like tune, unit RMS."""
    mode = MODES[str(rng.choice(list(MODES)))]
    root = 50 + int(rng.integers(0, 10))
    beat = int(SAMPLE_RATE * 60 / rng.uniform(80, 170))
    step = beat // 2  # eighth notes
    ratio, index = float(rng.choice([1.0, 2.0, 3.5])), float(rng.uniform(1.0, 4.0))
    out = np.zeros(n + 2 * beat)
    degree = 0
    for k, start in enumerate(range(0, n, step)):
        degree = int(np.clip(degree + rng.integers(-2, 3), -3, 10))
        if rng.random() > 0.2:  # rests
            octave, pitch = divmod(degree, len(mode))
            out[start : start + step] += 0.5 * fm_note(_hz(root + 12 + 12 * octave + mode[pitch]), step, ratio, index)
        if k % 4 == 0:
            out[start : start + 2 * step] += 0.6 * pluck(_hz(root - 12 + mode[int(rng.integers(len(mode)))]), 2 * step, rng)
        if k % 2 == 0:
            out[start : start + beat] += 0.8 * kick(beat)
    out = out[:n]
    return (out / (np.sqrt(np.mean(out**2)) or 1.0)).astype(np.float32)

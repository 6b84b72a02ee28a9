"""Measurements the augmentation tests share: a tone's frequency, a band's level, a decay time."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE


def peak_frequency(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Frequency of the strongest component of the middle half, to a small fraction of a cent."""
    x = np.asarray(samples, dtype=np.float64)
    x = x[len(x) // 4 : 3 * len(x) // 4]
    n = 1 << 20
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sample_rate / n


def cents(measured_hz: float, expected_hz: float) -> float:
    return float(1200 * np.log2(measured_hz / expected_hz))


def level_db(samples: np.ndarray) -> float:
    x = np.asarray(samples, dtype=np.float64)
    return float(10 * np.log10(np.mean(x**2)))


def tone_gain_db(transform_apply, freq_hz: float, seconds: float = 1.0) -> float:
    """Steady-state gain of a transform at one frequency (the first 0.2 s, the filter's transient, is skipped)."""
    from synthetic import tone

    x = tone(freq_hz, seconds, amplitude=0.25)
    y = transform_apply(x)
    skip = int(0.2 * SAMPLE_RATE)
    return level_db(y[skip:]) - level_db(x[skip:])

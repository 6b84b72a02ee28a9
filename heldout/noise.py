"""Pink and brown noise from IIR filters on white noise (not spectral shaping), and a microphone's self-noise."""

from __future__ import annotations

import numpy as np

PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])
"""A 3-pole approximation of a 1/f power spectrum (within ±0.5 dB over the audio band)."""

BROWN_LEAK = 0.995
"""Pole of the leaky integrator making brown (1/f²) noise; below 1 so it cannot drift."""

NOISE_KINDS = ("pink", "brown", "white")


def coloured_noise(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` samples of ``kind`` noise with unit RMS."""
    from scipy import signal

    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind {kind!r}: expected one of {', '.join(NOISE_KINDS)}")
    white = rng.standard_normal(n + 2_000)  # 2000 samples of warm-up for the filters, dropped
    if kind == "pink":
        out = signal.lfilter(PINK_B, PINK_A, white)
    elif kind == "brown":
        out = signal.lfilter([1.0], [1.0, -BROWN_LEAK], white)
    else:
        out = white
    out = out[2_000:]
    return (out / (np.sqrt(np.mean(out**2)) or 1.0)).astype(np.float32)

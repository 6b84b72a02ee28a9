"""Signals and measurements the held-out simulator's tests share (16 kHz, numpy only)."""

from __future__ import annotations

import numpy as np

from heldout.parts import SAMPLE_RATE


def sine(freq_hz: float, seconds: float = 1.0, amplitude: float = 0.25) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def level_db(samples: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(samples, dtype=np.float64) ** 2) + 1e-20))


def gain_db(apply, freq_hz: float) -> float:
    """Steady-state gain of ``apply`` on a sine (the first 0.2 s, the filters' transient, skipped)."""
    x = sine(freq_hz)
    y = apply(x)
    skip = int(0.2 * SAMPLE_RATE)
    return level_db(y[skip:]) - level_db(x[skip:])


def energy_fraction_above(samples: np.ndarray, freq_hz: float) -> float:
    power = np.abs(np.fft.rfft(np.asarray(samples, dtype=np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    return float(power[freqs > freq_hz].sum() / power.sum())


def white(seconds: float = 2.0, seed: int = 0, amplitude: float = 0.1) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).standard_normal(int(seconds * SAMPLE_RATE))).astype(np.float32)

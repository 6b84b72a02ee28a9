"""Signal-processing helpers the transforms and the procedural backgrounds share: filter designs, filtering,
a soft limiter, the active level an SNR is defined on, mixing at an SNR, and one-pass stretch + transpose.

Imports only the front end and libraries, so every builder module may import it without a cycle.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal as sps

from frontend.audio import SAMPLE_RATE, resample
from frontend.levels import active_power, frame_samples

ACTIVE_THRESHOLD_DB = 40.0
"""dB. Frames (the front end's 20 ms meter) quieter than the loudest by more than this are not part of a
signal's active level, the level an SNR is defined on (in the spirit of ITU-T P.56's active speech level)."""


def signal_level(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Active power of a signal for SNR purposes (0 for digital silence): see :data:`ACTIVE_THRESHOLD_DB`."""
    return active_power(samples, ACTIVE_THRESHOLD_DB, frame_samples(sample_rate=sample_rate))


def mix_at_snr(
    samples: np.ndarray, noise: np.ndarray, snr_db: float, sample_rate: int = SAMPLE_RATE
) -> tuple[np.ndarray, float]:
    """Add ``noise`` (same length) scaled so that active power of ``samples`` / mean power of noise = ``snr_db``.

    Returns the mix (float32) and the gain applied to the noise.
    """
    if len(noise) != len(samples):
        raise ValueError(f"mix_at_snr: noise has {len(noise)} samples, signal {len(samples)}; expected equal")
    signal_power = signal_level(samples, sample_rate)
    noise_power = float(np.mean(np.asarray(noise, dtype=np.float64) ** 2))
    if signal_power <= 0 or noise_power <= 0:
        raise ValueError("mix_at_snr: signal or noise is digital silence; an SNR is undefined")
    gain = float(np.sqrt(signal_power / (noise_power * 10 ** (snr_db / 10))))
    return (samples + gain * noise).astype(np.float32), gain


@lru_cache(maxsize=4096)
def butterworth_sos(kind: str, cutoff_hz: float | tuple[float, float], order: int, sample_rate: int) -> np.ndarray:
    """Cached SciPy Butterworth design (second-order sections); ``kind`` is lowpass/highpass/bandpass."""
    return sps.butter(order, cutoff_hz, btype=kind, fs=sample_rate, output="sos")


@lru_cache(maxsize=4096)
def peaking_sos(center_hz: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """One peaking-EQ biquad as SciPy second-order sections (W3C Audio EQ Cookbook design)."""
    w0 = 2 * np.pi * center_hz / sample_rate
    amp = 10 ** (gain_db / 40)
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * amp, -2 * np.cos(w0), 1 - alpha * amp])
    a = np.array([1 + alpha / amp, -2 * np.cos(w0), 1 - alpha / amp])
    return np.concatenate([b / a[0], a / a[0]])[None, :]


def sosfilt32(sos: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Causal filtering from a zero state (the cry starts from silence), returned as float32."""
    return sps.sosfilt(sos, samples).astype(np.float32)


def soft_limit(x: np.ndarray, knee: float = 0.9) -> np.ndarray:
    """Identity below ``knee``, then a tanh curve that approaches (never exceeds) full scale."""
    mag = np.abs(x)
    over = mag > knee
    out = np.array(x, dtype=np.float64, copy=True)
    out[over] = np.sign(x[over]) * (knee + (1 - knee) * np.tanh((mag[over] - knee) / (1 - knee)))
    return out


def stretch_and_shift(samples: np.ndarray, sample_rate: int, rate: float = 1.0, semitones: float = 0.0) -> np.ndarray:
    """Time stretch by ``rate`` (> 1 is shorter) and transpose by ``semitones`` in one pass.

    The pitch change is a resampling (soxr: exact ratio); the duration is then set by audiomentations'
    ``TimeStretch`` (Signalsmith Stretch, pitch-preserving and deterministic). Output length is
    ``round(len / rate)``.
    """
    from audiomentations import TimeStretch

    x = np.ascontiguousarray(samples, dtype=np.float32)
    target = int(round(len(x) / rate))
    ratio = 2 ** (semitones / 12)
    if semitones:
        x = resample(x, sample_rate, sample_rate / ratio)
    stretcher = TimeStretch(leave_length_unchanged=False, method="signalsmith_stretch", p=1.0)
    stretcher.parameters = {"should_apply": True, "rate": float(rate / ratio)}
    out = stretcher.apply(x, sample_rate)
    out = out[:target] if len(out) >= target else np.pad(out, (0, target - len(out)))
    return np.ascontiguousarray(out, dtype=np.float32)

"""The original project's four augmentation families as small transform classes.

Shaped like audiomentations: ranges are checked in ``__init__``, ``randomize_parameters(rng)`` draws
the parameters from a NumPy generator (never global state), ``apply(samples, sample_rate)`` uses only
``self.parameters``, and ``recipe()`` returns the drawn parameters, JSON-serialisable, so every variant
records exactly what was done to it. Drawn values are rounded *before* they are applied, so the recipe
is the exact parameter set, not an approximation of it.

Families: time stretch and pitch shift (soxr resampling for an exact pitch ratio, Signalsmith Stretch
for the duration: the stretcher audiomentations uses by default), high-/low-pass (SciPy Butterworth, designs cached), background at an SNR (pools per split,
see :mod:`dataset_builder.backgrounds`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy import signal as sps

from frontend.audio import SAMPLE_RATE, resample
from frontend.levels import active_power, frame_samples

if TYPE_CHECKING:
    from .backgrounds import BackgroundPool

ACTIVE_THRESHOLD_DB = 40.0
"""dB. Frames (the front end's 20 ms meter) quieter than the loudest by more than this are not part of a
signal's active level, the level an SNR is defined on (in the spirit of ITU-T P.56's active speech level)."""


def signal_level(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Active power of a signal for SNR purposes (0 for digital silence): see :data:`ACTIVE_THRESHOLD_DB`."""
    return active_power(samples, ACTIVE_THRESHOLD_DB, frame_samples(sample_rate=sample_rate))


class Transform:
    """Base class: draw parameters with ``randomize_parameters(rng)``, then ``apply(samples, sample_rate)``."""

    name: ClassVar[str] = "transform"

    def __init__(self) -> None:
        self.parameters: dict[str, Any] = {}

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, samples: np.ndarray, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
        self.randomize_parameters(rng)
        return self.apply(samples, sample_rate)

    def recipe(self) -> dict[str, Any]:
        """``{"name": ..., **parameters}``: what the last ``apply`` did, JSON-serialisable."""
        return {"name": self.name, **self.parameters}

    def _require_parameters(self) -> None:
        if not self.parameters:
            raise RuntimeError(f"{type(self).__name__}: call randomize_parameters(rng) before apply()")

    def __repr__(self) -> str:
        ranges = {k: v for k, v in vars(self).items() if k != "parameters" and not k.startswith("_")}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in ranges.items())})"


# ---------------------------------------------------------------------------------------------- helpers


def check_range(owner: str, name: str, low: float, high: float, lower: float, upper: float) -> None:
    """Raise a ValueError that names the range unless ``lower <= low <= high <= upper``."""
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{owner}: min_{name}={low} / max_{name}={high} must be finite numbers")
    if low > high:
        raise ValueError(f"{owner}: min_{name}={low} is greater than max_{name}={high}; expected min <= max")
    if low < lower or high > upper:
        raise ValueError(f"{owner}: {name} range [{low}, {high}] is outside the allowed [{lower}, {upper}]")


def draw(rng: np.random.Generator, low: float, high: float, ndigits: int = 3) -> float:
    """One uniform draw, rounded so that the recipe holds the exact value applied."""
    return round(float(rng.uniform(low, high)), ndigits)


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
    return sps.sosfilt(sos, samples).astype(np.float32)


def stretch_and_shift(samples: np.ndarray, sample_rate: int, rate: float = 1.0, semitones: float = 0.0) -> np.ndarray:
    """Time stretch by ``rate`` (> 1 is shorter) and transpose by ``semitones`` in one pass.

    The pitch change is a resampling (soxr: exact ratio) and the duration is then set by Signalsmith
    Stretch (pitch-preserving, seeded so byte-reproducible). Output length is ``round(len / rate)``.
    """
    import python_stretch

    x = np.ascontiguousarray(samples, dtype=np.float32)
    target = int(round(len(x) / rate))
    ratio = 2 ** (semitones / 12)
    if semitones:
        x = resample(x, sample_rate, sample_rate / ratio)
    stretcher = python_stretch.Signalsmith.Stretch(0)
    stretcher.preset(1, float(sample_rate))
    stretcher.timeFactor = float(rate / ratio)
    out = stretcher.process(x[None, :])[0]
    out = out[:target] if len(out) >= target else np.pad(out, (0, target - len(out)))
    return np.ascontiguousarray(out, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- families


class TimeStretch(Transform):
    """Change the duration without changing the pitch; ``rate`` > 1 is faster (shorter)."""

    name = "time_stretch"

    def __init__(self, min_rate: float = 0.85, max_rate: float = 1.15):
        super().__init__()
        check_range("TimeStretch", "rate", min_rate, max_rate, 0.5, 2.0)
        self.min_rate, self.max_rate = min_rate, max_rate

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"rate": draw(rng, self.min_rate, self.max_rate, 4)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        return stretch_and_shift(samples, sample_rate, rate=self.parameters["rate"])


class PitchShift(Transform):
    """Transpose by ``semitones`` without changing the duration.

    Keep it small (±1 semitone by default): evolution lines share a base cry at different pitch, and the
    original project's ±3 semitones moved one species onto another.
    """

    name = "pitch_shift"

    def __init__(self, min_semitones: float = -1.0, max_semitones: float = 1.0):
        super().__init__()
        check_range("PitchShift", "semitones", min_semitones, max_semitones, -12.0, 12.0)
        self.min_semitones, self.max_semitones = min_semitones, max_semitones

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"semitones": draw(rng, self.min_semitones, self.max_semitones, 3)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        return stretch_and_shift(samples, sample_rate, semitones=self.parameters["semitones"])


class _PassFilter(Transform):
    btype: ClassVar[str]
    owner: ClassVar[str]

    def __init__(self, min_cutoff_hz: float, max_cutoff_hz: float, min_order: int = 2, max_order: int = 4):
        super().__init__()
        check_range(self.owner, "cutoff_hz", min_cutoff_hz, max_cutoff_hz, 20.0, SAMPLE_RATE / 2 * 0.95)
        check_range(self.owner, "order", min_order, max_order, 1, 8)
        if int(min_order) != min_order or int(max_order) != max_order:
            raise ValueError(f"{self.owner}: filter orders must be integers, got {min_order}..{max_order}")
        self.min_cutoff_hz, self.max_cutoff_hz = float(min_cutoff_hz), float(max_cutoff_hz)
        self.min_order, self.max_order = int(min_order), int(max_order)

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        # Cutoff drawn uniformly on a log-frequency axis (octaves matter, not hertz).
        cutoff = float(np.exp(rng.uniform(np.log(self.min_cutoff_hz), np.log(self.max_cutoff_hz))))
        order = int(rng.integers(self.min_order, self.max_order + 1))
        self.parameters = {"cutoff_hz": round(cutoff, 1), "order": order, "rolloff_db_per_octave": 6 * order}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        cutoff = min(self.parameters["cutoff_hz"], sample_rate / 2 * 0.95)
        return sosfilt32(butterworth_sos(self.btype, cutoff, self.parameters["order"], sample_rate), samples)


class HighPassFilter(_PassFilter):
    """Butterworth high-pass; cutoff drawn log-uniformly (default 300–1500 Hz, as in the original)."""

    name = "high_pass"
    btype = "highpass"
    owner = "HighPassFilter"

    def __init__(self, min_cutoff_hz: float = 300.0, max_cutoff_hz: float = 1500.0, min_order: int = 2, max_order: int = 4):
        super().__init__(min_cutoff_hz, max_cutoff_hz, min_order, max_order)


class LowPassFilter(_PassFilter):
    """Butterworth low-pass; cutoff drawn log-uniformly (default 3–6 kHz, as in the original)."""

    name = "low_pass"
    btype = "lowpass"
    owner = "LowPassFilter"

    def __init__(self, min_cutoff_hz: float = 3000.0, max_cutoff_hz: float = 6000.0, min_order: int = 2, max_order: int = 4):
        super().__init__(min_cutoff_hz, max_cutoff_hz, min_order, max_order)


class OneOf(Transform):
    """Pick one of several transforms at random (the original's "high-pass or low-pass" family)."""

    def __init__(self, transforms: list[Transform], name: str = "filter"):
        super().__init__()
        if not transforms:
            raise ValueError("OneOf: expected at least one transform")
        self.transforms = list(transforms)
        self.name = name  # type: ignore[misc]
        self._chosen: Transform | None = None

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self._chosen = self.transforms[int(rng.integers(len(self.transforms)))]
        self._chosen.randomize_parameters(rng)
        self.parameters = self._chosen.recipe()

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        if self._chosen is None:
            raise RuntimeError("OneOf: call randomize_parameters(rng) before apply()")
        return self._chosen.apply(samples, sample_rate)

    def recipe(self) -> dict[str, Any]:
        return dict(self.parameters)


class AddBackground(Transform):
    """Mix a background recording from one split's pool at an SNR drawn in dB.

    SNR is the active power of the input (see :func:`signal_level`) over the mean power of the
    background segment. ``pool`` holds only recordings of one split, so train and test never share one.
    """

    name = "background"

    def __init__(self, pool: BackgroundPool, min_snr_db: float = -5.0, max_snr_db: float = 30.0):
        super().__init__()
        check_range("AddBackground", "snr_db", min_snr_db, max_snr_db, -30.0, 80.0)
        if len(pool) == 0:
            raise ValueError(f"AddBackground: the {pool.split!r} background pool is empty; expected at least one recording")
        self.pool = pool
        self.min_snr_db, self.max_snr_db = min_snr_db, max_snr_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        recording = self.pool.choose(rng)
        self.parameters = {
            "kind": recording.kind,
            "id": recording.id,
            "offset_fraction": draw(rng, 0.0, 1.0, 4),
            "snr_db": draw(rng, self.min_snr_db, self.max_snr_db, 2),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"AddBackground: backgrounds are stored at {SAMPLE_RATE} Hz, got {sample_rate} Hz audio")
        noise = self.pool.segment(self.parameters["id"], self.parameters["offset_fraction"], len(samples))
        mixed, _ = mix_at_snr(samples, noise, self.parameters["snr_db"], sample_rate)
        return mixed

"""What every simulator part shares: the working sample rate, range checks and the draw/apply protocol."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE


def check_range(name: str, value, low: float, high: float, unit: str = "") -> tuple[float, float]:
    """``value`` as a (min, max) pair inside [low, high]; a ValueError naming the parameter otherwise."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected a (min, max) pair, got {value!r}") from err
    if not low <= lo <= hi <= high:
        raise ValueError(f"{name}: expected {low:g} <= min <= max <= {high:g}{unit}, got ({lo:g}, {hi:g})")
    return lo, hi


def check_kinds(name: str, kinds, known: tuple[str, ...]) -> tuple[str, ...]:
    """``kinds`` as a non-empty tuple of known names; a ValueError listing the known ones otherwise."""
    kinds = tuple(kinds)
    unknown = [k for k in kinds if k not in known]
    if not kinds or unknown:
        raise ValueError(f"{name}: expected one or more of {', '.join(known)}, got {', '.join(kinds) or 'none'}")
    return kinds


def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


def log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """A draw uniform on a log scale (frequencies, times)."""
    return float(np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]))))


def as_mono(samples: np.ndarray, name: str = "samples") -> np.ndarray:
    """float32 1-D, or a ValueError naming what was passed."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"{name}: expected mono 1-D audio, got shape {samples.shape}")
    return samples


def run_board(plugins: list, samples: np.ndarray) -> np.ndarray:
    """``samples`` through a fresh ``pedalboard.Pedalboard`` of ``plugins`` (no state carried between calls)."""
    from pedalboard import Pedalboard

    if not plugins:
        return samples
    return Pedalboard(plugins)(as_mono(samples), SAMPLE_RATE, reset=True).astype(np.float32)


class Part:
    """An effect whose random parameters are drawn apart from applying them (audiomentations' pattern)."""

    def draw(self, rng: np.random.Generator) -> dict:
        raise NotImplementedError

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, samples: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.apply(samples, self.draw(rng))

"""The transform protocol every augmentation follows, shaped like audiomentations.

Ranges are checked in ``__init__``, ``randomize_parameters(rng)`` draws the parameters from a NumPy
generator (never global state), ``apply(samples, sample_rate)`` uses only ``self.parameters``, and
``recipe()`` returns the drawn parameters, JSON-serialisable, so every variant records exactly what was
done to it. Drawn values are rounded *before* they are applied, so the recipe is the exact parameter set,
not an approximation of it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from frontend.audio import SAMPLE_RATE


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


def check_range(owner: str, name: str, low: float, high: float, lower: float, upper: float) -> None:
    """Raise a ValueError that names the range unless ``lower <= low <= high <= upper``."""
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError(f"{owner}: min_{name}={low} / max_{name}={high} must be finite numbers")
    if low > high:
        raise ValueError(f"{owner}: min_{name}={low} is greater than max_{name}={high}; expected min <= max")
    if low < lower or high > upper:
        raise ValueError(f"{owner}: {name} range [{low}, {high}] is outside the allowed [{lower}, {upper}]")


def check_probability(owner: str, probability: float) -> None:
    """Raise a ValueError naming ``owner`` unless ``0 <= probability <= 1``."""
    if not 0 <= probability <= 1:
        raise ValueError(f"{owner}: probability={probability}; expected 0-1")


def draw(rng: np.random.Generator, low: float, high: float, ndigits: int = 3) -> float:
    """One uniform draw, rounded so that the recipe holds the exact value applied."""
    return round(float(rng.uniform(low, high)), ndigits)


def draw_log(rng: np.random.Generator, low: float, high: float) -> float:
    """One draw uniform on a log axis (octaves matter, not hertz), unrounded."""
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))

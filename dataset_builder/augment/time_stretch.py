"""TimeStretch: change the duration without changing the pitch."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..dsp import stretch_and_shift
from .base import Transform, check_range, draw


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

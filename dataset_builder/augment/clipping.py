"""Clipping: the converter's hard limit."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from .base import Transform, check_range, draw


class Clipping(Transform):
    """The converter's hard limit at ``threshold_dbfs`` (0 dBFS by default): records the clipped fraction.

    The limit is applied by audiomentations' ``Clip`` with the drawn threshold set on it.
    """

    name = "clipping"

    def __init__(self, min_threshold_dbfs: float = 0.0, max_threshold_dbfs: float = 0.0):
        super().__init__()
        check_range("Clipping", "threshold_dbfs", min_threshold_dbfs, max_threshold_dbfs, -30.0, 0.0)
        self.min_threshold_dbfs, self.max_threshold_dbfs = min_threshold_dbfs, max_threshold_dbfs

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"threshold_dbfs": draw(rng, self.min_threshold_dbfs, self.max_threshold_dbfs, 2)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        from audiomentations import Clip

        self._require_parameters()
        limit = 10 ** (self.parameters["threshold_dbfs"] / 20)
        x = np.asarray(samples, dtype=np.float32)
        self.parameters["clipped_fraction"] = round(float(np.mean(np.abs(x) > limit)), 5)
        return Clip(a_min=-limit, a_max=limit, p=1.0).apply(x, sample_rate)

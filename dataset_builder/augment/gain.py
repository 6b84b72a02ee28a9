"""Gain: the phone's preamp, which sets the recording's peak level."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from .base import Transform, check_range, draw


class Gain(Transform):
    """The preamp: scale so that the recording's peak lands at ``peak_dbfs`` (above 0 dBFS → the converter clips).

    The scaling itself is audiomentations' ``Gain`` with the ratio we computed set on it (in float64).
    """

    name = "gain"

    def __init__(self, min_peak_dbfs: float = -30.0, max_peak_dbfs: float = 6.0):
        super().__init__()
        check_range("Gain", "peak_dbfs", min_peak_dbfs, max_peak_dbfs, -60.0, 20.0)
        self.min_peak_dbfs, self.max_peak_dbfs = min_peak_dbfs, max_peak_dbfs

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"peak_dbfs": draw(rng, self.min_peak_dbfs, self.max_peak_dbfs, 2)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        from audiomentations import Gain as ScaleBy

        self._require_parameters()
        peak = float(np.max(np.abs(samples)))
        if peak == 0:
            return np.asarray(samples, dtype=np.float32)
        gain = 10 ** (self.parameters["peak_dbfs"] / 20) / peak
        self.parameters["gain_db"] = round(20 * np.log10(gain), 2)
        scale = ScaleBy(p=1.0)
        scale.parameters = {"should_apply": True, "amplitude_ratio": gain}
        return scale.apply(np.asarray(samples, dtype=np.float64), sample_rate).astype(np.float32)

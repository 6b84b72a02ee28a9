"""The Butterworth pass filter that HighPassFilter and LowPassFilter specialise."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..dsp import butterworth_sos, sosfilt32
from .base import Transform, check_range, draw_log


class PassFilter(Transform):
    """Butterworth ``btype`` filter; cutoff drawn log-uniformly, integer order (6 dB/octave per order)."""

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
        cutoff = draw_log(rng, self.min_cutoff_hz, self.max_cutoff_hz)
        order = int(rng.integers(self.min_order, self.max_order + 1))
        self.parameters = {"cutoff_hz": round(cutoff, 1), "order": order, "rolloff_db_per_octave": 6 * order}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        cutoff = min(self.parameters["cutoff_hz"], sample_rate / 2 * 0.95)
        return sosfilt32(butterworth_sos(self.btype, cutoff, self.parameters["order"], sample_rate), samples)

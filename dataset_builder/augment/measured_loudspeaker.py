"""MeasuredLoudspeaker: the cry played through a loudspeaker whose impulse response was measured."""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from frontend.audio import SAMPLE_RATE

from ..measured_speakers import ResponseBank
from .base import Transform, check_probability


class MeasuredLoudspeaker(Transform):
    """With ``probability``, convolve with one of the bank's measured responses (length kept); else pass through.

    In the capture chain it stands in for the drawn :class:`.Loudspeaker` whenever it applies.
    """

    name = "measured_loudspeaker"

    def __init__(self, bank: ResponseBank, probability: float = 0.5):
        super().__init__()
        check_probability("MeasuredLoudspeaker", probability)
        if len(bank) == 0:
            raise ValueError("MeasuredLoudspeaker: the response bank is empty; expected at least one impulse response")
        self.bank, self.probability = bank, float(probability)

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        applied = bool(rng.uniform() < self.probability)
        index = int(rng.integers(len(self.bank)))
        self.parameters = {"applied": applied, "index": index, "file": self.bank.names[index]}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"MeasuredLoudspeaker: responses are stored at {SAMPLE_RATE} Hz, got {sample_rate} Hz")
        x = np.asarray(samples, dtype=np.float32)
        if not self.parameters["applied"]:
            return x
        return sps.oaconvolve(x, self.bank.responses[self.parameters["index"]])[: len(x)].astype(np.float32)

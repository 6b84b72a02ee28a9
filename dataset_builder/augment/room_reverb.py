"""RoomReverb: the cry as heard in a room, from one split's simulated impulse responses."""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from frontend.audio import SAMPLE_RATE

from ..rooms import RirBank
from .base import Transform


class RoomReverb(Transform):
    """Convolve with one of the split's simulated room impulse responses (length kept)."""

    name = "room"

    def __init__(self, bank: RirBank):
        super().__init__()
        if len(bank) == 0:
            raise ValueError(f"RoomReverb: the {bank.split!r} room bank is empty; expected at least one impulse response")
        self.bank = bank

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        index = int(rng.integers(len(self.bank)))
        self.parameters = {"index": index, **self.bank.info[index]}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"RoomReverb: impulse responses are simulated at {SAMPLE_RATE} Hz, got {sample_rate} Hz")
        rir = self.bank.rirs[self.parameters["index"]]
        return sps.oaconvolve(samples, rir)[: len(samples)].astype(np.float32)

"""AddBackground: mix a recording from one split's background pool at an SNR."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..backgrounds import BackgroundPool
from ..dsp import mix_at_snr
from .base import Transform, check_range, draw


class AddBackground(Transform):
    """Mix a background recording from one split's pool at an SNR drawn in dB.

    SNR is the active power of the input (see :func:`dataset_builder.dsp.signal_level`) over the mean
    power of the background segment. ``pool`` holds only recordings of one split, so train and test never
    share one.
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

"""Equalizer: a static colouration like a measured loudspeaker response (broad EQ, resonances, ripple)."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..dsp import peaking_sos, sosfilt32
from .base import Transform, check_probability, check_range, draw, draw_log

MIN_HZ, MAX_HZ = 80.0, 7000.0
"""Band centres are drawn log-uniformly in this range (the band a 16 kHz model hears)."""


class Equalizer(Transform):
    """Multi-band peaking EQ of ±``max_gain_db``, plus a few narrow resonances and a fine ripple.

    Real small speakers are far from flat: broad ±10-15 dB tilts and bumps, cabinet resonances of several dB,
    and a ripple of a few dB across the band. Off with probability ``1 - probability``.
    """

    name = "equalizer"

    def __init__(
        self,
        probability: float = 0.8,
        min_bands: int = 2,
        max_bands: int = 6,
        max_gain_db: float = 15.0,
        max_resonances: int = 3,
        max_resonance_db: float = 12.0,
        max_ripple_db: float = 3.0,
    ):
        super().__init__()
        check_probability("Equalizer", probability)
        check_range("Equalizer", "bands", min_bands, max_bands, 0, 12)
        for name, value, upper in (
            ("max_gain_db", max_gain_db, 24.0),
            ("max_resonances", max_resonances, 8),
            ("max_resonance_db", max_resonance_db, 20.0),
            ("max_ripple_db", max_ripple_db, 6.0),
        ):
            if not 0 <= value <= upper:
                raise ValueError(f"Equalizer: {name}={value}; expected 0-{upper}")
        if int(min_bands) != min_bands or int(max_bands) != max_bands or int(max_resonances) != max_resonances:
            raise ValueError("Equalizer: min_bands, max_bands and max_resonances must be integers")
        self.probability, self.min_bands, self.max_bands = probability, int(min_bands), int(max_bands)
        self.max_gain_db, self.max_resonances = max_gain_db, int(max_resonances)
        self.max_resonance_db, self.max_ripple_db = max_resonance_db, max_ripple_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        enabled = bool(rng.random() < self.probability)
        bands = [
            [round(draw_log(rng, MIN_HZ, MAX_HZ), -1), draw(rng, -self.max_gain_db, self.max_gain_db, 1), draw(rng, 0.5, 2.0, 2)]
            for _ in range(int(rng.integers(self.min_bands, self.max_bands + 1)))
        ]
        resonances = [
            [round(draw_log(rng, 150.0, 6000.0), -1), draw(rng, 3.0, max(3.0, self.max_resonance_db), 1), draw(rng, 4.0, 12.0, 1)]
            for _ in range(int(rng.integers(0, self.max_resonances + 1)))
        ]
        ripple_db = draw(rng, 0.0, self.max_ripple_db, 2)
        ripple = [
            [round(float(f), -1), draw(rng, -ripple_db, ripple_db, 2), 6.0]
            for f in np.geomspace(200.0, 6000.0, 12) * np.exp(rng.uniform(-0.1, 0.1, 12))
        ]
        self.parameters = {"enabled": enabled, "bands": bands, "resonances": resonances, "ripple_db": ripple_db, "ripple": ripple}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        p = self.parameters
        if not p["enabled"]:
            return np.asarray(samples, dtype=np.float32)
        sos = self.sos(sample_rate)
        return sosfilt32(sos, samples) if len(sos) else np.asarray(samples, dtype=np.float32)

    def sos(self, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        """Every peaking section of the drawn response, cascaded (for applying it, or plotting it)."""
        p = self.parameters
        nyquist_safe = sample_rate / 2 * 0.9
        sections = [
            peaking_sos(min(f, nyquist_safe), g, q, sample_rate)
            for f, g, q in p["bands"] + p["resonances"] + p["ripple"]
            if g != 0
        ]
        return np.concatenate(sections) if sections else np.zeros((0, 6))

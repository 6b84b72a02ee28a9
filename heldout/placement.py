"""Where the cry sits in the recording and how loud the recording is: lead-in, tail, peak level, noise floor."""

from __future__ import annotations

import numpy as np

from .noise import coloured_noise
from .parts import SAMPLE_RATE, Part, as_mono, check_range, uniform


class Placement(Part):
    """The cry after a lead-in, followed by a tail, scaled to a peak level over a pink noise floor."""

    def __init__(self, lead_in_s=(0.0, 2.0), tail_s=(0.3, 1.2), peak_dbfs=(-45.0, 0.0), floor_below_peak_db=(40.0, 60.0)):
        self.lead_in_s = check_range("lead_in_s", lead_in_s, 0.0, 20.0, " s")
        self.tail_s = check_range("tail_s", tail_s, 0.0, 20.0, " s")
        self.peak_dbfs = check_range("peak_dbfs", peak_dbfs, -90.0, 0.0, " dBFS")
        self.floor_below_peak_db = check_range("floor_below_peak_db", floor_below_peak_db, 0.0, 120.0, " dB")

    def draw(self, rng: np.random.Generator) -> dict:
        return {
            "lead_in_s": uniform(rng, self.lead_in_s),
            "tail_s": uniform(rng, self.tail_s),
            "peak_dbfs": uniform(rng, self.peak_dbfs),
            "floor_below_peak_db": uniform(rng, self.floor_below_peak_db),
            "floor_seed": int(rng.integers(2**31)),
        }

    def place(self, cry: np.ndarray, params: dict) -> tuple[np.ndarray, slice]:
        """The silent timeline with ``cry`` after the lead-in, and the slice the cry occupies."""
        cry = as_mono(cry, "cry")
        lead, tail = int(params["lead_in_s"] * SAMPLE_RATE), int(params["tail_s"] * SAMPLE_RATE)
        timeline = np.zeros(lead + len(cry) + tail, dtype=np.float32)
        timeline[lead : lead + len(cry)] = cry
        return timeline, slice(lead, lead + len(cry))

    def level(self, samples: np.ndarray, params: dict) -> np.ndarray:
        """``samples`` scaled to the drawn peak, plus a pink floor that many dB (RMS) below that peak."""
        samples = as_mono(samples)
        peak = float(np.max(np.abs(samples))) or 1.0
        target = 10 ** (params["peak_dbfs"] / 20)
        floor = target * 10 ** (-params["floor_below_peak_db"] / 20)
        noise = coloured_noise("pink", np.random.default_rng(params["floor_seed"]), len(samples))
        return (samples * (target / peak) + floor * noise).astype(np.float32)

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        return self.level(self.place(samples, params)[0], params)

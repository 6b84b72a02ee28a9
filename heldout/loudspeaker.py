"""A small loudspeaker's colouration: low cut, high cut, resonances, ripple and shelves (pedalboard EQ).

Ranges follow measured phone, laptop and TV speakers rather than the training simulator: low cuts up to
600 Hz, high cuts down to the 3.4 kHz telephone edge, resonances up to ±15 dB.
"""

from __future__ import annotations

import numpy as np

from .parts import Part, check_range, log_uniform, run_board, uniform

NYQUIST_MARGIN_HZ = 7_600.0
"""Hz. Highest filter frequency allowed at the 16 kHz working rate."""


class Loudspeaker(Part):
    """Static colouration of a loudspeaker, drawn per capture."""

    def __init__(
        self,
        low_cut_hz=(80.0, 600.0),
        high_cut_hz=(3_400.0, 7_500.0),
        cut_order=(1, 3),
        resonances=(1, 4),
        resonance_hz=(250.0, 6_000.0),
        resonance_db=(-15.0, 15.0),
        resonance_q=(0.7, 8.0),
        shelf_db=(-8.0, 8.0),
    ):
        self.low_cut_hz = check_range("low_cut_hz", low_cut_hz, 20.0, 2_000.0, " Hz")
        self.high_cut_hz = check_range("high_cut_hz", high_cut_hz, 1_000.0, NYQUIST_MARGIN_HZ, " Hz")
        if self.low_cut_hz[1] >= self.high_cut_hz[0]:
            raise ValueError(f"low_cut_hz {low_cut_hz} must lie below high_cut_hz {high_cut_hz}")
        self.cut_order = tuple(int(v) for v in check_range("cut_order", cut_order, 1, 6, " first-order stages"))
        self.resonances = tuple(int(v) for v in check_range("resonances", resonances, 0, 12))
        self.resonance_hz = check_range("resonance_hz", resonance_hz, 50.0, NYQUIST_MARGIN_HZ, " Hz")
        self.resonance_db = check_range("resonance_db", resonance_db, -30.0, 30.0, " dB")
        self.resonance_q = check_range("resonance_q", resonance_q, 0.1, 30.0)
        self.shelf_db = check_range("shelf_db", shelf_db, -20.0, 20.0, " dB")

    def draw(self, rng: np.random.Generator) -> dict:
        count = int(rng.integers(self.resonances[0], self.resonances[1] + 1))
        return {
            "low_cut_hz": log_uniform(rng, self.low_cut_hz),
            "high_cut_hz": log_uniform(rng, self.high_cut_hz),
            "order": int(rng.integers(self.cut_order[0], self.cut_order[1] + 1)),
            "peaks": [
                (log_uniform(rng, self.resonance_hz), uniform(rng, self.resonance_db), log_uniform(rng, self.resonance_q))
                for _ in range(count)
            ],
            "low_shelf_db": uniform(rng, self.shelf_db),
            "high_shelf_db": uniform(rng, self.shelf_db),
        }

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        from pedalboard import HighpassFilter, HighShelfFilter, LowpassFilter, LowShelfFilter, PeakFilter

        order = params["order"]
        plugins = [HighpassFilter(params["low_cut_hz"]) for _ in range(order)]
        plugins += [LowpassFilter(params["high_cut_hz"]) for _ in range(order)]
        plugins += [PeakFilter(f, gain, q) for f, gain, q in params["peaks"]]
        plugins += [LowShelfFilter(300.0, params["low_shelf_db"]), HighShelfFilter(3_000.0, params["high_shelf_db"])]
        return run_board(plugins, samples)

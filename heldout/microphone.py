"""A phone or laptop microphone: a rumble filter, a presence peak and a soft top end (pedalboard EQ)."""

from __future__ import annotations

import numpy as np

from .parts import Part, check_range, log_uniform, run_board, uniform


class Microphone(Part):
    """Static colouration of a small MEMS/electret microphone and its input filter."""

    def __init__(
        self,
        rumble_cut_hz=(60.0, 250.0),
        presence_hz=(1_800.0, 5_500.0),
        presence_db=(0.0, 9.0),
        top_cut_hz=(5_000.0, 7_500.0),
    ):
        self.rumble_cut_hz = check_range("rumble_cut_hz", rumble_cut_hz, 10.0, 1_000.0, " Hz")
        self.presence_hz = check_range("presence_hz", presence_hz, 500.0, 7_600.0, " Hz")
        self.presence_db = check_range("presence_db", presence_db, -20.0, 20.0, " dB")
        self.top_cut_hz = check_range("top_cut_hz", top_cut_hz, 1_000.0, 7_600.0, " Hz")

    def draw(self, rng: np.random.Generator) -> dict:
        return {
            "rumble_cut_hz": log_uniform(rng, self.rumble_cut_hz),
            "presence_hz": log_uniform(rng, self.presence_hz),
            "presence_db": uniform(rng, self.presence_db),
            "top_cut_hz": log_uniform(rng, self.top_cut_hz),
        }

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        from pedalboard import HighpassFilter, LowpassFilter, PeakFilter

        return run_board(
            [
                HighpassFilter(params["rumble_cut_hz"]),
                HighpassFilter(params["rumble_cut_hz"]),
                PeakFilter(params["presence_hz"], params["presence_db"], 1.2),
                LowpassFilter(params["top_cut_hz"]),
            ],
            samples,
        )

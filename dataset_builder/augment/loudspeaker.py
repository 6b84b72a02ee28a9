"""Loudspeaker: a TV, laptop or phone speaker playing the cry."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..dsp import butterworth_sos, peaking_sos, sosfilt32
from .base import Transform, check_range, draw, draw_log


class Loudspeaker(Transform):
    """A TV, laptop or phone speaker: amplifier soft clipping (tanh), then band-limit and a cone resonance."""

    name = "loudspeaker"

    def __init__(
        self,
        min_low_cut_hz: float = 100.0,
        max_low_cut_hz: float = 800.0,
        min_high_cut_hz: float = 4000.0,
        max_high_cut_hz: float = 7500.0,
        min_resonance_db: float = 0.0,
        max_resonance_db: float = 8.0,
        min_drive_db: float = 0.0,
        max_drive_db: float = 18.0,
    ):
        super().__init__()
        check_range("Loudspeaker", "low_cut_hz", min_low_cut_hz, max_low_cut_hz, 20.0, 2000.0)
        check_range("Loudspeaker", "high_cut_hz", min_high_cut_hz, max_high_cut_hz, 1000.0, SAMPLE_RATE / 2 * 0.95)
        if max_low_cut_hz >= min_high_cut_hz:
            raise ValueError(
                f"Loudspeaker: max_low_cut_hz={max_low_cut_hz} must be below min_high_cut_hz={min_high_cut_hz} (a pass band)"
            )
        check_range("Loudspeaker", "resonance_db", min_resonance_db, max_resonance_db, 0.0, 20.0)
        check_range("Loudspeaker", "drive_db", min_drive_db, max_drive_db, 0.0, 40.0)
        self.min_low_cut_hz, self.max_low_cut_hz = min_low_cut_hz, max_low_cut_hz
        self.min_high_cut_hz, self.max_high_cut_hz = min_high_cut_hz, max_high_cut_hz
        self.min_resonance_db, self.max_resonance_db = min_resonance_db, max_resonance_db
        self.min_drive_db, self.max_drive_db = min_drive_db, max_drive_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {
            "low_cut_hz": round(draw_log(rng, self.min_low_cut_hz, self.max_low_cut_hz), -1),
            "high_cut_hz": round(draw(rng, self.min_high_cut_hz, self.max_high_cut_hz), -1),
            "resonance_hz": round(draw_log(rng, 500, 3000), -1),
            "resonance_db": draw(rng, self.min_resonance_db, self.max_resonance_db, 1),
            "resonance_q": draw(rng, 1.0, 4.0, 1),
            "drive_db": draw(rng, self.min_drive_db, self.max_drive_db, 1),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        p = self.parameters
        x = np.asarray(samples, dtype=np.float64)
        peak = float(np.max(np.abs(x))) or 1.0
        drive = 10 ** (p["drive_db"] / 20) - 1  # 0 dB: linear; 18 dB: a hard-driven small amplifier
        if drive > 1e-3:
            x = np.tanh(drive * x / peak) / np.tanh(drive) * peak
        sos = np.concatenate(
            [
                butterworth_sos("highpass", p["low_cut_hz"], 4, sample_rate),
                butterworth_sos("lowpass", min(p["high_cut_hz"], sample_rate / 2 * 0.95), 4, sample_rate),
                peaking_sos(p["resonance_hz"], p["resonance_db"], p["resonance_q"], sample_rate),
            ]
        )
        return sosfilt32(sos, x)

"""Microphone: a phone microphone's self-noise and coloration."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..dsp import butterworth_sos, peaking_sos, signal_level, sosfilt32
from .base import Transform, check_range, draw, draw_log


class Microphone(Transform):
    """A phone microphone: self-noise at an SNR below the signal, a low cut and a couple of EQ bumps/dips."""

    name = "microphone"

    def __init__(
        self,
        min_low_cut_hz: float = 60.0,
        max_low_cut_hz: float = 250.0,
        min_eq_gain_db: float = -6.0,
        max_eq_gain_db: float = 6.0,
        eq_bands: int = 2,
        min_noise_snr_db: float = 25.0,
        max_noise_snr_db: float = 60.0,
    ):
        super().__init__()
        check_range("Microphone", "low_cut_hz", min_low_cut_hz, max_low_cut_hz, 20.0, 1000.0)
        check_range("Microphone", "eq_gain_db", min_eq_gain_db, max_eq_gain_db, -20.0, 20.0)
        check_range("Microphone", "noise_snr_db", min_noise_snr_db, max_noise_snr_db, 0.0, 100.0)
        if not (isinstance(eq_bands, int) and 0 <= eq_bands <= 6):
            raise ValueError(f"Microphone: eq_bands={eq_bands!r}; expected an integer 0-6")
        self.min_low_cut_hz, self.max_low_cut_hz = min_low_cut_hz, max_low_cut_hz
        self.min_eq_gain_db, self.max_eq_gain_db = min_eq_gain_db, max_eq_gain_db
        self.eq_bands = eq_bands
        self.min_noise_snr_db, self.max_noise_snr_db = min_noise_snr_db, max_noise_snr_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        bands = [
            [
                round(draw_log(rng, 400, 7000), -1),
                draw(rng, self.min_eq_gain_db, self.max_eq_gain_db, 1),
                draw(rng, 0.7, 3.0, 2),
            ]
            for _ in range(self.eq_bands)
        ]
        self.parameters = {
            "low_cut_hz": round(draw(rng, self.min_low_cut_hz, self.max_low_cut_hz), -1),
            "eq_bands_hz_db_q": bands,
            "noise_snr_db": draw(rng, self.min_noise_snr_db, self.max_noise_snr_db, 1),
            "noise_seed": int(rng.integers(2**31)),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        p = self.parameters
        x = np.asarray(samples, dtype=np.float64)
        level = signal_level(x, sample_rate)
        noise = np.random.default_rng(p["noise_seed"]).standard_normal(len(x))
        x = x + noise * np.sqrt(level / 10 ** (p["noise_snr_db"] / 10))
        sections = [butterworth_sos("highpass", p["low_cut_hz"], 2, sample_rate)]
        sections += [peaking_sos(min(f, sample_rate / 2 * 0.9), g, q, sample_rate) for f, g, q in p["eq_bands_hz_db_q"]]
        return sosfilt32(np.concatenate(sections), x)

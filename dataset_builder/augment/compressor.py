"""Compressor: a dynamic-range compressor or limiter, as phones, voice apps and TV sound processing apply."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from .base import Transform, check_probability, check_range, draw, draw_log


class Compressor(Transform):
    """Feed-forward compressor on a 1 ms peak envelope: above ``threshold`` the level grows ``1/ratio`` as fast.

    Attack and release are drawn log-uniformly (fast limiters to slow leveling); a ratio of 20 or more is a
    limiter. Make-up gain brings the output peak back to the input's. Off with probability ``1 - probability``.

    ``threshold_reference`` says what the threshold (``threshold_dbfs``) is measured against: ``"dbfs"``, full scale (a
    quiet capture then passes under it untouched), or ``"peak"``, the input's own peak (the compressor sits behind a
    gain stage that brings every capture to full scale, as a phone's voice chain does: how hard it squeezes no
    longer depends on the capture's level).
    """

    REFERENCES = ("dbfs", "peak")

    name = "compressor"
    FRAME_SECONDS = 0.001

    def __init__(
        self,
        probability: float = 0.5,
        min_threshold_dbfs: float = -40.0,
        max_threshold_dbfs: float = -10.0,
        min_ratio: float = 2.0,
        max_ratio: float = 20.0,
        min_attack_ms: float = 0.5,
        max_attack_ms: float = 50.0,
        min_release_ms: float = 20.0,
        max_release_ms: float = 1000.0,
        threshold_reference: str = "dbfs",
    ):
        super().__init__()
        check_probability("Compressor", probability)
        if threshold_reference not in self.REFERENCES:
            raise ValueError(f"Compressor: threshold_reference={threshold_reference!r}; expected one of {self.REFERENCES}")
        check_range("Compressor", "threshold_dbfs", min_threshold_dbfs, max_threshold_dbfs, -60.0, 0.0)
        check_range("Compressor", "ratio", min_ratio, max_ratio, 1.0, 100.0)
        check_range("Compressor", "attack_ms", min_attack_ms, max_attack_ms, 0.1, 500.0)
        check_range("Compressor", "release_ms", min_release_ms, max_release_ms, 5.0, 5000.0)
        self.probability, self.threshold_reference = probability, threshold_reference
        self.threshold_dbfs = (min_threshold_dbfs, max_threshold_dbfs)
        self.ratio, self.attack_ms, self.release_ms = (min_ratio, max_ratio), (min_attack_ms, max_attack_ms), (min_release_ms, max_release_ms)

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {
            "enabled": bool(rng.random() < self.probability),
            "threshold_dbfs": draw(rng, *self.threshold_dbfs, 1),
            "ratio": round(draw_log(rng, *self.ratio), 2),
            "attack_ms": round(draw_log(rng, *self.attack_ms), 2),
            "release_ms": round(draw_log(rng, *self.release_ms), 1),
            "threshold_reference": self.threshold_reference,
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        x = np.asarray(samples, dtype=np.float64)
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if not self.parameters["enabled"] or peak == 0:
            return x.astype(np.float32)
        frame = max(1, int(self.FRAME_SECONDS * sample_rate))
        n_frames = -(-len(x) // frame)
        padded = np.pad(np.abs(x), (0, n_frames * frame - len(x)))
        level_db = 20 * np.log10(padded.reshape(n_frames, frame).max(axis=1) + 1e-9)
        if self.threshold_reference == "peak":
            level_db -= 20 * np.log10(peak)
        gain_db = self.gain_curve_db(level_db)
        centres = (np.arange(n_frames) + 0.5) * frame
        y = x * 10 ** (np.interp(np.arange(len(x)), centres, gain_db) / 20)
        out_peak = float(np.max(np.abs(y)))
        self.parameters["makeup_db"] = round(20 * np.log10(peak / out_peak), 2) if out_peak > 0 else 0.0
        return (y * (peak / out_peak if out_peak > 0 else 1.0)).astype(np.float32)

    def gain_curve_db(self, level_db: np.ndarray) -> np.ndarray:
        """Per-frame gain (dB, <= 0) for per-frame peak levels: reduction follows fast (attack), recovers slowly (release)."""
        p = self.parameters
        wanted = -np.maximum(level_db - p["threshold_dbfs"], 0.0) * (1 - 1 / p["ratio"])
        attack = np.exp(-self.FRAME_SECONDS * 1000 / p["attack_ms"])
        release = np.exp(-self.FRAME_SECONDS * 1000 / p["release_ms"])
        out = np.empty(len(level_db))
        g = 0.0
        for i, w in enumerate(wanted.tolist()):
            coeff = attack if w < g else release
            g = coeff * g + (1 - coeff) * w
            out[i] = g
        return out

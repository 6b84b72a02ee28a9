"""AutomaticGainControl: the browser's AGC, which pumps the background up around the cry."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE
from frontend.levels import frame_power

from ..dsp import soft_limit
from .base import Transform, check_probability, check_range, draw, draw_log


class AutomaticGainControl(Transform):
    """A browser-like AGC: per-10 ms level, gain toward a target (fast attack, slow release, capped), soft limiter.

    It pumps the background up before and after the cry, as phones do. Attack and release are drawn
    log-uniformly from ``attack_ms`` / ``release_ms``. Off with probability ``1 - probability``.
    """

    name = "agc"
    FRAME_SECONDS = 0.01

    def __init__(
        self,
        probability: float = 0.8,
        min_target_dbfs: float = -26.0,
        max_target_dbfs: float = -14.0,
        min_max_gain_db: float = 10.0,
        max_max_gain_db: float = 30.0,
        attack_ms: tuple[float, float] = (5.0, 30.0),
        release_ms: tuple[float, float] = (200.0, 1000.0),
    ):
        super().__init__()
        check_probability("AutomaticGainControl", probability)
        check_range("AutomaticGainControl", "target_dbfs", min_target_dbfs, max_target_dbfs, -40.0, -3.0)
        check_range("AutomaticGainControl", "max_gain_db", min_max_gain_db, max_max_gain_db, 0.0, 60.0)
        check_range("AutomaticGainControl", "attack_ms", *attack_ms, 1.0, 500.0)
        check_range("AutomaticGainControl", "release_ms", *release_ms, 20.0, 10000.0)
        self.probability = probability
        self.attack_ms, self.release_ms = tuple(attack_ms), tuple(release_ms)
        self.min_target_dbfs, self.max_target_dbfs = min_target_dbfs, max_target_dbfs
        self.min_max_gain_db, self.max_max_gain_db = min_max_gain_db, max_max_gain_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        enabled = bool(rng.random() < self.probability)
        self.parameters = {
            "enabled": enabled,
            "target_dbfs": draw(rng, self.min_target_dbfs, self.max_target_dbfs, 1),
            "max_gain_db": draw(rng, self.min_max_gain_db, self.max_max_gain_db, 1),
            "attack_ms": round(draw_log(rng, *self.attack_ms), 1),
            "release_ms": round(draw_log(rng, *self.release_ms), 0),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        x = np.asarray(samples, dtype=np.float64)
        if not self.parameters["enabled"]:
            return x.astype(np.float32)
        frame = int(self.FRAME_SECONDS * sample_rate)
        gain_db = self.gain_curve_db(frame_power(x, frame))
        centres = (np.arange(len(gain_db)) + 0.5) * frame
        gain = 10 ** (np.interp(np.arange(len(x)), centres, gain_db) / 20)
        return soft_limit(x * gain).astype(np.float32)

    def gain_curve_db(self, level: np.ndarray) -> np.ndarray:
        """Per-frame gain in dB for per-frame powers ``level``: falls fast (attack), rises slowly (release)."""
        p = self.parameters
        wanted = np.clip(p["target_dbfs"] - 10 * np.log10(level + 1e-10), -30.0, p["max_gain_db"])
        attack = np.exp(-self.FRAME_SECONDS * 1000 / p["attack_ms"])
        release = np.exp(-self.FRAME_SECONDS * 1000 / p["release_ms"])
        gain_db = np.empty(len(level))
        g = float(wanted[0])
        for i in range(len(level)):
            coeff = attack if wanted[i] < g else release
            g = coeff * g + (1 - coeff) * float(wanted[i])
            gain_db[i] = g
        return gain_db

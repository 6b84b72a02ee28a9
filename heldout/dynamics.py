"""A phone's automatic gain control: compressor, make-up gain and limiter (pedalboard), or none."""

from __future__ import annotations

import numpy as np

from .parts import Part, check_range, log_uniform, run_board, uniform


class Agc(Part):
    """Dynamics processing with a range of thresholds, ratios, attack and release times."""

    def __init__(
        self,
        probability: float = 0.6,
        threshold_db=(-40.0, -12.0),
        ratio=(2.0, 12.0),
        attack_ms=(0.5, 40.0),
        release_ms=(30.0, 800.0),
        makeup_db=(0.0, 18.0),
        limiter_db=(-4.0, -0.5),
    ):
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability: expected a value in [0, 1], got {probability}")
        self.probability = float(probability)
        self.threshold_db = check_range("threshold_db", threshold_db, -80.0, 0.0, " dBFS")
        self.ratio = check_range("ratio", ratio, 1.0, 100.0)
        self.attack_ms = check_range("attack_ms", attack_ms, 0.01, 500.0, " ms")
        self.release_ms = check_range("release_ms", release_ms, 1.0, 5_000.0, " ms")
        self.makeup_db = check_range("makeup_db", makeup_db, 0.0, 40.0, " dB")
        self.limiter_db = check_range("limiter_db", limiter_db, -30.0, 0.0, " dBFS")

    def draw(self, rng: np.random.Generator) -> dict:
        enabled = bool(rng.random() < self.probability)
        params = {
            "threshold_db": uniform(rng, self.threshold_db),
            "ratio": log_uniform(rng, self.ratio),
            "attack_ms": log_uniform(rng, self.attack_ms),
            "release_ms": log_uniform(rng, self.release_ms),
            "makeup_db": uniform(rng, self.makeup_db),
            "limiter_db": uniform(rng, self.limiter_db),
        }
        return {"enabled": enabled, **params}

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        if not params["enabled"]:
            return np.asarray(samples, dtype=np.float32)
        from pedalboard import Compressor, Gain, Limiter

        peak = float(np.max(np.abs(samples))) or 1.0
        drive = Gain(-20.0 * np.log10(peak))  # the AGC sees the signal at full scale, whatever the input level
        return run_board(
            [
                drive,
                Compressor(params["threshold_db"], params["ratio"], params["attack_ms"], params["release_ms"]),
                Gain(params["makeup_db"]),
                Limiter(params["limiter_db"], release_ms=100.0),
            ],
            samples,
        )

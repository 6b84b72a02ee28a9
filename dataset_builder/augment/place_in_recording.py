"""PlaceInRecording: the cry at a random time inside a longer recording, as a phone records it."""

from __future__ import annotations

import numpy as np

from frontend.audio import CLIP_SECONDS, SAMPLE_RATE

from .base import Transform, draw


class PlaceInRecording(Transform):
    """Put the cry at a random time inside a ``clip_seconds`` recording of silence (a background fills it next).

    A cry longer than the clip minus the margins is cut, with a 20 ms fade.
    """

    name = "place"

    def __init__(self, clip_seconds: float = CLIP_SECONDS, min_margin_seconds: float = 0.25):
        super().__init__()
        if not 0.5 <= clip_seconds <= 60:
            raise ValueError(f"PlaceInRecording: clip_seconds={clip_seconds}; expected 0.5-60 s")
        if not 0 <= min_margin_seconds < clip_seconds / 4:
            raise ValueError(f"PlaceInRecording: min_margin_seconds={min_margin_seconds}; expected 0 to clip_seconds/4")
        self.clip_seconds, self.min_margin_seconds = clip_seconds, min_margin_seconds

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"offset_fraction": draw(rng, 0.0, 1.0, 4)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        n = int(round(self.clip_seconds * sample_rate))
        margin = int(round(self.min_margin_seconds * sample_rate))
        cry = np.asarray(samples, dtype=np.float32)
        if len(cry) > n - 2 * margin:
            cry = cry[: n - 2 * margin].copy()
            fade = min(len(cry), int(0.02 * sample_rate))
            cry[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        start = margin + int(round(self.parameters["offset_fraction"] * (n - 2 * margin - len(cry))))
        out = np.zeros(n, dtype=np.float32)
        out[start : start + len(cry)] = cry
        self.parameters.update(start_s=round(start / sample_rate, 4), cry_s=round(len(cry) / sample_rate, 4))
        return out

"""PitchShift: transpose without changing the duration."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from ..dsp import stretch_and_shift
from .base import Transform, check_range, draw


class PitchShift(Transform):
    """Transpose by ``semitones`` without changing the duration.

    Keep it small (±1 semitone by default): evolution lines share a base cry at different pitch, and the
    original project's ±3 semitones moved one species onto another.
    """

    name = "pitch_shift"

    def __init__(self, min_semitones: float = -1.0, max_semitones: float = 1.0):
        super().__init__()
        check_range("PitchShift", "semitones", min_semitones, max_semitones, -12.0, 12.0)
        self.min_semitones, self.max_semitones = min_semitones, max_semitones

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"semitones": draw(rng, self.min_semitones, self.max_semitones, 3)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        return stretch_and_shift(samples, sample_rate, semitones=self.parameters["semitones"])

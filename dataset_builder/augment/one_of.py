"""OneOf: pick one of several transforms at random (the original's "high-pass or low-pass" family)."""

from __future__ import annotations

from typing import Any

import numpy as np

from frontend.audio import SAMPLE_RATE

from .base import Transform


class OneOf(Transform):
    """Pick one of ``transforms`` per draw; the recipe is the chosen transform's."""

    def __init__(self, transforms: list[Transform], name: str = "filter"):
        super().__init__()
        if not transforms:
            raise ValueError("OneOf: expected at least one transform")
        self.transforms = list(transforms)
        self.name = name  # type: ignore[misc]
        self._chosen: Transform | None = None

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self._chosen = self.transforms[int(rng.integers(len(self.transforms)))]
        self._chosen.randomize_parameters(rng)
        self.parameters = self._chosen.recipe()

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        if self._chosen is None:
            raise RuntimeError("OneOf: call randomize_parameters(rng) before apply()")
        return self._chosen.apply(samples, sample_rate)

    def recipe(self) -> dict[str, Any]:
        return dict(self.parameters)

"""SpecAugment (Park et al., 2019): time and frequency stripes of a raw fbank masked during training."""

from __future__ import annotations

import numpy as np


class SpecAugment:
    """SpecAugment-style masking (Park et al., 2019) on one raw fbank: time and frequency stripes set to ``fill``.

    Draws its parameters with torch's global generator, which the Trainer seeds and DataLoader workers
    re-seed, so runs are reproducible from ``--seed``.
    """

    def __init__(self, freq_mask: int = 12, time_mask: int = 48, num_masks: int = 1, fill: float = 0.0):
        for name, value in (("freq_mask", freq_mask), ("time_mask", time_mask), ("num_masks", num_masks)):
            if value < 0:
                raise ValueError(f"SpecAugment: {name} must be >= 0, got {value}")
        self.freq_mask, self.time_mask, self.num_masks, self.fill = freq_mask, time_mask, num_masks, fill

    def draw(self, n_frames: int, n_mels: int) -> list[tuple[int, int, int]]:
        """``(axis, start, width)`` for each mask; axis 0 is time, 1 frequency."""
        import torch

        params = []
        for axis, widest, size in ((0, self.time_mask, n_frames), (1, self.freq_mask, n_mels)):
            for _ in range(self.num_masks if widest and size else 0):
                width = int(torch.randint(0, min(widest, size) + 1, ()).item())
                start = int(torch.randint(0, size - width + 1, ()).item())
                params.append((axis, start, width))
        return params

    def apply(self, fbank: np.ndarray, params: list[tuple[int, int, int]]) -> np.ndarray:
        out = np.array(fbank, dtype=np.float32, copy=True)
        for axis, start, width in params:
            if axis == 0:
                out[start : start + width, :] = self.fill
            else:
                out[:, start : start + width] = self.fill
        return out

    def __call__(self, fbank: np.ndarray) -> np.ndarray:
        return self.apply(fbank, self.draw(*fbank.shape))

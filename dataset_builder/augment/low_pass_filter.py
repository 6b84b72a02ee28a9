"""LowPassFilter: the original project's low-pass family member."""

from __future__ import annotations

from .pass_filter import PassFilter


class LowPassFilter(PassFilter):
    """Butterworth low-pass; cutoff drawn log-uniformly (default 3–6 kHz, as in the original)."""

    name = "low_pass"
    btype = "lowpass"
    owner = "LowPassFilter"

    def __init__(self, min_cutoff_hz: float = 3000.0, max_cutoff_hz: float = 6000.0, min_order: int = 2, max_order: int = 4):
        super().__init__(min_cutoff_hz, max_cutoff_hz, min_order, max_order)

"""HighPassFilter: the original project's high-pass family member."""

from __future__ import annotations

from .pass_filter import PassFilter


class HighPassFilter(PassFilter):
    """Butterworth high-pass; cutoff drawn log-uniformly (default 300–1500 Hz, as in the original)."""

    name = "high_pass"
    btype = "highpass"
    owner = "HighPassFilter"

    def __init__(self, min_cutoff_hz: float = 300.0, max_cutoff_hz: float = 1500.0, min_order: int = 2, max_order: int = 4):
        super().__init__(min_cutoff_hz, max_cutoff_hz, min_order, max_order)

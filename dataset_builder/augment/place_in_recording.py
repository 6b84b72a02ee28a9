"""PlaceInRecording: the cry at a random time inside a longer recording, as a phone records it."""

from __future__ import annotations

import numpy as np

from frontend.audio import CLIP_SECONDS, SAMPLE_RATE

from .base import Transform, check_probability, draw

EDGES = ("start", "end")
FADE_SECONDS = 0.02


class PlaceInRecording(Transform):
    """Put the cry at a random time inside a ``clip_seconds`` recording of silence (a background fills it next).

    Without ``max_lead_in_s`` the cry lands anywhere between the margins (``offset_fraction``); a cry longer
    than the clip minus the margins is cut, with a 20 ms fade. With ``max_lead_in_s`` the cry starts after a
    lead-in drawn from ``[min_margin_seconds, max_lead_in_s]`` and whatever passes the clip's end is cut
    there; and with ``edge_cut_probability`` the recording starts or stops in the middle of the cry
    (``edge`` ``start`` / ``end``, ``cut_fraction`` of the cry outside the clip, no fade: a hard edge).
    """

    name = "place"

    def __init__(
        self,
        clip_seconds: float = CLIP_SECONDS,
        min_margin_seconds: float = 0.25,
        max_lead_in_s: float | None = None,
        edge_cut_probability: float = 0.0,
        max_cut_fraction: float = 0.5,
    ):
        super().__init__()
        if not 0.5 <= clip_seconds <= 60:
            raise ValueError(f"PlaceInRecording: clip_seconds={clip_seconds}; expected 0.5-60 s")
        if not 0 <= min_margin_seconds < clip_seconds / 4:
            raise ValueError(f"PlaceInRecording: min_margin_seconds={min_margin_seconds}; expected 0 to clip_seconds/4")
        if max_lead_in_s is not None and not min_margin_seconds <= max_lead_in_s <= clip_seconds * 0.75:
            raise ValueError(
                f"PlaceInRecording: max_lead_in_s={max_lead_in_s}; expected min_margin_seconds "
                f"({min_margin_seconds}) to 3/4 of clip_seconds ({clip_seconds * 0.75:g} s)"
            )
        check_probability("PlaceInRecording (edge_cut_probability)", edge_cut_probability)
        if not 0.05 <= max_cut_fraction <= 0.9:
            raise ValueError(f"PlaceInRecording: max_cut_fraction={max_cut_fraction}; expected 0.05-0.9 of the cry")
        self.clip_seconds, self.min_margin_seconds = clip_seconds, min_margin_seconds
        self.max_lead_in_s, self.edge_cut_probability, self.max_cut_fraction = max_lead_in_s, edge_cut_probability, max_cut_fraction

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        if self.max_lead_in_s is None:
            self.parameters = {"offset_fraction": draw(rng, 0.0, 1.0, 4)}
            return
        if self.edge_cut_probability > 0 and rng.random() < self.edge_cut_probability:
            edge = EDGES[int(rng.integers(2))]
            self.parameters = {"edge": edge, "cut_fraction": draw(rng, 0.05, self.max_cut_fraction, 3)}
            return
        self.parameters = {"lead_in_s": draw(rng, self.min_margin_seconds, self.max_lead_in_s, 3)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        cry = np.asarray(samples, dtype=np.float32)
        n = int(round(self.clip_seconds * sample_rate))
        p = self.parameters
        if "offset_fraction" in p:
            return self._between_margins(cry, n, sample_rate)
        if "edge" in p:
            cut = int(round(p["cut_fraction"] * len(cry)))
            cry = cry[cut:] if p["edge"] == "start" else cry[: len(cry) - cut]
            cry = cry[:n]
            start = 0 if p["edge"] == "start" else n - len(cry)
        else:
            start = int(round(p["lead_in_s"] * sample_rate))
            if len(cry) > n - start:  # the recording stops during the cry
                cry = _fade_out(cry[: n - start].copy(), sample_rate)
        return self._put(cry, start, n, sample_rate)

    def _between_margins(self, cry: np.ndarray, n: int, sample_rate: int) -> np.ndarray:
        margin = int(round(self.min_margin_seconds * sample_rate))
        if len(cry) > n - 2 * margin:
            cry = _fade_out(cry[: n - 2 * margin].copy(), sample_rate)
        start = margin + int(round(self.parameters["offset_fraction"] * (n - 2 * margin - len(cry))))
        return self._put(cry, start, n, sample_rate)

    def _put(self, cry: np.ndarray, start: int, n: int, sample_rate: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        out[start : start + len(cry)] = cry
        self.parameters.update(start_s=round(start / sample_rate, 4), cry_s=round(len(cry) / sample_rate, 4))
        return out


def _fade_out(cry: np.ndarray, sample_rate: int) -> np.ndarray:
    fade = min(len(cry), int(FADE_SECONDS * sample_rate))
    if fade:
        cry[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return cry

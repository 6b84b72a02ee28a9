"""The held-out backgrounds: pink and brown noise, espeak-ng babble, FM/plucked chiptune."""

from __future__ import annotations

import numpy as np

from .babble import babble, espeak_available
from .chiptune import chiptune
from .noise import coloured_noise
from .parts import Part, check_kinds

BACKGROUND_KINDS = ("pink", "brown", "babble", "chiptune")


def available_kinds() -> tuple[str, ...]:
    """Every background kind this machine can make (babble needs espeak-ng)."""
    return tuple(k for k in BACKGROUND_KINDS if k != "babble" or espeak_available())


class Background(Part):
    """A background recording the length of the capture, at unit RMS; the simulator sets its level."""

    def __init__(self, kinds=None):
        self.kinds = check_kinds("background kinds", available_kinds() if kinds is None else kinds, BACKGROUND_KINDS)
        if "babble" in self.kinds and not espeak_available():
            raise ValueError("background kind babble needs the espeak-ng command (apt-get install espeak-ng)")

    def draw(self, rng: np.random.Generator) -> dict:
        return {"kind": str(rng.choice(self.kinds)), "seed": int(rng.integers(2**31))}

    def render(self, n: int, params: dict) -> np.ndarray:
        """``n`` samples of the drawn background."""
        rng = np.random.default_rng(params["seed"])
        kind = params["kind"]
        if kind == "babble":
            return babble(rng, n)
        if kind == "chiptune":
            return chiptune(rng, n)
        return coloured_noise(kind, rng, n)

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        """``samples`` plus the background at equal RMS (the simulator mixes at an SNR instead)."""
        samples = np.asarray(samples, dtype=np.float32)
        rms = float(np.sqrt(np.mean(samples**2))) or 1.0
        return samples + rms * self.render(len(samples), params)

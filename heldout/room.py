"""Rooms: pedalboard's algorithmic reverb, or a decaying-noise impulse response (no image-source model).

``plate``: Freeverb-style ``pedalboard.Reverb``. ``tail``: an impulse response made of a direct path and
exponentially decaying noise in three bands, high frequencies dying faster as in furnished rooms.
``none``: the dry signal (a close phone).
"""

from __future__ import annotations

import numpy as np

from .parts import SAMPLE_RATE, Part, check_kinds, check_range, log_uniform, run_board, uniform

ROOM_KINDS = ("none", "plate", "tail")
TAIL_BANDS_HZ = ((None, 500.0), (500.0, 2_500.0), (2_500.0, None))
"""Hz. The bands of the ``tail`` impulse response; each decays at its own rate."""


def tail_impulse_response(rng: np.random.Generator, rt60_s: float, direct_to_reverb_db: float, predelay_s: float) -> np.ndarray:
    """Direct impulse, then decaying noise whose reverberant energy is ``direct_to_reverb_db`` below the direct path."""
    from scipy import signal

    n = int((predelay_s + 1.2 * rt60_s) * SAMPLE_RATE) + 1
    t = np.arange(n) / SAMPLE_RATE
    tail = np.zeros(n)
    for k, (low, high) in enumerate(TAIL_BANDS_HZ):
        rt = rt60_s * (1.2, 1.0, 0.6)[k]
        if low is None:
            sos = signal.butter(4, high, "lowpass", fs=SAMPLE_RATE, output="sos")
        elif high is None:
            sos = signal.butter(4, low, "highpass", fs=SAMPLE_RATE, output="sos")
        else:
            sos = signal.butter(2, (low, high), "bandpass", fs=SAMPLE_RATE, output="sos")
        tail += signal.sosfilt(sos, rng.standard_normal(n)) * 10 ** (-3 * t / rt)  # -60 dB at t = rt
    tail[: int(predelay_s * SAMPLE_RATE)] = 0.0
    tail *= np.sqrt(10 ** (-direct_to_reverb_db / 10) / max(np.sum(tail**2), 1e-12))
    tail[0] += 1.0
    return tail.astype(np.float32)


class Room(Part):
    """A room between the loudspeaker and the phone, drawn per capture."""

    def __init__(
        self,
        kinds=ROOM_KINDS,
        plate_size=(0.1, 0.7),
        plate_wet=(0.05, 0.35),
        rt60_s=(0.15, 0.9),
        direct_to_reverb_db=(-3.0, 12.0),
        predelay_s=(0.002, 0.025),
    ):
        self.kinds = check_kinds("room kinds", kinds, ROOM_KINDS)
        self.plate_size = check_range("plate_size", plate_size, 0.0, 1.0)
        self.plate_wet = check_range("plate_wet", plate_wet, 0.0, 1.0)
        self.rt60_s = check_range("rt60_s", rt60_s, 0.05, 3.0, " s")
        self.direct_to_reverb_db = check_range("direct_to_reverb_db", direct_to_reverb_db, -20.0, 30.0, " dB")
        self.predelay_s = check_range("predelay_s", predelay_s, 0.0, 0.1, " s")

    def draw(self, rng: np.random.Generator) -> dict:
        kind = str(rng.choice(self.kinds))
        params = {"kind": kind}
        if kind == "plate":
            params.update(size=uniform(rng, self.plate_size), wet=uniform(rng, self.plate_wet), damping=uniform(rng, (0.2, 0.8)))
        elif kind == "tail":
            params.update(rt60_s=log_uniform(rng, self.rt60_s), drr_db=uniform(rng, self.direct_to_reverb_db),
                          predelay_s=uniform(rng, self.predelay_s), ir_seed=int(rng.integers(2**31)))
        return params

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        kind = params["kind"]
        if kind == "none":
            return np.asarray(samples, dtype=np.float32)
        if kind == "plate":
            from pedalboard import Reverb

            reverb = Reverb(room_size=params["size"], damping=params["damping"], wet_level=params["wet"],
                            dry_level=1.0 - params["wet"], width=0.0)
            return run_board([reverb], samples)
        from scipy import signal

        ir = tail_impulse_response(np.random.default_rng(params["ir_seed"]), params["rt60_s"], params["drr_db"],
                                   params["predelay_s"])
        return signal.fftconvolve(samples, ir)[: len(samples)].astype(np.float32)

"""The held-out capture chain: loudspeaker → (background at an SNR) → room → microphone → AGC → level → codec.

:meth:`HeldoutSimulator.capture` gives a phone's recording of a cry played by a loudspeaker;
:meth:`HeldoutSimulator.clean_lead_in` the clean cry after a 0–1.5 s lead-in at any level over a noise
floor 40 dB down (position and level alone). Parameters are drawn first (``draw``) and applied after
(``apply``), so a capture is a pure function of the cry and one ``numpy`` generator.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .backgrounds import Background
from .codecs import Codec
from .dynamics import Agc
from .loudspeaker import Loudspeaker
from .microphone import Microphone
from .parts import as_mono
from .placement import Placement
from .room import Room

CLEAN_LEAD_IN = Placement(lead_in_s=(0.0, 1.5), tail_s=(0.3, 1.0), peak_dbfs=(-45.0, 0.0), floor_below_peak_db=(40.0, 40.0))
"""The clean condition: only the cry's position and level change."""


def mix_at_snr(timeline: np.ndarray, span: slice, background: np.ndarray, snr_db: float) -> np.ndarray:
    """``timeline`` plus ``background`` scaled so the cry (over ``span``) is ``snr_db`` above it (mean power)."""
    cry_power = float(np.mean(timeline[span] ** 2)) or 1e-12
    bg_power = float(np.mean(background**2)) or 1e-12
    return timeline + background * np.sqrt(cry_power / bg_power / 10 ** (snr_db / 10))


class HeldoutSimulator:
    """Every part of the held-out chain; replace a part to change its ranges."""

    def __init__(self, loudspeaker=None, background=None, room=None, microphone=None, agc=None, placement=None,
                 codec=None, clean_placement=None):
        self.loudspeaker = loudspeaker or Loudspeaker()
        self.background = background or Background()
        self.room = room or Room()
        self.microphone = microphone or Microphone()
        self.agc = agc or Agc()
        self.placement = placement or Placement()
        self.codec = codec or Codec()
        self.clean_placement = clean_placement or CLEAN_LEAD_IN

    def draw(self, rng: np.random.Generator, snr_db: float | None) -> dict:
        """Every part's parameters for one capture (``snr_db`` None: no background)."""
        parts = ("loudspeaker", "background", "room", "microphone", "agc", "placement", "codec")
        params = {name: getattr(self, name).draw(rng) for name in parts}
        params["snr_db"] = None if snr_db is None else float(snr_db)
        return params

    def apply(self, cry: np.ndarray, params: dict) -> np.ndarray:
        """The capture of ``cry`` under drawn ``params``, clipped to [-1, 1] like a recorder."""
        coloured = self.loudspeaker.apply(as_mono(cry, "cry"), params["loudspeaker"])
        timeline, span = self.placement.place(coloured, params["placement"])
        if params["snr_db"] is not None:
            background = self.background.render(len(timeline), params["background"])
            timeline = mix_at_snr(timeline, span, background, params["snr_db"])
        out = self.room.apply(timeline, params["room"])
        out = self.microphone.apply(out, params["microphone"])
        out = self.agc.apply(out, params["agc"])
        out = self.placement.level(out, params["placement"])
        out = self.codec.apply(out, params["codec"])
        return np.clip(out, -1.0, 1.0).astype(np.float32)

    def capture(self, cry: np.ndarray, rng: np.random.Generator, snr_db: float | None) -> tuple[np.ndarray, dict]:
        params = self.draw(rng, snr_db)
        return self.apply(cry, params), params

    def clean_lead_in(self, cry: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
        """The cry itself after a 0–1.5 s lead-in, at a random peak level, over a floor 40 dB down."""
        params = self.clean_placement.draw(rng)
        return self.clean_placement.apply(cry, params), params


def real_parts_simulator(parts_dir: str | os.PathLike, music_dir: str | os.PathLike) -> HeldoutSimulator:
    """The held-out chain with real recorded parts where it had drawn ones: a measured loudspeaker response
    (``parts_dir/loudspeakers``), a real hall or none (``parts_dir/rooms``) and game music that no build uses
    (``music_dir``); microphone, AGC, placement and codecs (real GSM, MP3, Opus and AAC encoders) as before."""
    from .measured import MeasuredResponse, MeasuredRoom, MusicBackground

    parts = Path(parts_dir)
    return HeldoutSimulator(loudspeaker=MeasuredResponse(parts / "loudspeakers"), room=MeasuredRoom(parts / "rooms"),
                            background=MusicBackground(music_dir))


def families(params: dict) -> dict[str, str]:
    """The condition families of a capture's parameters, for per-family scores."""
    speaker = params["loudspeaker"]
    if "low_cut_hz" in speaker:
        speaker_families = {"low_cut": "≤ 300 Hz" if speaker["low_cut_hz"] <= 300 else "> 300 Hz",
                            "high_cut": "≤ 5 kHz" if speaker["high_cut_hz"] <= 5_000 else "> 5 kHz"}
    else:  # a measured response
        speaker_families = {"loudspeaker": speaker["kind"]}
    return {
        "background": params["background"]["kind"] if params["snr_db"] is not None else "none",
        "room": params["room"]["kind"],
        "codec": params["codec"]["kind"],
        "agc": "on" if params["agc"]["enabled"] else "off",
        **speaker_families,
        "level": "quiet (< -25 dBFS)" if params["placement"]["peak_dbfs"] < -25 else "loud (≥ -25 dBFS)",
    }

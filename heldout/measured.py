"""Real recorded parts for the held-out chain: measured impulse responses and real game music from files.

The parametric parts (:mod:`.loudspeaker`, :mod:`.room`, :mod:`.backgrounds`) draw curves and sounds; these read
what was measured or recorded: a loudspeaker's response (:class:`MeasuredResponse`), a real hall
(:class:`MeasuredRoom`), game music (:class:`MusicBackground`). ``scripts/fetch_real_parts.sh`` fetches them from
Debian's packages (guitarix's measured amplifier and cabinet responses and its Great Hall; Frozen Bubble's music,
which no build ever uses). Files are read once, as 16 kHz mono, and kept.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .cries import load_cry
from .parts import SAMPLE_RATE, Part, as_mono, check_range, uniform

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
"""What a parts folder may hold."""

MAX_IR_SECONDS = 4.0
"""s. A longer impulse response is refused: it is not a loudspeaker's or a room's."""


def audio_files(folder: str | os.PathLike, what: str) -> tuple[Path, ...]:
    """Every audio file below ``folder``, sorted; a ValueError naming the folder and what it should hold."""
    root = Path(folder)
    files = tuple(sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())) if root.is_dir() else ()
    if not files:
        raise ValueError(f"{root}: no {what} ({', '.join(AUDIO_SUFFIXES)} files); run scripts/fetch_real_parts.sh")
    return files


@lru_cache(maxsize=256)
def read_mono(path: Path) -> np.ndarray:
    """A file as 16 kHz mono float32 (:func:`.cries.load_cry`), read once per process: parts are reused per capture."""
    return load_cry(path)


@lru_cache(maxsize=256)
def impulse_response(path: Path) -> np.ndarray:
    """A measured response, scaled so its loudest frequency has unit gain (colouration without a level change)."""
    ir = read_mono(path)
    if len(ir) == 0 or len(ir) > MAX_IR_SECONDS * SAMPLE_RATE:
        raise ValueError(f"{path}: {len(ir) / SAMPLE_RATE:.2f} s; expected an impulse response of 1 sample to {MAX_IR_SECONDS:g} s")
    peak_gain = float(np.max(np.abs(np.fft.rfft(ir, n=max(1024, 2 * len(ir))))))
    if peak_gain == 0.0:
        raise ValueError(f"{path}: silent; expected an impulse response")
    return ir / np.float32(peak_gain)


def convolve(samples: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """``samples`` through ``ir``, as long as ``samples`` (what a recorder of fixed length keeps)."""
    from scipy import signal

    samples = as_mono(samples)
    return signal.fftconvolve(samples, ir)[: len(samples)].astype(np.float32)


class MeasuredResponse(Part):
    """A loudspeaker (or amplifier and cabinet) whose measured impulse response is drawn from a folder."""

    def __init__(self, folder: str | os.PathLike):
        self.files = audio_files(folder, "measured loudspeaker responses")

    def draw(self, rng: np.random.Generator) -> dict:
        index = int(rng.integers(len(self.files)))
        return {"kind": self.files[index].parent.name, "file": self.files[index].name, "index": index}

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        return convolve(samples, impulse_response(self.files[params["index"]]))


class MeasuredRoom(Part):
    """A real room's measured impulse response, or none (a close phone) with probability ``dry_probability``."""

    def __init__(self, folder: str | os.PathLike, dry_probability: float = 0.3, wet_gain_db=(-12.0, 0.0)):
        if not 0.0 <= dry_probability <= 1.0:
            raise ValueError(f"dry_probability: expected 0 to 1, got {dry_probability}")
        self.wet_gain_db = check_range("wet_gain_db", wet_gain_db, -40.0, 6.0, " dB")
        self.files = audio_files(folder, "measured room responses")
        self.dry_probability = float(dry_probability)

    def draw(self, rng: np.random.Generator) -> dict:
        if rng.random() < self.dry_probability:
            return {"kind": "none"}
        index = int(rng.integers(len(self.files)))
        return {"kind": "measured hall", "file": self.files[index].name, "index": index,
                "wet_gain_db": uniform(rng, self.wet_gain_db)}

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        """The dry sound plus the hall's response to it (distance: the wet gain); peak level kept."""
        samples = as_mono(samples)
        if params["kind"] == "none":
            return samples
        ir = read_mono(self.files[params["index"]])
        wet = convolve(samples, ir / np.float32(np.sqrt(np.sum(ir**2)) or 1.0))
        out = samples + np.float32(10 ** (params["wet_gain_db"] / 20)) * wet
        peak_in, peak_out = float(np.max(np.abs(samples))), float(np.max(np.abs(out)))
        return (out * np.float32(peak_in / peak_out)).astype(np.float32) if peak_out > 0 else out


class MusicBackground(Part):
    """Real game music from a folder: a stretch of a drawn track at unit RMS (the simulator sets the SNR)."""

    def __init__(self, folder: str | os.PathLike):
        self.files = audio_files(folder, "music recordings")

    def draw(self, rng: np.random.Generator) -> dict:
        index = int(rng.integers(len(self.files)))
        return {"kind": "game music", "file": self.files[index].name, "index": index, "start": float(rng.random())}

    def render(self, n: int, params: dict) -> np.ndarray:
        """``n`` samples of the track from the drawn point (looped if the track is shorter), at unit RMS."""
        track = read_mono(self.files[params["index"]])
        if len(track) == 0:
            raise ValueError(f"{self.files[params['index']]}: empty; expected a music recording")
        start = int(params["start"] * len(track))
        out = track[(start + np.arange(n)) % len(track)]  # only the n samples needed, wrapping round the track
        rms = float(np.sqrt(np.mean(out**2)))
        return out / np.float32(rms) if rms > 0 else out

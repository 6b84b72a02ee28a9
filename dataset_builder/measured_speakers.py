"""Measured loudspeaker responses for the capture chain: real colouration where a drawn curve falls short.

A parametric loudspeaker (:class:`.augment.Loudspeaker`) draws a band-pass and one resonance; a measured
response has the ripple, notches and cabinet modes no curve of a few parameters has (issue "Robust…": the
measured loudspeakers cost the most of all real parts). ``scripts/fetch_real_parts.sh`` writes guitarix's
measured amplifier-and-cabinet responses (Debian's ``guitarix-common``, GPL-2+) in two families:
``loudspeakers/amps`` (20 amplifiers), which a build may train on, and ``loudspeakers/rigs`` (70 bands' rigs),
which the real-parts evaluation keeps as a family no build ever trains on: a folder holding a ``rigs``
directory is refused. Files are decoded once, at construction, and travel to the worker processes with the
variant maker.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from frontend.audio import AUDIO_EXTENSIONS, SAMPLE_RATE, decode_audio

MAX_RESPONSE_SECONDS = 2.0
"""s. A longer file is refused: it is a room or a recording, not a loudspeaker's impulse response."""

HELD_OUT_FAMILY = "rigs"
"""The measured family the real-parts evaluation holds out (``data/real-parts/loudspeakers/rigs``)."""

MAX_RESPONSES = 1000
"""A folder with more files than this is refused (every response is kept in memory and in each worker)."""


@dataclass(frozen=True)
class ResponseBank:
    """Measured impulse responses (16 kHz, scaled to unit peak gain) and their file names, sorted by path."""

    names: tuple[str, ...]
    responses: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return len(self.responses)


def load_responses(folder: str | os.PathLike) -> ResponseBank:
    """Every audio file below ``folder`` as a measured response; a ValueError names the folder or file at fault."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"--measured-speakers {root}: not a folder; expected measured loudspeaker responses "
                         "(scripts/fetch_real_parts.sh writes data/real-parts/loudspeakers/amps)")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
    held_out = [p for p in files if HELD_OUT_FAMILY in p.relative_to(root).parts[:-1] or root.name == HELD_OUT_FAMILY]
    if held_out:
        raise ValueError(f"--measured-speakers {root}: {held_out[0]} is in {HELD_OUT_FAMILY}/, the loudspeaker family the "
                         "real-parts evaluation holds out; train on loudspeakers/amps instead")
    if not files:
        raise ValueError(f"--measured-speakers {root}: no {', '.join(AUDIO_EXTENSIONS)} files; expected measured "
                         "loudspeaker impulse responses")
    if len(files) > MAX_RESPONSES:
        raise ValueError(f"--measured-speakers {root}: {len(files)} files; expected at most {MAX_RESPONSES}")
    responses = tuple(unit_gain(decode_audio(p, SAMPLE_RATE, max_seconds=MAX_RESPONSE_SECONDS + 0.5), p) for p in files)
    return ResponseBank(tuple(str(p.relative_to(root)) for p in files), responses)


def unit_gain(response: np.ndarray, path: Path) -> np.ndarray:
    """``response`` scaled so its loudest frequency has gain 1: colouration without a change of level."""
    if len(response) > MAX_RESPONSE_SECONDS * SAMPLE_RATE:
        raise ValueError(f"{path}: longer than {MAX_RESPONSE_SECONDS:g} s; expected a loudspeaker's impulse response")
    peak = float(np.max(np.abs(np.fft.rfft(response.astype(np.float64), n=max(1024, 2 * len(response))))))
    if not np.isfinite(peak) or peak == 0.0:
        raise ValueError(f"{path}: silent; expected a loudspeaker's impulse response")
    return (response / peak).astype(np.float32)

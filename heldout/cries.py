"""Reference cries in PokeAPI's layout: ``<cries-dir>/cries/pokemon/{latest,legacy}/<id>.ogg``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .parts import SAMPLE_RATE

RENDITIONS = ("latest", "legacy")


@dataclass(frozen=True)
class ReferenceCry:
    pokedex_id: int
    rendition: str
    path: Path


def parse_ids(spec: str) -> list[int]:
    """``"1-151,250"`` → [1, …, 151, 250]; a ValueError naming the bad part otherwise."""
    ids: list[int] = []
    for part in (p.strip() for p in str(spec).split(",")):
        try:
            low, _, high = part.partition("-")
            first, last = int(low), int(high or low)
        except ValueError as err:
            raise ValueError(f"ids {spec!r}: {part!r} is not an id or a range like 1-151") from err
        if first < 1 or last < first:
            raise ValueError(f"ids {spec!r}: {part!r} is not a range of positive ids")
        ids += range(first, last + 1)
    return sorted(set(ids))


def cry_folder(cries_dir: str | os.PathLike) -> Path:
    """The folder holding ``latest/`` and ``legacy/`` (accepts the repository root or that folder itself)."""
    root = Path(cries_dir)
    for candidate in (root / "cries" / "pokemon", root / "pokemon", root):
        if (candidate / "latest").is_dir() or (candidate / "legacy").is_dir():
            return candidate
    raise FileNotFoundError(f"{root}: no cries/pokemon/latest or legacy folder; expected PokeAPI's cries layout")


def reference_cries(cries_dir: str | os.PathLike, ids: list[int], renditions=RENDITIONS) -> tuple[list[ReferenceCry], list[str]]:
    """The cries present for ``ids`` × ``renditions``, and the ``rendition/id`` names of those missing."""
    unknown = [r for r in renditions if r not in RENDITIONS]
    if unknown:
        raise ValueError(f"renditions {', '.join(unknown)}: expected some of {', '.join(RENDITIONS)}")
    folder = cry_folder(cries_dir)
    found, missing = [], []
    for rendition in renditions:
        for pokedex_id in ids:
            path = folder / rendition / f"{pokedex_id}.ogg"
            if path.is_file():
                found.append(ReferenceCry(pokedex_id, rendition, path))
            else:
                missing.append(f"{rendition}/{pokedex_id}")
    return found, missing


def load_cry(path: str | os.PathLike) -> np.ndarray:
    """A cry file as 16 kHz mono float32 (pedalboard's reader and resampler)."""
    from pedalboard.io import AudioFile

    with AudioFile(str(path)).resampled_to(SAMPLE_RATE) as f:
        audio = f.read(f.frames)
    return audio.mean(axis=0).astype(np.float32)

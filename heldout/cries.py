"""Reference cries in PokeAPI's layout: ``<cries-dir>/cries/pokemon/{latest,legacy}/<id>.ogg``.

Alternate forms (PokeAPI pokemon ids ≥ 10001, ``latest`` only) have their own files; :func:`form_cries` finds those
that sound different from their species' cry, with PokeAPI's ``pokemon.csv`` (form id → species id).
"""

from __future__ import annotations

import csv
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
    form_id: int | None = None
    """An alternate form's PokeAPI pokemon id (its cry counts for ``pokedex_id``); None for the species' own cry."""

    @property
    def cry_id(self) -> int:
        """The id the cry's file (and its random draws) go by: the form's, else the species'."""
        return self.form_id or self.pokedex_id


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


def alternate_forms(pokemon_csv: str | os.PathLike, ids: list[int]) -> dict[int, list[int]]:
    """Species id → the pokemon ids of its alternate forms (``is_default`` 0), from PokeAPI's ``pokemon.csv``."""
    wanted, forms = set(ids), {}
    try:
        with open(pokemon_csv, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["is_default"] == "0" and int(row["species_id"]) in wanted:
                    forms.setdefault(int(row["species_id"]), []).append(int(row["id"]))
    except (OSError, KeyError, ValueError) as err:
        raise ValueError(f"{pokemon_csv}: expected PokeAPI's pokemon.csv (id, species_id, is_default): {err}") from err
    return forms


def form_cries(cries_dir: str | os.PathLike, pokemon_csv: str | os.PathLike, ids: list[int]) -> tuple[list[ReferenceCry], int, int]:
    """The ``latest`` cries of ``ids``' alternate forms that differ from their species' own and from its other forms'
    (a sound is counted once, as the builder takes it once); and how many forms have no file and how many sound the
    same as their species or one of its forms already taken (both left out)."""
    folder = cry_folder(cries_dir) / "latest"
    found, no_file, same = [], 0, 0
    for species_id, forms in sorted(alternate_forms(pokemon_csv, ids).items()):
        own_path = folder / f"{species_id}.ogg"
        taken = [load_cry(own_path)] if own_path.is_file() else []
        for form_id in forms:
            path = folder / f"{form_id}.ogg"
            if not path.is_file():
                no_file += 1
                continue
            cry = load_cry(path)
            if any(len(cry) == len(t) and np.allclose(cry, t, atol=1e-4) for t in taken):
                same += 1
                continue
            taken.append(cry)
            found.append(ReferenceCry(species_id, "latest", path, form_id))
    return found, no_file, same

"""The map from a sound's prototype to the head row training would have given it, for enrolment.

A trained row is not its species' prototype (the mean embedding of its clean reference cries): training places
rows where they separate noisy captures, and a raw prototype either outbids the trained rows or, biased down,
goes unheard. Fitted on the trained species, where both are known, a ridge map from unit prototype to
(row, bias) turns a new sound's prototype into a row on the trained rows' terms (weight imprinting with a learned
transform). ``python -m trainer.enrol_map`` fits it from a model's reference cries and stores it in the model
folder as ``enrol_map.safetensors``; :mod:`recognizer.enrol` uses it when the folder has one.

A second map, ``enrol_map_captures.safetensors``, is fitted on prototypes of the references *and* simulated phone
captures of them (``python -m trainer.enrol_map --captures-per-cry N``); enrolment uses it when it is given
captures (``--captures``). A map only holds for prototypes of the kind it was fitted on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROW_MAP_FILE = "enrol_map.safetensors"
"""The map for prototypes of the references alone."""
CAPTURES_ROW_MAP_FILE = "enrol_map_captures.safetensors"
"""The map for prototypes of the references and simulated captures of them."""
RIDGE_STRENGTHS = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
"""Ridge penalties tried (unit prototypes: entries of order 1/√d, so the useful range is small)."""
HELD_OUT_SHARE = 0.1
"""Share of the trained species kept out of the fit to choose the penalty by their predicted rows' cosine."""


@dataclass(frozen=True)
class RowMap:
    """[unit prototype, 1] @ matrix = [row, bias]; how it was chosen, for the record."""

    matrix: np.ndarray
    strength: float
    species: int
    held_out_cosine: float

    def row(self, unit: np.ndarray) -> tuple[np.ndarray, float]:
        """The (row, bias) the map gives a unit prototype."""
        if unit.shape != (self.matrix.shape[0] - 1,):
            raise ValueError(f"prototype of shape {unit.shape}: expected ({self.matrix.shape[0] - 1},), the map's width")
        out = np.append(unit, 1.0).astype(np.float64) @ self.matrix
        return out[:-1].astype(np.float32), float(out[-1])


def fit_row_map(prototypes: np.ndarray, rows: np.ndarray, biases: np.ndarray, seed: int = 0) -> RowMap:
    """Ridge map from unit ``prototypes`` (species × d) to their trained ``rows`` and ``biases``; the penalty is
    the one whose held-out species' predicted rows point most nearly along their true rows."""
    if len(prototypes) != len(rows) or len(rows) != len(biases):
        raise ValueError(f"{len(prototypes)} prototypes, {len(rows)} rows, {len(biases)} biases: expected one each")
    if len(prototypes) < 10:
        raise ValueError(f"{len(prototypes)} species: expected at least 10 trained species to fit the map")
    x = np.hstack([prototypes, np.ones((len(prototypes), 1))]).astype(np.float64)
    y = np.hstack([rows, np.asarray(biases)[:, None]]).astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = max(1, int(len(x) * HELD_OUT_SHARE))
    held, fit = order[:cut], order[cut:]
    scores = {s: _row_cosine(_solve(x[fit], y[fit], s), x[held], y[held]) for s in RIDGE_STRENGTHS}
    best = max(scores, key=scores.get)
    return RowMap(_solve(x, y, best), best, len(x), scores[best])


def _solve(x: np.ndarray, y: np.ndarray, strength: float) -> np.ndarray:
    return np.linalg.solve(x.T @ x + strength * np.eye(x.shape[1]), x.T @ y)


def _row_cosine(matrix: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    pred, true = (x @ matrix)[:, :-1], y[:, :-1]
    return float(np.mean(np.sum(pred * true, 1) / (np.linalg.norm(pred, axis=1) * np.linalg.norm(true, axis=1))))


def save_row_map(directory: str | os.PathLike, row_map: RowMap, name: str = ROW_MAP_FILE) -> Path:
    """Write the map as ``name`` into ``directory`` atomically; its path."""
    from safetensors.numpy import save_file

    path = Path(directory) / name
    tmp = path.with_name(f".{path.name}.tmp")
    metadata = {"strength": repr(row_map.strength), "species": str(row_map.species),
                "held_out_cosine": repr(row_map.held_out_cosine)}
    save_file({"matrix": np.ascontiguousarray(row_map.matrix, dtype=np.float32)}, str(tmp), metadata=metadata)
    tmp.replace(path)
    return path


def load_row_map(directory: str | os.PathLike, name: str = ROW_MAP_FILE) -> RowMap | None:
    """The map stored as ``name`` in a model folder, or None when it has none."""
    from safetensors import SafetensorError, safe_open

    path = Path(directory) / name
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            matrix = f.get_tensor("matrix").astype(np.float64)
        return RowMap(matrix, float(meta["strength"]), int(meta["species"]), float(meta["held_out_cosine"]))
    except (OSError, KeyError, ValueError, SafetensorError) as err:
        raise ValueError(f"{path}: not a row map ({err}); expected the file python -m trainer.enrol_map writes") from err

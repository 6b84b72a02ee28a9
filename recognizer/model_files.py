"""Extra files a model folder carries beside the ``transformers`` ones.

``pokedex.json`` (per-species metadata keyed by the label name in ``config.id2label``) and
``calibration.json`` (softmax temperature and the "not sure" threshold). The trainer writes them;
the app and the evaluator read them.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common.files import atomic_write_json
from common.species import Species

POKEDEX_FILE = "pokedex.json"
CALIBRATION_FILE = "calibration.json"
PREPROCESSOR_FILE = "preprocessor_config.json"


def preprocessor_setting(model_dir: str | os.PathLike, key: str, default=None):
    """One front-end setting (e.g. ``onset_below_peak_db``) of a model folder's ``preprocessor_config.json``;
    ``default`` when the folder has no such file or the file lacks the key."""
    path = Path(model_dir) / PREPROCESSOR_FILE
    if not path.is_file():
        return default
    return json.loads(path.read_text(encoding="utf-8")).get(key, default)


@dataclass
class Calibration:
    temperature: float = 1.0
    """Logits are divided by it before the softmax (fitted on validation)."""
    threshold: float = 0.0
    """A top-1 probability below it is reported as "not sure"."""
    target_precision: float = 0.95
    """The precision on validation the threshold was chosen for."""
    label_thresholds: dict[str, float] = field(default_factory=dict)
    """Label → its own threshold, in place of ``threshold``: enrolled sounds (:mod:`recognizer.label_thresholds`)."""

    def threshold_for(self, label: str | None) -> float:
        """The threshold an answer of ``label`` is judged on."""
        return float(self.label_thresholds.get(label, self.threshold)) if label is not None else float(self.threshold)


def save_pokedex(model_dir: str | os.PathLike, species: dict[str, Species], languages: list[str]) -> None:
    payload = {"languages": list(languages), "species": {k: v.to_dict() for k, v in species.items()}}
    atomic_write_json(Path(model_dir) / POKEDEX_FILE, payload)


def load_pokedex(model_dir: str | os.PathLike) -> tuple[dict[str, Species], list[str]]:
    path = Path(model_dir) / POKEDEX_FILE
    if not path.exists():
        return {}, ["en"]
    payload = json.loads(path.read_text(encoding="utf-8"))
    species = {k: Species.from_dict(v) for k, v in payload.get("species", {}).items()}
    return species, list(payload.get("languages", ["en"]))


def save_calibration(model_dir: str | os.PathLike, calibration: Calibration) -> None:
    atomic_write_json(Path(model_dir) / CALIBRATION_FILE, asdict(calibration))


def load_calibration(model_dir: str | os.PathLike) -> Calibration:
    path = Path(model_dir) / CALIBRATION_FILE
    if not path.exists():
        return Calibration()
    return Calibration(**json.loads(path.read_text(encoding="utf-8")))

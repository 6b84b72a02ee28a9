"""Load a model folder (or Hub id) once: the AST, its feature extractor, Pokédex metadata, calibration.

The source is ``MODEL_ID`` when set, else the embedded ``models/default`` beside this package, so the
app works offline on a fresh clone. Nothing is loaded at import; :func:`load_model` caches per source.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from common.hub import looks_local
from common.species import Species
from recognizer.model_files import Calibration, load_calibration, load_pokedex

MODEL_ID_ENV = "MODEL_ID"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "default"

class ModelNotFoundError(FileNotFoundError):
    """The model folder or Hub repository cannot be found or is not a trained model."""


@dataclass(frozen=True)
class ModelBundle:
    """Everything inference needs from one model folder."""

    source: str
    directory: Path
    model: object  # ASTForAudioClassification, eval mode, float32
    feature_extractor: object  # ASTFeatureExtractor
    labels: list[str]
    pokedex: dict[str, Species]
    languages: list[str]
    calibration: Calibration
    locator: object = None
    """The folder's cry locator (``frontend.locator.CryLocator``, from ``cry_locator.safetensors``), or None."""


_cache: dict[str, ModelBundle] = {}
_lock = threading.Lock()


def model_source(source: str | os.PathLike | None = None) -> str:
    """``source``, else ``$MODEL_ID``, else the embedded default folder."""
    if source:
        return str(source)
    return os.environ.get(MODEL_ID_ENV) or str(DEFAULT_MODEL_DIR)


def resolve_model_dir(source: str) -> Path:
    """The local folder for ``source``: the folder itself, or a Hub snapshot (from the cache when offline)."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if path.exists() or looks_local(source):
        hint = " (the embedded default model: train it with the trainer, see README)" if path == DEFAULT_MODEL_DIR else ""
        raise ModelNotFoundError(
            f"model {source}: no such folder{hint}; set {MODEL_ID_ENV} to a model folder written by the trainer "
            "or a Hub model id (user/name)"
        )
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(source, allow_patterns=["*.json", "*.safetensors"]))
    except Exception as err:
        raise ModelNotFoundError(
            f"model {source}: not a local folder and could not be fetched from the Hub ({type(err).__name__}: "
            f"{str(err).splitlines()[0] if str(err) else ''}); set {MODEL_ID_ENV} to a model folder or a reachable Hub id"
        ) from err


def load_model(source: str | os.PathLike | None = None) -> ModelBundle:
    """Load (once per source, thread-safe) the model named by ``source``/``$MODEL_ID``/the default folder."""
    key = model_source(source)
    with _lock:
        if key not in _cache:
            _cache[key] = _load(key)
        return _cache[key]


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _load(source: str) -> ModelBundle:
    import torch
    from transformers import ASTFeatureExtractor, ASTForAudioClassification

    from frontend.locator import load_locator

    directory = resolve_model_dir(source)
    for required in ("config.json", "preprocessor_config.json"):
        if not (directory / required).exists():
            raise ModelNotFoundError(
                f"model {source}: {directory} has no {required}; expected a folder written by the trainer "
                "(ASTForAudioClassification + ASTFeatureExtractor save_pretrained)"
            )
    try:
        model = ASTForAudioClassification.from_pretrained(directory)
        extractor = ASTFeatureExtractor.from_pretrained(directory)
    except Exception as err:
        raise ModelNotFoundError(
            f"model {source}: could not load an ASTForAudioClassification from {directory} ({type(err).__name__}: {err})"
        ) from err
    model = model.to(torch.float32).eval()  # fp16 weights on disk run faster as fp32 on CPU
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    pokedex, languages = load_pokedex(directory)
    try:
        locator = load_locator(directory)
    except ValueError as err:
        raise ModelNotFoundError(f"model {source}: {err}") from err
    return ModelBundle(source, directory, model, extractor, labels, pokedex, languages, load_calibration(directory),
                       locator)

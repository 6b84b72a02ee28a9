"""Per-label "not sure" thresholds for enrolled sounds, fitted on sounds that are not them.

The model's threshold (``calibration.json``) was fitted for trained species, whose captures the head learned. An
enrolled sound's row is placed from a few recordings; on its phone captures its probability is lower than a
trained species' on theirs (it is named first on most of them, answered on few), so one threshold for every label
makes an enrolled sound almost always "not sure". An enrolled label gets its own threshold instead: the lowest
that keeps the sounds it must not answer for (``enrol_negatives.safetensors``: the app's cry-like windows of
simulated captures without a cry and of the trained species' cries, stored by ``python -m trainer.enrol_negatives``)
answered as it on at most a ``max_false_answers`` share of them. It never goes under MIN_LABEL_THRESHOLD (the label
must outweigh all the others together) nor above the model's threshold. ``calibration.json`` keeps it under
``label_thresholds``; the recogniser (:func:`recognizer.predict.doubt`) reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NEGATIVES_FILE = "enrol_negatives.safetensors"
MIN_LABEL_THRESHOLD = 0.5
"""probability. An enrolled label's threshold never goes below it: an answer outweighs every other label together."""
DEFAULT_MAX_FALSE_ANSWERS = 0.002
"""share of the stored negative recordings an enrolled label may answer for (0.2 %)."""


@dataclass(frozen=True)
class NegativeWindows:
    """Head inputs (layer-normed pooled embeddings) of the cry-like windows of recordings that hold no enrolled
    sound, and which recording each window belongs to (0 … recordings − 1)."""

    embeddings: np.ndarray
    recording: np.ndarray

    @property
    def recordings(self) -> int:
        return int(self.recording.max()) + 1 if len(self.recording) else 0


def save_negatives(directory: str | os.PathLike, negatives: NegativeWindows) -> Path:
    """Write ``enrol_negatives.safetensors`` into a model folder (atomically); the path."""
    from safetensors.numpy import save_file

    path = Path(directory) / NEGATIVES_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    save_file({"embeddings": negatives.embeddings.astype(np.float16),
               "recording": negatives.recording.astype(np.int32)}, str(tmp))
    os.replace(tmp, path)
    return path


def load_negatives(directory: str | os.PathLike) -> NegativeWindows | None:
    """The folder's stored negatives (None when it has none)."""
    from safetensors.numpy import load_file

    path = Path(directory) / NEGATIVES_FILE
    if not path.is_file():
        return None
    tensors = load_file(str(path))
    return NegativeWindows(tensors["embeddings"].astype(np.float32), tensors["recording"].astype(np.int64))


def answered_labels(negatives: NegativeWindows, weights: np.ndarray, biases: np.ndarray, row_labels: list[str],
                    temperature: float) -> tuple[list[str], np.ndarray, np.ndarray]:
    """What the app would answer for each negative recording, read once for every label: the labels (columns), and
    per recording the column of the species its best cry-like window names first (-1 when ``no_cry`` is the most
    probable, so it would not answer) and that species' probability."""
    from recognizer.predict import CRY, HeadLabels, best_window, doubt, species_probs

    head = HeadLabels.of(row_labels)
    labels = head.labels
    probs = head.probabilities(negatives.embeddings @ weights.T + biases, temperature)
    columns = np.full(negatives.recordings, -1, dtype=np.int64)
    scores = np.full(negatives.recordings, -1.0)
    for r in range(negatives.recordings):
        rows = np.flatnonzero(negatives.recording == r)
        if not len(rows):
            continue
        window = probs[rows[best_window(probs[rows], [CRY] * len(rows), labels)]]  # every stored window is cry-like
        if not doubt([CRY], window, labels, 0.0):
            columns[r] = int(np.argmax(species_probs(window, labels)))
            scores[r] = float(window[columns[r]])
    return labels, columns, scores


def answered_probabilities(negatives: NegativeWindows, weights: np.ndarray, biases: np.ndarray,
                           row_labels: list[str], label: str, temperature: float) -> np.ndarray:
    """For each negative recording, ``label``'s probability when the app would answer it (its best cry-like window
    names ``label`` first and ``no_cry`` is not the most probable), else -1: the score a threshold is set against."""
    labels, columns, scores = answered_labels(negatives, weights, biases, row_labels, temperature)
    return np.where(columns == labels.index(label), scores, -1.0)


def fit_label_thresholds(negatives: NegativeWindows, weights: np.ndarray, biases: np.ndarray, row_labels: list[str],
                         labels: list[str], temperature: float, model_threshold: float,
                         max_false_answers: float = DEFAULT_MAX_FALSE_ANSWERS) -> dict[str, float]:
    """:func:`fit_label_threshold` for each of ``labels`` against one head (``weights``, ``biases``, ``row_labels``):
    the negatives go through the head once, so enrolling a thousand sounds costs one pass, and every threshold is
    set against the head the labels will be judged by (all of them enrolled)."""
    columns_of, columns, scores = answered_labels(negatives, weights, biases, row_labels, temperature)
    index = {label: i for i, label in enumerate(columns_of)}
    return {label: fit_label_threshold(np.where(columns == index[label], scores, -1.0), model_threshold,
                                       max_false_answers) for label in labels}


def fit_label_threshold(scores: np.ndarray, model_threshold: float,
                        max_false_answers: float = DEFAULT_MAX_FALSE_ANSWERS) -> float:
    """The lowest threshold that answers at most ``max_false_answers`` of the negatives' ``scores``
    (:func:`answered_probabilities`), between MIN_LABEL_THRESHOLD and ``model_threshold``."""
    if not 0.0 <= max_false_answers < 1.0:
        raise ValueError(f"max_false_answers {max_false_answers}: expected a share in [0, 1)")
    floor = min(MIN_LABEL_THRESHOLD, float(model_threshold))
    allowed = int(np.floor(max_false_answers * len(scores)))
    ranked = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if allowed >= len(ranked):
        return floor
    # answered when probability >= threshold: just above the first score that must stay unanswered
    threshold = float(np.nextafter(np.float32(ranked[allowed]), np.float32(np.inf)))
    return float(min(max(threshold, floor), float(model_threshold)))

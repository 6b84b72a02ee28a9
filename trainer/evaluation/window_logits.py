"""The recogniser's raw window logits, and its answer replayed from them under any calibration.

:meth:`recognizer.predict.Recognizer.predict` scores every window of a recording, keeps the most confident
cry-like one and compares its top probability with the "not sure" threshold. To fit the temperature and the
threshold on what the app really answers, this module records what goes into that decision (each window's
logits before the temperature, whether the detector called it cry-like, and the recogniser's doubt about the
sound itself) through the recogniser's own :meth:`~recognizer.predict.Recognizer.window_logits`, and :func:`replay` makes the same decision again for another calibration without rerunning the model.
``tests/test_heldout_calibration.py`` checks that the replay equals ``Recognizer.predict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from recognizer.model_files import Calibration
from recognizer.predict import NO_CRY_LABEL, HeadLabels

from .recordings import Recording
from .scoring import TOP_K


@dataclass(frozen=True)
class WindowScores:
    """A recording's windows as the recogniser sees them: logits (windows × classes), cry-likeness, and the
    recogniser's doubt about the sound itself (``too_short`` / ``narrow_band``; "" when none)."""

    logits: np.ndarray
    cry_like: np.ndarray
    doubt: str = ""


@dataclass(frozen=True)
class ScoredRecording:
    """A recording's truth, groups and window scores (the audio itself is not kept)."""

    label: str
    groups: dict[str, str]
    scores: WindowScores


@dataclass(frozen=True)
class Answer:
    """What the recogniser answers: top-k labels, the top probability, the picked window's logits."""

    guesses: list[str]
    confidence: float
    answerable: bool
    """A cry-like window exists and its top class is a species: answered when confidence ≥ the threshold."""
    logits: np.ndarray | None = field(default=None, repr=False)

    def answered(self, threshold: float) -> bool:
        return self.answerable and self.confidence >= threshold


def window_scores(recognizer, samples: np.ndarray, sample_rate: int) -> WindowScores:
    """The logits (before the temperature) and detector verdicts of the windows ``recognizer`` scores."""
    from recognizer.detect import CRY
    from recognizer.predict import too_little_sound

    scored = recognizer.window_logits(samples, sample_rate)
    doubt = too_little_sound(scored.samples) if scored.windows else ""
    return WindowScores(scored.logits, np.asarray([kind == CRY for kind in scored.kinds], bool), doubt)


def score_windows(recognizer, recordings: Iterable[Recording]) -> list[ScoredRecording]:
    """:func:`window_scores` of every recording, with its label and groups."""
    return [ScoredRecording(rec.label, dict(rec.groups), window_scores(recognizer, rec.samples, rec.sample_rate))
            for rec in recordings]


@lru_cache(maxsize=8)
def _head(row_labels: tuple[str, ...]) -> HeadLabels:
    return HeadLabels.of(list(row_labels))


def replay(scores: WindowScores, labels: list[str], temperature: float, top_k: int = TOP_K) -> Answer:
    """The recogniser's answer from recorded window scores under ``temperature`` (no model call); ``labels``
    are the head's rows' (a label with several rows is one guess, as in the recogniser)."""
    if len(scores.logits) == 0:
        return Answer([], 0.0, False)
    head = _head(tuple(labels))
    probs, labels = head.probabilities(scores.logits, temperature), head.labels
    species = probs.copy()
    no_cry = labels.index(NO_CRY_LABEL) if NO_CRY_LABEL in labels else None
    if no_cry is not None:
        species[:, no_cry] = -1.0
    candidates = np.flatnonzero(scores.cry_like)
    if not len(candidates):
        candidates = np.arange(len(probs))
    best = int(candidates[np.argmax(species[candidates].max(axis=1))])
    order = [i for i in np.argsort(-species[best]) if i != no_cry][:top_k]
    answerable = (not scores.doubt and bool(scores.cry_like.any())
                  and (no_cry is None or int(np.argmax(probs[best])) != no_cry))
    return Answer([labels[i] for i in order], float(probs[best][order[0]]), answerable, scores.logits[best])


def replay_rows(scored: list[ScoredRecording], labels: list[str], calibration: Calibration) -> list[dict]:
    """Rows like :func:`.recordings.score_recordings` gives, replayed under ``calibration``."""
    rows = []
    for rec in scored:
        answer = replay(rec.scores, labels, calibration.temperature)
        threshold = calibration.threshold_for(answer.guesses[0] if answer.guesses else None)  # an enrolled label's own
        rows.append({"label": rec.label, "guesses": answer.guesses, "answered": answer.answered(threshold),
                     "confidence": round(answer.confidence, 4), **rec.groups})
    return rows


def save_scored(path, scored: list[ScoredRecording]) -> None:
    """Window scores of a set in one ``.npz`` (refit a calibration later without rerunning the model)."""
    import json

    counts = np.asarray([len(r.scores.logits) for r in scored])
    n_classes = max((r.scores.logits.shape[1] for r in scored), default=0)
    logits = np.concatenate([r.scores.logits for r in scored]) if counts.sum() else np.zeros((0, n_classes), np.float32)
    np.savez_compressed(path, logits=logits.astype(np.float32), counts=counts,
                        cry_like=np.concatenate([r.scores.cry_like for r in scored]) if counts.sum() else np.zeros(0, bool),
                        meta=np.asarray(json.dumps([{"label": r.label, "groups": r.groups, "doubt": r.scores.doubt}
                                                    for r in scored])))


def load_scored(path) -> list[ScoredRecording]:
    """The set :func:`save_scored` wrote."""
    import json

    with np.load(path) as data:
        # each data[key] decompresses the whole array again: read each once (a slice per recording of a fresh
        # copy each time kept thousands of full copies alive)
        logits, cry_like, counts = data["logits"], data["cry_like"], data["counts"]
        meta = json.loads(str(data["meta"]))
    bounds = np.r_[0, np.cumsum(counts)]
    return [ScoredRecording(m["label"], m["groups"], WindowScores(logits[a:b], cry_like[a:b], m.get("doubt", "")))
            for m, a, b in zip(meta, bounds[:-1], bounds[1:], strict=True)]

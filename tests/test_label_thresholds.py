"""recognizer.label_thresholds: an enrolled label's own "not sure" threshold, set against sounds that are not it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recognizer.label_thresholds import (
    MIN_LABEL_THRESHOLD,
    NegativeWindows,
    answered_probabilities,
    fit_label_threshold,
    fit_label_thresholds,
    load_negatives,
    save_negatives,
)
from recognizer.model_files import Calibration, load_calibration, save_calibration
from recognizer.predict import CRY, LOW_CONFIDENCE, doubt


def test_the_threshold_is_the_lowest_that_answers_at_most_the_allowed_share_of_negatives():
    scores = np.array([0.95, 0.7, 0.66, 0.55, -1, -1, -1, -1, -1, -1] * 100, dtype=np.float64)  # 1,000 negatives
    # none allowed: just above the highest score, capped at the model's threshold
    assert fit_label_threshold(scores, 0.99, 0.0) == pytest.approx(0.95, abs=1e-6)
    assert fit_label_threshold(scores, 0.9, 0.0) == 0.9
    # 0.2 % of 1,000 = 2 may pass; the 100 at 0.95 may not: still above 0.95
    assert fit_label_threshold(scores, 0.99, 0.002) > 0.95
    # 15 %: the 100 at 0.95 pass (10 %), those at 0.7 must not
    t = fit_label_threshold(scores, 0.99, 0.15)
    assert 0.7 < t < 0.7001 and np.mean(scores >= t) <= 0.15 and np.mean(scores >= 0.7) > 0.15
    # 45 %: down to the floor, never below it (a label must outweigh all the others together)
    assert 0.55 < fit_label_threshold(scores, 0.99, 0.35) < 0.5501  # 40 % score 0.55 or more
    assert fit_label_threshold(scores, 0.99, 0.45) == MIN_LABEL_THRESHOLD
    assert fit_label_threshold(scores, 0.3, 0.45) == 0.3  # and never above the model's own
    with pytest.raises(ValueError, match="max_false_answers"):
        fit_label_threshold(scores, 0.99, 1.0)


def test_a_negative_counts_only_when_the_app_would_answer_the_label_from_its_best_cry_like_window():
    # head over 2-d embeddings: rows "A", "no_cry", and an enrolled label "New" with two rows
    labels = ["A", "no_cry", "New", "New"]
    weights = np.array([[1, 0], [0, 1], [-1, 0], [-1, 0.2]], dtype=np.float32) * 4
    biases = np.zeros(4, np.float32)
    windows = np.array([
        [-1.0, 0.0],   # recording 0: only window, New most probable
        [1.0, 0.0],    # recording 1, window 1: A most probable (and its best window) ...
        [-0.3, 0.0],   # ... window 2: New, but less probable than A in window 1
        [0.0, 1.0],    # recording 2: no_cry most probable
        [-0.2, 0.8],   # recording 3: New first among species, but no_cry most probable
    ], dtype=np.float32)
    negatives = NegativeWindows(windows, np.array([0, 1, 1, 2, 3]))
    scores = answered_probabilities(negatives, weights, biases, labels, "New", 1.0)
    logits = windows[0] @ weights.T
    p = np.exp(logits - logits.max())
    p /= p.sum()
    assert scores[0] == pytest.approx(p[2] + p[3], rel=1e-5)  # the label's rows add up
    assert list(scores[1:]) == [-1.0, -1.0, -1.0]
    assert negatives.recordings == 4


def test_many_labels_at_once_get_the_thresholds_each_would_get_alone_against_the_same_head():
    rng = np.random.default_rng(0)
    labels = ["A", "B", "no_cry", "New", "New", "Other"]
    weights = rng.normal(size=(6, 8)).astype(np.float32) * 1.5
    biases = rng.normal(size=6).astype(np.float32)
    negatives = NegativeWindows(rng.normal(size=(400, 8)).astype(np.float32), np.repeat(np.arange(100), 4))
    together = fit_label_thresholds(negatives, weights, biases, labels, ["New", "Other", "A"], 1.3, 0.99, 0.05)
    assert list(together) == ["New", "Other", "A"]
    for label, threshold in together.items():
        alone = answered_probabilities(negatives, weights, biases, labels, label, 1.3)
        assert np.sum(alone > -1) >= 3  # each label is answered for some negatives: the thresholds differ
        assert threshold == fit_label_threshold(alone, 0.99, 0.05)
    assert len(set(together.values())) == 3


def test_negatives_round_trip_through_the_model_folder(tmp_path):
    rng = np.random.default_rng(0)
    negatives = NegativeWindows(rng.standard_normal((7, 5)).astype(np.float32), np.array([0, 0, 1, 2, 2, 2, 3]))
    path = save_negatives(tmp_path, negatives)
    assert path.name == "enrol_negatives.safetensors" and not list(tmp_path.glob(".*"))
    back = load_negatives(tmp_path)
    assert np.allclose(back.embeddings, negatives.embeddings, atol=1e-2) and np.array_equal(back.recording, negatives.recording)
    assert load_negatives(tmp_path / "missing") is None


def test_an_enrolled_label_is_judged_on_its_own_threshold_and_every_other_on_the_models():
    labels = ["A", "B", "New"]
    calibration, plain = Calibration(1.0, 0.8, 0.99, {"New": 0.55}), Calibration(1.0, 0.8, 0.99)

    def judged(probs: np.ndarray, cal: Calibration) -> str:  # as Recognizer.predict: the top label's threshold
        return doubt([CRY], probs, labels, cal.threshold_for(labels[int(np.argmax(probs))]))

    assert judged(np.array([0.2, 0.2, 0.6]), calibration) == ""
    assert judged(np.array([0.2, 0.2, 0.6]), plain) == LOW_CONFIDENCE
    assert judged(np.array([0.6, 0.2, 0.2]), calibration) == LOW_CONFIDENCE
    assert judged(np.array([0.1, 0.4, 0.5]), calibration) == LOW_CONFIDENCE


def test_calibration_files_keep_label_thresholds_and_older_files_still_load(tmp_path):
    save_calibration(tmp_path, Calibration(1.0, 0.8, 0.99, {"New": 0.6}))
    back = load_calibration(tmp_path)
    assert back.threshold_for("New") == 0.6 and back.threshold_for("A") == 0.8 and back.threshold_for(None) == 0.8
    (tmp_path / "calibration.json").write_text(json.dumps({"temperature": 1.2, "threshold": 0.7, "target_precision": 0.99}))
    assert load_calibration(tmp_path).label_thresholds == {}

"""Temperature scaling and the "not sure" threshold, on a deliberately over-confident toy classifier."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.calibration import calibrate, choose_threshold, fit_temperature, nll, softmax
from trainer.metrics import load_metric


def overconfident(rng, n=600, classes=5, scale=6.0):
    """Logits from a calibrated model (temperature 1) multiplied by ``scale``: right ranking, wild confidence."""
    labels = rng.integers(0, classes, size=n)
    base = rng.normal(size=(n, classes)) + 1.2 * np.eye(classes)[labels]
    return scale * base, labels


def test_temperature_scaling_lowers_nll_and_ece_without_changing_guesses(rng):
    val_logits, val_labels = overconfident(rng)
    test_logits, test_labels = overconfident(rng)
    temperature = fit_temperature(val_logits, val_labels)
    assert temperature == pytest.approx(6.0, rel=0.25)  # recovers the scale the toy was inflated by
    ece = load_metric("expected_calibration_error")
    before = ece.compute(predictions=softmax(test_logits), references=test_labels)["expected_calibration_error"]
    after = ece.compute(predictions=softmax(test_logits, temperature), references=test_labels)["expected_calibration_error"]
    assert nll(test_logits, test_labels, temperature) < 0.6 * nll(test_logits, test_labels)
    assert after < 0.5 * before and after < 0.06
    assert np.array_equal(softmax(test_logits, temperature).argmax(1), test_logits.argmax(1))


def test_threshold_reaches_the_stated_precision_on_validation(rng):
    logits, labels = overconfident(rng, n=1000, scale=1.0)
    probs = softmax(logits)
    assert (probs.argmax(1) == labels).mean() < 0.8  # the raw precision is below target: a threshold is needed
    threshold, precision, coverage = choose_threshold(probs, labels, 0.9)
    kept = probs.max(1) >= threshold
    assert precision >= 0.9 and (probs.argmax(1)[kept] == labels[kept]).mean() == pytest.approx(precision)
    assert coverage == pytest.approx(kept.mean()) and 0.0 < coverage < 1.0
    # The lowest such threshold: one notch lower no longer reaches the target.
    lower = np.max(probs.max(1)[probs.max(1) < threshold])
    below = probs.max(1) >= lower
    assert (probs.argmax(1)[below] == labels[below]).mean() < 0.9


def test_unreachable_precision_answers_nothing(rng):
    labels = rng.integers(0, 4, size=100)
    probs = softmax(rng.normal(size=(100, 4)))  # pure guessing
    threshold, _, coverage = choose_threshold(probs, labels, 0.99)
    assert threshold == 1.0 and coverage == 0.0


def test_calibrate_returns_the_files_content_and_a_report(rng):
    logits, labels = overconfident(rng)
    calibration, report = calibrate(logits, labels, target_precision=0.9)
    assert calibration.temperature == report["temperature"] > 1.0
    assert calibration.threshold == report["threshold"] and calibration.target_precision == 0.9
    assert report["nll_after"] < report["nll_before"] and report["ece_after"] < report["ece_before"]


def test_no_cry_clips_are_never_counted_as_answers():
    """The app says "not sure" when no_cry wins: such clips must not lift the precision the threshold is chosen for."""
    # class 2 is no_cry. Four confident no_cry clips (right), then species clips: 0.9 right, 0.8 wrong, 0.7 right.
    probs = np.array([[0.01, 0.01, 0.98]] * 4 + [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])
    labels = np.array([2, 2, 2, 2, 0, 0, 0])
    # counting no_cry as answers, 6 of 7 are right (0.86 >= 0.8): everything down to 0.7 is "answered"
    assert choose_threshold(probs, labels, 0.8)[0] == pytest.approx(0.7)
    # as the app answers: only the 0.9 clip keeps >= 0.8 precision (0.8 makes it 1 of 2, 0.7 2 of 3)
    threshold, precision, coverage = choose_threshold(probs, labels, 0.8, never_answered=2)
    assert threshold == pytest.approx(0.9) and precision == 1.0 and coverage == pytest.approx(1 / 7)

"""The project's local ``evaluate`` metric modules agree with scikit-learn and never touch the network."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, top_k_accuracy_score

from trainer.metrics import METRICS, load_metric, metric_path


@pytest.fixture(scope="module")
def offline_metrics():
    """Every module loaded with sockets refused: a Hub lookup would raise."""
    original = socket.socket.connect

    def refuse(*args, **kwargs):
        raise AssertionError("a metric module tried to open a network connection")

    socket.socket.connect = refuse
    try:
        yield {name: load_metric(name) for name in METRICS}
    finally:
        socket.socket.connect = original


@pytest.fixture
def toy(rng):
    labels = rng.integers(0, 7, size=200)
    logits = rng.normal(size=(200, 7)) + 2.0 * np.eye(7)[labels] * rng.uniform(0, 2, size=(200, 1))
    return logits, labels


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_accuracy_and_macro_f1_match_sklearn(offline_metrics, toy):
    logits, labels = toy
    preds = logits.argmax(axis=1)
    acc = offline_metrics["accuracy"].compute(predictions=preds, references=labels)["accuracy"]
    f1 = offline_metrics["macro_f1"].compute(predictions=preds, references=labels)["macro_f1"]
    assert acc == pytest.approx(accuracy_score(labels, preds))
    assert f1 == pytest.approx(f1_score(labels, preds, average="macro"))
    assert 0.3 < acc < 0.95  # the toy is neither trivial nor hopeless, so the comparison means something


@pytest.mark.parametrize("k", [1, 3, 5])
def test_top_k_accuracy_matches_sklearn(offline_metrics, toy, k):
    logits, labels = toy
    ours = offline_metrics["top_k_accuracy"].compute(predictions=logits, references=labels, k=k)["top_k_accuracy"]
    assert ours == pytest.approx(top_k_accuracy_score(labels, logits, k=k, labels=np.arange(7)))


def test_expected_calibration_error_on_hand_computed_bins(offline_metrics):
    # Two bins used: confidence 0.9 (two right of two) and 0.6 (one right of two): (2/4)·0.1 + (2/4)·0.1.
    probs = np.array([[0.9, 0.1], [0.1, 0.9], [0.6, 0.4], [0.4, 0.6]])
    labels = np.array([0, 1, 0, 0])
    ece = offline_metrics["expected_calibration_error"].compute(predictions=probs, references=labels, n_bins=10)
    assert ece["expected_calibration_error"] == pytest.approx(0.1)


def test_expected_calibration_error_matches_a_direct_formula(offline_metrics, toy):
    logits, labels = toy
    probs = softmax(logits)
    conf, correct = probs.max(1), probs.argmax(1) == labels
    edges = np.linspace(0, 1, 16)
    direct = sum(
        np.mean(m) * abs(correct[m].mean() - conf[m].mean())
        for lo, hi in zip(edges[:-1], edges[1:], strict=True)
        if (m := (conf > lo) & (conf <= hi)).any()
    )
    ours = offline_metrics["expected_calibration_error"].compute(predictions=probs, references=labels)
    assert ours["expected_calibration_error"] == pytest.approx(direct)


def test_bad_metric_inputs_say_what_was_expected(offline_metrics):
    with pytest.raises(ValueError, match="probabilities"):
        offline_metrics["expected_calibration_error"].compute(predictions=[[2.0, 3.0]], references=[0])
    with pytest.raises(ValueError, match="unknown metric"):
        metric_path("bleu")

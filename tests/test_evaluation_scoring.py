"""The report's metrics (scikit-learn) agree with the project's metric modules; big confusion plots keep names."""

import numpy as np
import pytest

from trainer.calibration import softmax
from trainer.evaluation.plots import confusion_classes, plot_confusion
from trainer.evaluation.scoring import Scorer, confused_pairs, per_class_rows, top_k_accuracy
from trainer.metrics import load_metric


@pytest.fixture(scope="module")
def scored():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 7, 200)
    logits = rng.normal(size=(200, 7)).astype(np.float32)
    logits[np.arange(200), labels] += rng.normal(1.0, 1.0, 200).astype(np.float32)  # often right, not always
    return logits, labels


def test_scikit_learn_metrics_match_the_metric_modules(scored):
    logits, labels = scored
    got = Scorer()(logits, labels, temperature=0.8)
    probs, preds = softmax(logits, 0.8), softmax(logits, 0.8).argmax(1)
    assert 0.2 < got["accuracy"] < 0.9
    assert got["accuracy"] == pytest.approx(load_metric("accuracy").compute(predictions=preds, references=labels)["accuracy"])
    assert got["top5_accuracy"] == pytest.approx(
        load_metric("top_k_accuracy").compute(predictions=probs, references=labels, k=5)["top_k_accuracy"]
    )
    assert got["macro_f1"] == pytest.approx(load_metric("macro_f1").compute(predictions=preds, references=labels)["macro_f1"])
    assert got["ece"] == pytest.approx(
        load_metric("expected_calibration_error").compute(predictions=probs, references=labels)["expected_calibration_error"]
    )


def test_top_k_accuracy_counts_the_true_class_among_the_k_best():
    probs = np.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]])
    assert top_k_accuracy(probs, np.array([0, 1, 2]), 1) == pytest.approx(1 / 3)
    assert top_k_accuracy(probs, np.array([0, 1, 2]), 2) == pytest.approx(2 / 3)
    assert top_k_accuracy(probs, np.array([0, 1, 2]), 5) == 1.0


def test_confused_pairs_and_per_class_rows():
    names = ["A", "B", "C"]
    labels, preds = np.array([0, 0, 0, 1, 1, 2]), np.array([1, 1, 0, 2, 1, 2])
    pairs = confused_pairs(labels, preds, names)
    assert pairs[0] == {"true": "A", "predicted": "B", "count": 2, "fraction_of_true": pytest.approx(2 / 3)}
    assert [(p["true"], p["predicted"]) for p in pairs] == [("A", "B"), ("B", "C")]
    probs = np.eye(3)[preds]
    rows = {r["name"]: r for r in per_class_rows(labels, probs, names)}
    assert rows["A"]["recall"] == pytest.approx(1 / 3, abs=1e-4) and rows["A"]["most_common_mistake"] == "B"
    assert rows["B"]["precision"] == pytest.approx(1 / 3, abs=1e-4) and rows["C"]["most_common_mistake"] == ""


def test_a_151_class_confusion_shows_the_classes_of_the_top_mistakes(tmp_path):
    n = 151
    labels = np.repeat(np.arange(n), 2)
    preds = labels.copy()
    preds[[10, 11, 40]] = [90, 90, 7]  # class 5 → 90 twice, class 20 → 7 once
    counts = np.zeros((n, n), dtype=int)
    np.add.at(counts, (labels, preds), 1)
    assert confusion_classes(counts).tolist() == [5, 7, 20, 90]
    assert confusion_classes(counts[:30, :30]).tolist() == list(range(30))  # small: every class
    names = [f"species{i}" for i in range(n)]
    plot_confusion(labels, preds, names, tmp_path / "confusion.png")
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"

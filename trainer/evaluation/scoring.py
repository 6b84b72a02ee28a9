"""Metrics of a set of scored clips (scikit-learn) and the groups a report splits them into."""

from __future__ import annotations

import math

import numpy as np

from ..calibration import nll, softmax

SNR_BANDS = ((-math.inf, 5.0, "<5 dB"), (5.0, 15.0, "5–15 dB"), (15.0, 25.0, "15–25 dB"), (25.0, math.inf, "≥25 dB"))
NO_BACKGROUND = "no background"
BAND_ORDER = [b[2] for b in SNR_BANDS] + [NO_BACKGROUND]
GROUP_COLUMNS = ("rendition", "condition", "snr_band", "background_kind")
CAPTURE_BANDS = "capture_snr_band"
"""The group of ``capture`` clips alone, per SNR band: what a phone hears, where the issue's robustness goals apply."""
TOP_K = 5


def snr_band(snr_db) -> str:
    """The report's SNR band of a clip (``no background`` when no background was mixed in)."""
    if snr_db is None or (isinstance(snr_db, float) and math.isnan(snr_db)):
        return NO_BACKGROUND
    for low, high, name in SNR_BANDS:
        if low <= float(snr_db) < high:
            return name
    raise AssertionError(snr_db)


def group_order(value: str) -> tuple:
    """Sort key of group values: SNR bands in order, then the rest alphabetically."""
    return (BAND_ORDER.index(value) if value in BAND_ORDER else 99, value)


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, n_bins: int = 15) -> float:
    """ECE with equal-width confidence bins (bin i holds (i/n, (i+1)/n]); scikit-learn has no equivalent."""
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def top_k_accuracy(probs: np.ndarray, labels: np.ndarray, k: int = TOP_K) -> float:
    """The share of clips whose true class is among the ``k`` most probable (scikit-learn)."""
    from sklearn.metrics import top_k_accuracy_score

    n_classes = probs.shape[1]
    if k >= n_classes:
        return 1.0
    if n_classes == 2:  # scikit-learn's binary form takes the positive class's score
        return float(top_k_accuracy_score(labels, probs[:, 1], k=k, labels=[0, 1]))
    return float(top_k_accuracy_score(labels, probs, k=k, labels=np.arange(n_classes)))


class Scorer:
    """Accuracy, top-k, macro-F1 (scikit-learn), ECE and NLL of logits under a temperature."""

    def __call__(self, logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> dict:
        from sklearn.metrics import accuracy_score, f1_score

        probs = softmax(logits, temperature)
        preds = probs.argmax(axis=1)
        return {
            "n": int(len(labels)),
            "accuracy": float(accuracy_score(labels, preds)),
            f"top{TOP_K}_accuracy": top_k_accuracy(probs, labels, TOP_K),
            "macro_f1": float(f1_score(labels, preds, average="macro", zero_division=0)),
            "ece": expected_calibration_error(probs, labels),
            "nll": nll(logits, labels, temperature),
        }


def confusion(labels: np.ndarray, preds: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts: row = true class, column = predicted class (scikit-learn)."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, preds, labels=np.arange(n_classes))


def confused_pairs(labels: np.ndarray, preds: np.ndarray, names: list[str], top: int = 10) -> list[dict]:
    """The ``top`` most frequent (true, predicted) mistakes."""
    counts = confusion(labels, preds, len(names))
    support = counts.sum(axis=1)
    np.fill_diagonal(counts, 0)
    flat = np.argsort(-counts, axis=None, kind="stable")[:top]
    pairs = [np.unravel_index(i, counts.shape) for i in flat]
    return [
        {
            "true": names[t],
            "predicted": names[p],
            "count": int(counts[t, p]),
            "fraction_of_true": float(counts[t, p] / support[t]),
        }
        for t, p in pairs
        if counts[t, p] > 0
    ]


def per_class_rows(labels: np.ndarray, probs: np.ndarray, names: list[str]) -> list[dict]:
    """Precision, recall, F1 (scikit-learn), top-k recall and the most common mistake, one row per class."""
    from sklearn.metrics import precision_recall_fscore_support

    preds = probs.argmax(axis=1)
    classes = np.arange(len(names))
    precision, recall, f1, support = precision_recall_fscore_support(labels, preds, labels=classes, zero_division=0)
    topk = np.argsort(-probs, axis=1, kind="stable")[:, :TOP_K]
    counts = confusion(labels, preds, len(names))
    np.fill_diagonal(counts, 0)
    rows = []
    for c, name in enumerate(names):
        true_c = labels == c
        rows.append(
            {
                "label": c,
                "name": name,
                "support": int(support[c]),
                "precision": round(float(precision[c]), 4),
                "recall": round(float(recall[c]), 4),
                "f1": round(float(f1[c]), 4),
                f"top{TOP_K}_recall": round(float((topk[true_c] == c).any(axis=1).mean()) if true_c.any() else 0.0, 4),
                "most_common_mistake": names[int(counts[c].argmax())] if counts[c].any() else "",
            }
        )
    return rows

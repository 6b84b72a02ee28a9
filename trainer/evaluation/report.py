"""A split's report from its logits: metrics overall and per group, per-class CSV, plots, JSON and markdown."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from recognizer.model_files import Calibration

from ..calibration import softmax
from .markdown import markdown
from .plots import plot_confusion, plot_reliability, plot_robustness
from .scoring import (
    BAND_ORDER,
    CAPTURE_BANDS,
    GROUP_COLUMNS,
    Scorer,
    confused_pairs,
    expected_calibration_error,
    group_order,
    per_class_rows,
    snr_band,
)


def not_sure_summary(probs: np.ndarray, labels: np.ndarray, calibration: Calibration) -> dict:
    """How many clips the calibrated threshold answers, and how many of those answers are right."""
    conf, preds = probs.max(axis=1), probs.argmax(axis=1)
    answered = conf >= calibration.threshold
    return {
        "threshold": calibration.threshold,
        "target_precision": calibration.target_precision,
        "answered_fraction": float(answered.mean()),
        "accuracy_when_answered": float((preds[answered] == labels[answered]).mean()) if answered.any() else None,
    }


def group_metrics(columns: dict[str, list], logits: np.ndarray, labels: np.ndarray, temperature: float) -> dict:
    """Metrics per value of each grouping column present, plus the captures alone per SNR band."""
    score, groups = Scorer(), {}
    for column in GROUP_COLUMNS:
        if column not in columns:
            continue
        values = np.asarray(["" if v is None else str(v) for v in columns[column]])
        groups[column] = {
            (value or "(none)"): score(logits[values == value], labels[values == value], temperature)
            for value in sorted(set(values), key=group_order)
        }
    if "condition" in columns and "snr_band" in columns:
        is_capture = np.asarray([v == "capture" for v in columns["condition"]])
        band_of = np.asarray(columns["snr_band"])
        captures = {b: score(logits[m], labels[m], temperature) for b in BAND_ORDER if (m := is_capture & (band_of == b)).any()}
        if captures:
            groups[CAPTURE_BANDS] = captures
    return groups


def write_per_class(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def report(
    logits: np.ndarray,
    labels: np.ndarray,
    names: list[str],
    meta: dict[str, list],
    calibration: Calibration,
    output_dir: str | os.PathLike,
    title: str = "test",
) -> dict:
    """Compute every metric and write the report files into ``output_dir``; returns the metrics dict."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    logits, labels = np.asarray(logits, dtype=np.float32), np.asarray(labels, dtype=np.int64)
    temperature = calibration.temperature
    probs = softmax(logits, temperature)
    columns = dict(meta)
    if "snr_db" in columns:
        columns["snr_band"] = [snr_band(v) for v in columns["snr_db"]]
    metrics = {
        "split": title,
        "overall": Scorer()(logits, labels, temperature),
        "uncalibrated_ece": expected_calibration_error(softmax(logits), labels),
        "temperature": temperature,
        "not_sure": not_sure_summary(probs, labels, calibration),
        "groups": group_metrics(columns, logits, labels, temperature),
    }
    preds = probs.argmax(axis=1)
    metrics["most_confused"] = confused_pairs(labels, preds, names)
    write_per_class(out / "per_class.csv", per_class_rows(labels, probs, names))
    plot_reliability(probs, labels, out / "reliability.png", metrics["overall"]["ece"])
    plot_confusion(labels, preds, names, out / "confusion_matrix.png")
    plot_robustness(metrics["groups"], columns, logits, labels, temperature, out / "robustness.png")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "metrics.md").write_text(markdown(metrics), encoding="utf-8")
    return metrics

"""Evaluate a model folder on a split and write the report.

``python -m trainer.evaluate --model DIR --dataset PATH [--split test] [--output-dir DIR]`` writes
``metrics.json`` and ``metrics.md`` (overall and per rendition, condition, SNR band and background kind),
``per_class.csv``, the most-confused pairs, and three plots: a reliability diagram, a confusion matrix
and a robustness curve (accuracy against SNR band). Metrics come from the project's local ``evaluate``
modules (``trainer/metrics``); probabilities use the folder's fitted temperature.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recognizer.model_files import Calibration, load_calibration

from .calibration import nll, softmax
from .metrics import load_metric

logger = logging.getLogger(__name__)

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


class Scorer:
    """The local metric modules, loaded once."""

    def __init__(self):
        self.accuracy = load_metric("accuracy")
        self.top_k = load_metric("top_k_accuracy")
        self.macro_f1 = load_metric("macro_f1")
        self.ece = load_metric("expected_calibration_error")

    def __call__(self, logits: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> dict:
        probs = softmax(logits, temperature)
        preds = probs.argmax(axis=1)
        return {
            "n": int(len(labels)),
            "accuracy": self.accuracy.compute(predictions=preds, references=labels)["accuracy"],
            f"top{TOP_K}_accuracy": self.top_k.compute(predictions=probs, references=labels, k=TOP_K)["top_k_accuracy"],
            "macro_f1": self.macro_f1.compute(predictions=preds, references=labels)["macro_f1"],
            "ece": self.ece.compute(predictions=probs, references=labels)["expected_calibration_error"],
            "nll": nll(logits, labels, temperature),
        }


def confused_pairs(labels: np.ndarray, preds: np.ndarray, names: list[str], top: int = 10) -> list[dict]:
    """The ``top`` most frequent (true, predicted) mistakes."""
    wrong = labels != preds
    pairs, counts = np.unique(np.stack([labels[wrong], preds[wrong]], axis=1), axis=0, return_counts=True)
    support = np.bincount(labels, minlength=len(names))
    order = np.argsort(-counts, kind="stable")[:top]
    return [
        {
            "true": names[pairs[i, 0]],
            "predicted": names[pairs[i, 1]],
            "count": int(counts[i]),
            "fraction_of_true": float(counts[i] / support[pairs[i, 0]]),
        }
        for i in order
    ]


def per_class_rows(labels: np.ndarray, probs: np.ndarray, names: list[str]) -> list[dict]:
    preds = probs.argmax(axis=1)
    topk = np.argsort(-probs, axis=1, kind="stable")[:, :TOP_K]
    rows = []
    for c, name in enumerate(names):
        true_c, pred_c = labels == c, preds == c
        tp = int(np.sum(true_c & pred_c))
        precision = tp / pred_c.sum() if pred_c.sum() else 0.0
        recall = tp / true_c.sum() if true_c.sum() else 0.0
        wrong = preds[true_c & ~pred_c]
        rows.append(
            {
                "label": c,
                "name": name,
                "support": int(true_c.sum()),
                "precision": round(float(precision), 4),
                "recall": round(float(recall), 4),
                "f1": round(float(2 * precision * recall / (precision + recall)) if tp else 0.0, 4),
                f"top{TOP_K}_recall": round(float((topk[true_c] == c).any(axis=1).mean()) if true_c.any() else 0.0, 4),
                "most_common_mistake": names[np.bincount(wrong).argmax()] if len(wrong) else "",
            }
        )
    return rows


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
    score = Scorer()
    temperature = calibration.temperature
    probs = softmax(logits, temperature)
    conf, preds = probs.max(axis=1), probs.argmax(axis=1)
    answered = conf >= calibration.threshold
    metrics = {
        "split": title,
        "overall": score(logits, labels, temperature),
        "uncalibrated_ece": score.ece.compute(predictions=softmax(logits), references=labels)["expected_calibration_error"],
        "temperature": temperature,
        "not_sure": {
            "threshold": calibration.threshold,
            "target_precision": calibration.target_precision,
            "answered_fraction": float(answered.mean()),
            "accuracy_when_answered": float((preds[answered] == labels[answered]).mean()) if answered.any() else None,
        },
        "groups": {},
    }
    columns = dict(meta)
    if "snr_db" in columns:
        columns["snr_band"] = [snr_band(v) for v in columns["snr_db"]]
    for column in GROUP_COLUMNS:
        if column not in columns:
            continue
        values = np.asarray(["" if v is None else str(v) for v in columns[column]])
        groups = {}
        for value in sorted(set(values), key=lambda v: (BAND_ORDER.index(v) if v in BAND_ORDER else 99, v)):
            mask = values == value
            groups[value or "(none)"] = score(logits[mask], labels[mask], temperature)
        metrics["groups"][column] = groups
    if "condition" in columns and "snr_band" in columns:
        is_capture = np.asarray([v == "capture" for v in columns["condition"]])
        band_of = np.asarray(columns["snr_band"])
        groups = {b: score(logits[m], labels[m], temperature) for b in BAND_ORDER if (m := is_capture & (band_of == b)).any()}
        if groups:
            metrics["groups"][CAPTURE_BANDS] = groups
    metrics["most_confused"] = confused_pairs(labels, preds, names)
    rows = per_class_rows(labels, probs, names)
    with open(out / "per_class.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot_reliability(probs, labels, out / "reliability.png", metrics["overall"]["ece"])
    plot_confusion(labels, preds, names, out / "confusion_matrix.png")
    plot_robustness(metrics["groups"], columns, logits, labels, temperature, score, out / "robustness.png")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "metrics.md").write_text(markdown(metrics), encoding="utf-8")
    return metrics


def _row(name: str, m: dict) -> str:
    return f"| {name} | {m['n']} | {m['accuracy']:.3f} | {m[f'top{TOP_K}_accuracy']:.3f} | {m['macro_f1']:.3f} | {m['ece']:.3f} |"


def markdown(metrics: dict) -> str:
    """The report as markdown tables (what the README and the model card quote)."""
    head = f"| group | clips | top-1 | top-{TOP_K} | macro-F1 | ECE |\n|---|---:|---:|---:|---:|---:|"
    lines = [f"## Evaluation on `{metrics['split']}`", "", head, _row("all", metrics["overall"])]
    for column, groups in metrics["groups"].items():
        lines += [_row(f"{column} = {value}", m) for value, m in groups.items()]
    ns = metrics["not_sure"]
    acc = ns["accuracy_when_answered"]
    lines += [
        "",
        f"Temperature {metrics['temperature']:.3f} (ECE {metrics['uncalibrated_ece']:.3f} before scaling, "
        f"{metrics['overall']['ece']:.3f} after). \"Not sure\" below top-1 probability {ns['threshold']:.3f} "
        f"(chosen on validation for precision {ns['target_precision']:.2f}): answers {ns['answered_fraction']:.1%} "
        f"of clips, {'no answers' if acc is None else f'{acc:.1%} of them right'}.",
        "",
        "Most-confused pairs (true → predicted):",
        "",
        "| true | predicted | count | share of true |",
        "|---|---|---:|---:|",
    ]
    lines += [f"| {p['true']} | {p['predicted']} | {p['count']} | {p['fraction_of_true']:.1%} |" for p in metrics["most_confused"]]
    return "\n".join(lines) + "\n"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_reliability(probs: np.ndarray, labels: np.ndarray, path: Path, ece: float, n_bins: int = 15) -> None:
    plt = _pyplot()
    conf, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    centers = (np.arange(n_bins) + 0.5) / n_bins
    acc = np.array([correct[bins == b].mean() if np.any(bins == b) else np.nan for b in range(n_bins)])
    counts = np.bincount(bins, minlength=n_bins)
    fig, (ax, axc) = plt.subplots(2, 1, figsize=(5, 6), gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    ax.bar(centers, np.nan_to_num(acc), width=1 / n_bins, edgecolor="black", alpha=0.8, label="accuracy")
    ax.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability (ECE {ece:.3f})")
    ax.legend(loc="upper left")
    axc.bar(centers, counts, width=1 / n_bins, color="gray")
    axc.set_xlabel("top-1 probability")
    axc.set_ylabel("clips")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_confusion(labels: np.ndarray, preds: np.ndarray, names: list[str], path: Path) -> None:
    plt = _pyplot()
    n = len(names)
    cm = np.zeros((n, n))
    np.add.at(cm, (labels, preds), 1)
    cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    size = min(4 + n * 0.12, 24)
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(cm, cmap="viridis", vmin=0, vmax=1)
    if n <= 60:
        ax.set_xticks(range(n), names, rotation=90, fontsize=7)
        ax.set_yticks(range(n), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix (rows normalised)")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_robustness(groups, columns, logits, labels, temperature, score, path: Path) -> None:
    """Top-1 (and top-k, overall) accuracy per SNR band, one line per rendition."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    bands = list(groups.get("snr_band", {}))
    if bands:
        x = np.arange(len(bands))
        ax.plot(x, [groups["snr_band"][b]["accuracy"] for b in bands], "o-", label="all: top-1")
        ax.plot(x, [groups["snr_band"][b][f"top{TOP_K}_accuracy"] for b in bands], "o--", label=f"all: top-{TOP_K}")
        captures = groups.get(CAPTURE_BANDS, {})
        if captures:
            for key, style, name in (("accuracy", "s-", "top-1"), (f"top{TOP_K}_accuracy", "s--", f"top-{TOP_K}")):
                ys = [captures[b][key] if b in captures else np.nan for b in bands]
                ax.plot(x, ys, style, label=f"captures: {name}")
        if "rendition" in columns:
            band_of = np.asarray(columns["snr_band"])
            renditions = np.asarray(["" if v is None else str(v) for v in columns["rendition"]])
            for r in sorted(set(renditions)):
                ys = []
                for b in bands:
                    mask = (band_of == b) & (renditions == r)
                    ys.append(score(logits[mask], labels[mask], temperature)["accuracy"] if mask.any() else np.nan)
                ax.plot(x, ys, ".:", label=f"{r or '(none)'}: top-1")
        ax.set_xticks(x, bands)
    else:
        ax.text(0.5, 0.5, "no snr_db column", ha="center", transform=ax.transAxes)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("background SNR band")
    ax.set_ylabel("accuracy")
    ax.set_title("Robustness to background noise")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def metadata_columns(ds) -> dict[str, list]:
    """The non-audio columns the report groups by (those present)."""
    wanted = [c for c in ("rendition", "condition", "snr_db", "background_kind") if c in ds.column_names]
    return ds.select_columns(wanted).to_dict() if wanted else {}


def model_label_ids(model_names: list[str], dataset_names: list[str]) -> np.ndarray:
    """Dataset label index → model label index, matched by species name."""
    index = {n: i for i, n in enumerate(model_names)}
    unknown = [n for n in dataset_names if n not in index]
    if unknown:
        raise ValueError(
            f"the dataset has {len(unknown)} labels the model does not know ({', '.join(unknown[:5])}); "
            "expected the model's id2label to cover every dataset label"
        )
    return np.asarray([index[n] for n in dataset_names], dtype=np.int64)


def predict_logits(model, extractor, store, batch_size: int = 32, device=None) -> np.ndarray:
    """Logits for every cached clip, padded and normalised exactly as the extractor does."""
    import torch

    from .features import FbankCollator

    collator = FbankCollator(extractor.max_length, extractor.mean, extractor.std)
    device = torch.device(device or "cpu")
    model.eval().to(device)
    out = []
    with torch.inference_mode():
        for start in range(0, len(store), batch_size):
            batch = collator([{"fbank": store[i]} for i in range(start, min(start + batch_size, len(store)))])
            out.append(model(input_values=batch["input_values"].to(device)).logits.float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.num_labels), dtype=np.float32)


@dataclass
class EvaluateArguments:
    model: str = field(metadata={"help": "Model folder written by the trainer (or any AST audio classifier)."})
    dataset: str = field(metadata={"help": "Builder output folder, save_to_disk folder or Hub dataset id."})
    split: str = field(default="test")
    output_dir: str | None = field(default=None, metadata={"help": "Default: MODEL/eval-SPLIT."})
    dataset_config: str | None = field(default=None)
    dataset_cache_dir: str | None = field(default=None, metadata={"help": "datasets' own cache folder."})
    batch_size: int = field(default=32)
    max_samples: int | None = field(default=None)
    cache_dir: str | None = field(default=None, metadata={"help": "Feature cache (default as the trainer's)."})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda, … (default: cuda if available)."})
    recalibrate_on: str | None = field(
        default=None,
        metadata={"help": "Refit the temperature and the 'not sure' threshold on this split (e.g. validation) in fp32 "
                  "and rewrite MODEL/calibration.json before the report."},
    )
    target_precision: float = field(
        default=0.95, metadata={"help": "With --recalibrate-on: validation precision the threshold is chosen for."}
    )

    def __post_init__(self) -> None:
        if not 0.0 < self.target_precision <= 1.0:
            raise ValueError(f"--target-precision must be in (0, 1], got {self.target_precision}")
        if self.recalibrate_on is not None and self.recalibrate_on == self.split:
            raise ValueError(
                f"--recalibrate-on {self.recalibrate_on!r} is the evaluated split: fit the calibration on another "
                "split (validation) so that the report stays honest"
            )


def run(args: EvaluateArguments) -> dict:
    """Load the model and split, predict (features cached), optionally recalibrate, and write the report."""
    import torch
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    from recognizer.model_files import save_calibration

    from .args import default_cache_dir
    from .calibration import calibrate
    from .data import load_cry_dataset, subset, validate
    from .features import cached_fbanks
    from .model import check_model_path

    check_model_path(args.model)
    model = AutoModelForAudioClassification.from_pretrained(args.model)
    extractor = AutoFeatureExtractor.from_pretrained(args.model)
    dsd = load_cry_dataset(args.dataset, args.dataset_config, cache_dir=args.dataset_cache_dir)
    splits = [args.split] + ([args.recalibrate_on] if args.recalibrate_on else [])
    dataset_names = validate(dsd, splits)
    model_names = [model.config.id2label[i] for i in range(model.config.num_labels)]
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")

    def split_logits(split: str):
        ds = subset(dsd[split], args.max_samples)
        store = cached_fbanks(ds, extractor.num_mel_bins, args.cache_dir or default_cache_dir(), desc=split)
        labels = model_label_ids(model_names, dataset_names)[store.labels]
        return ds, predict_logits(model, extractor, store, args.batch_size, device), labels

    out = args.output_dir or os.path.join(args.model, f"eval-{args.split}")
    if args.recalibrate_on:
        _, val_logits, val_labels = split_logits(args.recalibrate_on)
        calibration, cal_report = calibrate(val_logits, val_labels, args.target_precision)
        save_calibration(args.model, calibration)
        Path(out).mkdir(parents=True, exist_ok=True)
        cal_report["split"] = args.recalibrate_on
        (Path(out) / "calibration_report.json").write_text(json.dumps(cal_report, indent=2) + "\n", encoding="utf-8")
        logger.info("recalibrated on %s: temperature %.3f, threshold %.3f", args.recalibrate_on,
                    calibration.temperature, calibration.threshold)
    ds, logits, labels = split_logits(args.split)
    metrics = report(logits, labels, model_names, metadata_columns(ds), load_calibration(args.model), out, args.split)
    if args.recalibrate_on:
        from .card import refresh_model_card

        if not refresh_model_card(args.model, cal_report, markdown(metrics)):
            logger.warning("%s: no train_summary.json card entry; the model card was not updated", args.model)
    logger.info("wrote the report to %s", out)
    return metrics


def main(argv: list[str] | None = None) -> None:
    from transformers import HfArgumentParser

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    (args,) = HfArgumentParser(EvaluateArguments).parse_args_into_dataclasses(args=argv)
    metrics = run(args)
    print(markdown(metrics))


if __name__ == "__main__":
    main()

"""Learning curves from the Trainer's log history: a CSV and a PNG (loss and validation metrics per epoch)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

COLUMNS = ("epoch", "step", "train_loss", "eval_loss", "eval_accuracy", "eval_top5_accuracy", "eval_macro_f1", "learning_rate")


def curve_rows(log_history: list[dict]) -> list[dict]:
    """One row per epoch (or logging step), merging the train and eval log entries."""
    rows: dict[float, dict] = {}
    for entry in log_history:
        if "epoch" not in entry or "train_runtime" in entry:
            continue
        row = rows.setdefault(round(float(entry["epoch"]), 4), {"epoch": round(float(entry["epoch"]), 4)})
        row["step"] = entry.get("step", row.get("step"))
        if "loss" in entry:
            row["train_loss"] = entry["loss"]
            row["learning_rate"] = entry.get("learning_rate")
        for key in ("eval_loss", "eval_accuracy", "eval_top5_accuracy", "eval_macro_f1"):
            if key in entry:
                row[key] = entry[key]
    return [rows[k] for k in sorted(rows)]


def write_learning_curves(log_history: list[dict], output_dir: str | os.PathLike) -> tuple[Path, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(output_dir)
    rows = curve_rows(log_history)
    csv_path, png_path = out / "learning_curves.csv", out / "learning_curves.png"
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for key, style in (("train_loss", "o-"), ("eval_loss", "s-")):
        pts = [(r["epoch"], r[key]) for r in rows if r.get(key) is not None]
        if pts:
            ax_loss.plot(*zip(*pts, strict=True), style, label=key.replace("_", " "))
    for key, style in (("eval_accuracy", "o-"), ("eval_top5_accuracy", "s--"), ("eval_macro_f1", "^:")):
        pts = [(r["epoch"], r[key]) for r in rows if r.get(key) is not None]
        if pts:
            ax_acc.plot(*zip(*pts, strict=True), style, label=key.replace("eval_", "validation ").replace("_", " "))
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="score", title="Validation", ylim=(0, 1.02))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return csv_path, png_path

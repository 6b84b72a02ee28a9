"""The report's three plots: reliability diagram, confusion matrix (with names) and accuracy per SNR band."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .scoring import CAPTURE_BANDS, TOP_K, Scorer, confusion

MAX_NAMED_CLASSES = 40
"""A confusion matrix with more classes than this shows only the classes of the most frequent mistakes."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_reliability(probs: np.ndarray, labels: np.ndarray, path: Path, ece: float, n_bins: int = 15) -> None:
    """Accuracy against top-1 probability per bin, with the clip count per bin below."""
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


def confusion_classes(counts: np.ndarray, limit: int = MAX_NAMED_CLASSES) -> np.ndarray:
    """All classes when there are at most ``limit``, else those of the most frequent mistakes (sorted)."""
    n = len(counts)
    if n <= limit:
        return np.arange(n)
    mistakes = counts.copy()
    np.fill_diagonal(mistakes, 0)
    picked: list[int] = []
    for flat in np.argsort(-mistakes, axis=None, kind="stable"):
        t, p = np.unravel_index(flat, mistakes.shape)
        if mistakes[t, p] == 0:
            break
        picked += [c for c in (int(t), int(p)) if c not in picked]
        if len(picked) >= limit:
            break
    return np.asarray(sorted(picked[:limit]) or [0], dtype=np.int64)


def plot_confusion(labels: np.ndarray, preds: np.ndarray, names: list[str], path: Path) -> None:
    """Row-normalised confusion matrix with class names (scikit-learn's display); large ones as their top confusions."""
    from matplotlib.colors import PowerNorm
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = _pyplot()
    counts = confusion(labels, preds, len(names))
    keep = confusion_classes(counts)
    rows = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    sub = rows[np.ix_(keep, keep)]
    size = min(4 + len(keep) * 0.3, 24)
    fig, ax = plt.subplots(figsize=(size, size))
    display = ConfusionMatrixDisplay(sub, display_labels=[names[c] for c in keep])
    norm = PowerNorm(0.5, vmin=0, vmax=1)  # a square-root scale, so that a few mistakes stand out beside the diagonal
    display.plot(ax=ax, cmap="viridis", include_values=len(keep) <= 12, xticks_rotation="vertical", colorbar=False,
                 im_kw={"norm": norm})
    fig.colorbar(display.im_, ax=ax, fraction=0.046, pad=0.02)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontsize(7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(keep) < len(names):
        ax.set_title(f"Confusion matrix: the {len(keep)} of {len(names)} classes in the most frequent mistakes\n"
                     "(rows normalised over all predictions; square-root colour scale)")
    else:
        ax.set_title("Confusion matrix (rows normalised; square-root colour scale)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _rendition_curves(ax, x, bands, columns, logits, labels, temperature) -> None:
    score = Scorer()
    band_of = np.asarray(columns["snr_band"])
    renditions = np.asarray(["" if v is None else str(v) for v in columns["rendition"]])
    for r in sorted(set(renditions)):
        ys = []
        for b in bands:
            mask = (band_of == b) & (renditions == r)
            ys.append(score(logits[mask], labels[mask], temperature)["accuracy"] if mask.any() else np.nan)
        ax.plot(x, ys, ".:", label=f"{r or '(none)'}: top-1")


def plot_robustness(groups, columns, logits, labels, temperature, path: Path) -> None:
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
                ax.plot(x, [captures[b][key] if b in captures else np.nan for b in bands], style, label=f"captures: {name}")
        if "rendition" in columns:
            _rendition_curves(ax, x, bands, columns, logits, labels, temperature)
        ax.set_xticks(x, bands)
    else:
        ax.text(0.5, 0.5, "no snr_db column", ha="center", transform=ax.transAxes)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("background SNR band")
    ax.set_ylabel("accuracy")
    ax.set_title("Robustness to background noise")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # a dataset without renditions draws no labelled line
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

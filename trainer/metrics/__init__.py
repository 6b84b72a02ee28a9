"""The project's own ``evaluate`` metric modules, loadable offline.

``evaluate.load("accuracy")`` fetches its script from the Hub; these folders hold local scripts
that ``evaluate.load(metric_path(name))`` imports without any network call.
"""

from __future__ import annotations

from pathlib import Path

METRICS = ("accuracy", "top_k_accuracy", "macro_f1", "expected_calibration_error")


def metric_path(name: str) -> str:
    """Folder of the local metric module ``name`` (one of :data:`METRICS`)."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}")
    return str(Path(__file__).resolve().parent / name)


def load_metric(name: str):
    """``evaluate.load`` on the local module, kept in memory (no cache files, no Hub)."""
    import evaluate

    return evaluate.load(metric_path(name), keep_in_memory=True)

"""Whole recordings through the app's recogniser: top-1/top-5, the share answered and the precision of answers.

The pre-cut clip report (:mod:`.report`) scores what the trainer sees. This module scores what the app
answers: every recording goes through :meth:`recognizer.predict.Recognizer.predict` (trim, windows,
detector, calibrated temperature and "not sure" threshold), the same call ``/predict`` makes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .scoring import NO_BACKGROUND, TOP_K, group_order, snr_band

logger = logging.getLogger(__name__)

CAPTURE = "capture"
"""The condition of a phone's recording through a loudspeaker (the builder's name, reused by the held-out set)."""
RECORDING_COLUMNS = (
    "capture_snr_band", "capture_snr", "condition", "condition×rendition", "rendition", "snr_band", "snr_target",
    "snr_target×rendition", "background_kind", "background", "codec", "room", "agc", "low_cut", "high_cut", "loudspeaker",
    "level",
    "generation", "generation×snr_target", "generation×capture_snr_band", "generation×condition×rendition",
    "generation×capture_snr", "form", "form×snr_target",
)
"""The groups a recordings report shows (those the recordings have), in this order."""


def snr_groups(snr_db, is_capture: bool) -> dict[str, str]:
    """SNR band of any recording; for captures also the band alone and whether it is at least 10 dB."""
    band = snr_band(snr_db)
    groups = {"snr_band": band}
    if is_capture:
        groups["capture_snr_band"] = band
        if band != NO_BACKGROUND:
            groups["capture_snr"] = "≥ 10 dB" if float(snr_db) >= 10.0 else "< 10 dB"
    return groups


@dataclass(frozen=True)
class Recording:
    """One recording to name, the model label it should get, and the conditions it belongs to."""

    samples: np.ndarray
    sample_rate: int
    label: str
    groups: dict[str, str] = field(default_factory=dict)


def score_recordings(recognizer, recordings: Iterable[Recording], log_every: int = 200) -> list[dict]:
    """One row per recording: truth, top-k labels, whether the app answered (not "not sure"), its groups."""
    rows, started = [], time.perf_counter()
    for i, rec in enumerate(recordings, 1):
        pred = recognizer.predict(rec.samples, rec.sample_rate, top_k=TOP_K)
        guesses = [g.label for g in pred.guesses]
        rows.append({"label": rec.label, "guesses": guesses, "answered": not pred.not_sure, "reason": pred.reason,
                     "confidence": round(float(pred.confidence), 4), **rec.groups})
        if log_every and i % log_every == 0:
            logger.info("%d recordings scored (%.1f/s)", i, i / (time.perf_counter() - started))
    return rows


def summarise(rows: list[dict]) -> dict:
    """Top-1 and top-k over all recordings, the share answered, and the share of answers that are right."""
    n = len(rows)
    if not n:
        return {"n": 0, "top1": None, f"top{TOP_K}": None, "answered": None, "precision": None}
    top1 = np.asarray([bool(r["guesses"]) and r["guesses"][0] == r["label"] for r in rows])
    topk = np.asarray([r["label"] in r["guesses"][:TOP_K] for r in rows])
    answered = np.asarray([r["answered"] for r in rows])
    return {
        "n": n,
        "top1": float(top1.mean()),
        f"top{TOP_K}": float(topk.mean()),
        "answered": float(answered.mean()),
        "precision": float(top1[answered].mean()) if answered.any() else None,
    }


CROSS = "×"
"""A group column ``a×b`` groups by the pair of values (``capture / latest``), over rows that have both."""


def group_value(row: dict, column: str) -> str | None:
    """The row's value of ``column`` (a crossed column joins its parts); None when the row lacks one."""
    keys = column.split(CROSS)
    if any(k not in row or row[k] in (None, "") for k in keys):
        return None
    return " / ".join(str(row[k]) for k in keys)


def summarise_groups(rows: list[dict], columns: Iterable[str]) -> dict:
    """The summary overall and per value of each group column present in the rows."""
    out = {"overall": summarise(rows), "groups": {}}
    for column in columns:
        values = [group_value(r, column) for r in rows]
        present = sorted({v for v in values if v is not None}, key=group_order)
        if present:
            out["groups"][column] = {p: summarise([r for r, v in zip(rows, values, strict=True) if v == p]) for p in present}
    return out


def recipe_codec(recipe: str | None) -> str | None:
    """A capture's codec read from the builder's ``recipe`` JSON: its name (``gsm``, ``g711``, ``mp3``, ``aac``,
    ``opus``), ``none``, or ``double`` (encoded twice); ``None`` for a row without a codec step (clean, augmented).

    It lets a family hold-out (``--holdout-family codec=…``) be tested on the builder's own test captures too.
    """
    if not recipe:
        return None
    for step in json.loads(recipe).get("transforms", []):
        if step.get("name") == "codec":
            return "double" if "second_codec" in step else str(step.get("codec", "none"))
    return None


def dataset_recordings(ds, dataset_names: list[str], model_labels: list[str]) -> Iterator[Recording]:
    """The rows of a builder split as recordings, grouped like the clip report (rendition, condition, SNR band, …),
    by generation when the dataset has the column, and by codec when it has the builder's ``recipe``.

    Rows of the ``no_cry`` class are left out: these reports score naming cries (the app never names
    ``no_cry``; ``benchmarks/eval_not_sure.py`` measures what it says where there is no cry).
    """
    from common.species import NO_CRY_LABEL

    from .clips import metadata_columns, model_label_ids

    model_label_ids(model_labels, [n for n in dataset_names if n != NO_CRY_LABEL])  # every species must be a model label
    meta = metadata_columns(ds)
    recipes = ds["recipe"] if "recipe" in ds.column_names else None
    for i, row in enumerate(ds.select_columns(["audio", "label"])):
        if dataset_names[row["label"]] == NO_CRY_LABEL:
            continue
        groups = {c: ("" if meta[c][i] is None else str(meta[c][i])) for c in meta if c != "snr_db"}
        if "snr_db" in meta:
            groups.update(snr_groups(meta["snr_db"][i], groups.get("condition") == CAPTURE))
        codec = recipe_codec(recipes[i]) if recipes is not None else None
        if codec is not None:
            groups["codec"] = codec
        audio = row["audio"]
        yield Recording(np.asarray(audio["array"], dtype=np.float32), int(audio["sampling_rate"]),
                        dataset_names[row["label"]], groups)


def _cell(summary: dict) -> str:
    if not summary["n"]:
        return "0 | – | – | – | –"
    precision = "–" if summary["precision"] is None else f"{summary['precision']:.1%}"
    return (f"{summary['n']} | {summary['top1']:.1%} | {summary[f'top{TOP_K}']:.1%} | {summary['answered']:.1%} | "
            f"{precision}")


def markdown_recordings(sets: dict[str, dict]) -> str:
    """Side-by-side tables (one column block per set) for every group any set has, then the overall rows."""
    names = list(sets)
    head = "| group | " + " | ".join(
        f"{name}: n | top-1 | top-{TOP_K} | answered | right among answers" for name in names
    ) + " |"
    rule = "|---|" + "|".join(["---:|---:|---:|---:|---:"] * len(names)) + "|"
    empty = {"n": 0}
    lines = ["## Through the app's recogniser (whole recordings)", "", head, rule,
             "| all | " + " | ".join(_cell(sets[n]["overall"]) for n in names) + " |"]
    columns = list(dict.fromkeys(c for n in names for c in sets[n]["groups"]))
    for column in columns:
        values = sorted({v for n in names for v in sets[n]["groups"].get(column, {})}, key=group_order)
        for value in values:
            cells = [_cell(sets[n]["groups"].get(column, {}).get(value, empty)) for n in names]
            lines.append(f"| {column} = {value} | " + " | ".join(cells) + " |")
    lines += ["", "top-1 / top-5: the right species first / among the five shown, over all recordings; answered: "
              "not \"not sure\"; right among answers: top-1 over the answered recordings (the precision of answers)."]
    return "\n".join(lines) + "\n"

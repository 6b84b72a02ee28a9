"""The app's-path report: the in-distribution split and/or the held-out set through the recogniser, side by side."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

from .recordings import (
    RECORDING_COLUMNS,
    dataset_recordings,
    markdown_recordings,
    score_recordings,
    summarise_groups,
)

logger = logging.getLogger(__name__)

IN_DISTRIBUTION = "in-distribution"
HELD_OUT = "held-out simulator"
REAL_PARTS = "real parts"


def _dataset_rows(args, recognizer) -> list[dict]:
    return score_recordings(recognizer, dataset_set(args, recognizer))


def heldout_plan(args, seed: int, snr_db=None):
    """The held-out set the arguments ask for, drawn from ``seed`` (at ``snr_db``, default ``--snr-db``)."""
    from heldout.cries import parse_ids

    from .heldout_set import HeldoutPlan

    return HeldoutPlan(args.cries_dir, parse_ids(args.ids), args.rendition_list,
                       tuple(args.snr_values if snr_db is None else snr_db), args.clean_lead_in, seed, args.forms_csv)


def describe_plan(args, plan) -> dict:
    described = {"cries_dir": str(args.cries_dir), "ids": args.ids, "renditions": list(plan.renditions),
                 "snr_db": list(plan.snr_db), "clean_lead_in": plan.clean_lead_in, "seed": plan.seed}
    return described if plan.pokemon_csv is None else {**described, "forms_csv": str(plan.pokemon_csv)}


def describe_real_parts(args, plan) -> dict:
    """The real-parts set's plan: the held-out plan plus the folders of its measured parts and music."""
    return {**describe_plan(args, plan), "real_parts": str(args.real_parts), "music": str(args.real_parts_music)}


def heldout_set(args, recognizer, plan, simulator=None):
    """The plan's recordings (a generator) for ``recognizer``'s labels (``simulator``: default the held-out one)."""
    from .heldout_set import generations_by_pokedex_id, heldout_recordings, labels_by_pokedex_id

    pokedex = recognizer.bundle.pokedex
    label_of_id = labels_by_pokedex_id(pokedex, recognizer.bundle.labels)
    return heldout_recordings(plan, label_of_id, simulator, generation_of_id=generations_by_pokedex_id(pokedex))


def dataset_set(args, recognizer):
    """The ``--dataset`` split's recordings (a generator) for ``recognizer``'s labels."""
    from ..data import load_cry_dataset, subset, validate

    dsd = load_cry_dataset(args.dataset, args.dataset_config, cache_dir=args.dataset_cache_dir)
    names = validate(dsd, [args.split])
    ds = subset(dsd[args.split], args.max_samples)
    logger.info("scoring %d %s recordings of %s through the recogniser", len(ds), args.split, args.dataset)
    return dataset_recordings(ds, names, recognizer.bundle.labels)


def _heldout_rows(args, recognizer, simulator=None) -> tuple[list[dict], dict]:
    plan = heldout_plan(args, args.heldout_seed)
    rows = score_recordings(recognizer, heldout_set(args, recognizer, plan, simulator))
    if not rows:
        raise ValueError(f"{args.cries_dir}: no reference cry for ids {args.ids} that the model has a label for")
    return rows, describe_plan(args, plan)


def _real_parts_rows(args, recognizer) -> tuple[list[dict], dict]:
    """The held-out plan through the chain with real recorded parts (:func:`heldout.simulator.real_parts_simulator`)."""
    from heldout.simulator import real_parts_simulator

    rows, _ = _heldout_rows(args, recognizer, real_parts_simulator(args.real_parts, args.real_parts_music))
    return rows, describe_real_parts(args, heldout_plan(args, args.heldout_seed))


def write_rows(path: Path, rows: list[dict]) -> None:
    """One CSV line per recording (truth, guesses, answered, groups) for digging into mistakes."""
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows({**r, "guesses": " > ".join(r["guesses"])} for r in rows)


def recordings_report(args, output_dir) -> dict:
    """Score the asked-for sets through the recogniser; write recordings.json, recordings.md and the rows CSVs."""
    from recognizer.predict import Recognizer

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    recognizer = Recognizer.from_pretrained(args.model, threads=args.threads)
    sets, plans = {}, {}
    if args.dataset is not None:
        rows = _dataset_rows(args, recognizer)
        sets[IN_DISTRIBUTION] = summarise_groups(rows, RECORDING_COLUMNS)
        plans[IN_DISTRIBUTION] = {"dataset": args.dataset, "split": args.split, "max_samples": args.max_samples}
        write_rows(out / "recordings_in_distribution.csv", rows)
    if args.heldout_sim:
        rows, plans[HELD_OUT] = _heldout_rows(args, recognizer)
        sets[HELD_OUT] = summarise_groups(rows, RECORDING_COLUMNS)
        write_rows(out / "recordings_heldout.csv", rows)
    if args.real_parts is not None:
        rows, plans[REAL_PARTS] = _real_parts_rows(args, recognizer)
        sets[REAL_PARTS] = summarise_groups(rows, RECORDING_COLUMNS)
        write_rows(out / "recordings_real_parts.csv", rows)
    metrics = {"model": str(args.model), "threshold": recognizer.threshold, "plans": plans, "sets": sets}
    (out / "recordings.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "recordings.md").write_text(markdown_recordings(sets), encoding="utf-8")
    return metrics

"""How well enrolment names species the model never trained on (issue "Every Pokémon", "proof that it generalises").

Every species of ``--ids`` (default: Gen 2, 152–251, which the embedded model never heard) is enrolled into
``--model`` from its reference cries only (each rendition ``../shared/pokeapi/cries`` has: one row per species,
``recognizer.enrol``'s prototype of their windows), then the held-out simulator's captures of those cries
(``heldout/``: other rooms, loudspeakers, codecs and backgrounds than the training chain) are named through the
app's path (``Recognizer.predict``: windows, detector, calibrated "not sure"). Beside them, the trained species
(``--trained-ids``, Gen 1) on the same simulator, before and after enrolling, show what enrolment costs them.

    python benchmarks/eval_enrol_unseen.py --model models/default [--ids 152-251] [--trained-ids 1-151]
        [--snr-db 20,10,0] [--threads 2] [--captures-per-cry 10] [--row-per-cry] [--capture-rows 1]

``--captures-per-cry N`` enrols each species from its reference cries and N simulated phone captures of each
(the builder's chain, :class:`dataset_builder.captures.CaptureMaker`), as ``recognizer.enrol --captures`` does;
``--row-per-cry`` gives each reference cry (each rendition) a row of its own, as ``--row-per-recording`` does;
``--capture-rows K`` splits the captures into up to K rows, as ``recognizer.enrol --capture-rows`` does. Each
species gets its own "not sure" threshold from the folder's stored negatives, as ``recognizer.enrol`` gives it
(``--model-threshold``: the model's threshold for all).

Prints a table and writes ``benchmarks/results/enrol_unseen.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402
from heldout.cries import parse_ids  # noqa: E402
from recognizer.label_thresholds import DEFAULT_MAX_FALSE_ANSWERS  # noqa: E402

SHARED = ROOT.parent / "shared" / "pokeapi"
ENGLISH = "9"  # PokeAPI's local_language_id of English


def english_names(csv_dir: Path) -> dict[int, str]:
    """Pokédex id → English species name, from PokeAPI's ``pokemon_species_names.csv``."""
    with open(csv_dir / "pokemon_species_names.csv", newline="", encoding="utf-8") as f:
        return {int(r["pokemon_species_id"]): r["name"] for r in csv.DictReader(f) if r["local_language_id"] == ENGLISH}


def enrol_all(bundle, ids: list[int], names: dict[int, str], cries_dir: Path, renditions: tuple[str, ...],
              captures_per_cry: int = 0, row_per_cry: bool = False, capture_rows: int = 1,
              max_false_answers: float | None = None):
    """Add one head row per species of ``ids`` (one per reference cry with ``row_per_cry``, as ``recognizer.enrol
    --row-per-recording``) from its reference cries (and, with ``captures_per_cry``, simulated captures of them, as
    ``recognizer.enrol --captures``, split into up to ``capture_rows`` rows as ``--capture-rows``), each with a
    threshold of its own when ``max_false_answers`` is given and the folder stores negatives (``recognizer.enrol
    --max-false-answers``): the bundle after, and Pokédex id → label."""
    from heldout.cries import load_cry
    from recognizer.enrol import (
        add_rows,
        enrolled_rows,
        enrolment_maps,
        window_embeddings,
        with_label_threshold,
    )
    from recognizer.label_thresholds import load_negatives
    from recognizer.row_map import CAPTURES_ROW_MAP_FILE
    from trainer.enrol_map import captures_by_id, cries_by_id

    maps = enrolment_maps(bundle)  # recognizer.enrol's rule and the folder's maps, read once
    if captures_per_cry and maps[1] is None:
        sys.exit(f"--captures-per-cry: {bundle.directory} has no {CAPTURES_ROW_MAP_FILE}; fit it with python -m "
                 "trainer.enrol_map --captures-per-cry N")
    by_id = cries_by_id(cries_dir, ids, renditions, decode=load_cry)
    captured = captures_by_id(by_id, captures_per_cry) if captures_per_cry else {}
    negatives = load_negatives(bundle.directory) if max_false_answers is not None else None
    enrolled = {}
    for pid in sorted(by_id):
        label = names.get(pid, f"#{pid}")
        windows = window_embeddings(bundle, captured[pid]) if captures_per_cry else None
        references = [window_embeddings(bundle, [cry]) for cry in by_id[pid]]
        bundle = add_rows(bundle, label, enrolled_rows(bundle, references, windows, maps=maps, per_recording=row_per_cry,
                                                       capture_rows=capture_rows))
        if negatives is not None:
            bundle, _ = with_label_threshold(bundle, label, negatives, max_false_answers)
        enrolled[pid] = label
    return bundle, enrolled


def score(recognizer, recordings) -> dict:
    """Top-1, share answered and precision of answers, overall and per SNR target / rendition; and why the
    unanswered recordings got "not sure" (``not_sure_reasons``: ``no_cry`` most probable, low confidence, ...)."""
    from trainer.evaluation.recordings import score_recordings, summarise_groups

    rows = score_recordings(recognizer, recordings, log_every=0)
    summary = summarise_groups(rows, ["snr_target", "condition", "rendition"])
    summary["not_sure_reasons"] = dict(Counter(r["reason"] for r in rows if not r["answered"]).most_common())
    return summary


def recordings(cries_dir: Path, ids: list[int], labels: dict[int, str], snr_db: tuple[float, ...], renditions):
    from trainer.evaluation.heldout_set import HeldoutPlan, heldout_recordings

    plan = HeldoutPlan(cries_dir, ids, renditions, snr_db, clean_lead_in=True, seed=0)
    return list(heldout_recordings(plan, labels))


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The options this script shares with ``enrol_rules.py``: which species and captures, threads, where ../shared is."""
    parser.add_argument("--ids", default="152-251", help="species to enrol (never trained)")
    parser.add_argument("--snr-db", default="20,10,0")
    parser.add_argument("--renditions", default="latest,legacy")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shared", default=str(SHARED))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)


def shared_folders(shared: str, script: str) -> tuple[Path, Path]:
    """The cries folder and PokeAPI's CSV folder under ``shared``; exits with a clear message when either is missing."""
    root = Path(shared)
    cries_dir, csv_dir = root / "cries", root / "pokeapi" / "data" / "v2" / "csv"
    if not cries_dir.is_dir() or not csv_dir.is_dir():
        sys.exit(f"{script}: {root} has no cries/ or pokeapi/data/v2/csv/; expected ../shared/pokeapi")
    return cries_dir, csv_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    add_common_arguments(parser)
    parser.add_argument("--trained-ids", default="1-151", help="species the model was trained on (the control)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "enrol_unseen.json"))
    parser.add_argument("--captures-per-cry", type=int, default=0,
                        help="enrol from the reference cries and this many simulated captures of each (recognizer.enrol "
                             "--captures; needs the model's captures map)")
    parser.add_argument("--row-per-cry", action="store_true",
                        help="one row per reference cry (each rendition) instead of one per species (recognizer.enrol "
                             "--row-per-recording)")
    parser.add_argument("--capture-rows", type=int, default=1,
                        help="split each species' (each cry's, with --row-per-cry) captures into up to this many rows "
                             "(recognizer.enrol --capture-rows)")
    parser.add_argument("--max-false-answers", type=float, default=DEFAULT_MAX_FALSE_ANSWERS,
                        help="recognizer.enrol --max-false-answers (each species' own threshold, when the folder stores "
                             "negatives)")
    parser.add_argument("--model-threshold", action="store_true",
                        help="as recognizer.enrol --model-threshold: every species judged on the model's threshold")
    args = parser.parse_args()

    from recognizer.loading import load_model
    from recognizer.predict import Recognizer
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    cries_dir, csv_dir = shared_folders(args.shared, "eval_enrol_unseen.py")
    snr_db, renditions = tuple(float(s) for s in args.snr_db.split(",")), tuple(args.renditions.split(","))
    started = time.perf_counter()
    bundle = load_model(args.model)
    trained_labels = labels_by_pokedex_id(bundle.pokedex, bundle.labels)
    trained = [i for i in parse_ids(args.trained_ids) if i in trained_labels]
    unseen = [i for i in parse_ids(args.ids) if i not in trained_labels]
    trained_recordings = recordings(cries_dir, trained, trained_labels, snr_db, renditions)
    before = score(Recognizer(bundle, threads=args.threads), trained_recordings)
    names = english_names(csv_dir)
    unseen_recordings = recordings(cries_dir, unseen, {i: names.get(i, f"#{i}") for i in unseen}, snr_db, renditions)
    # unknown sounds: before enrolling, the model cannot name them, so every answer is wrong; "not sure" is right
    not_enrolled = score(Recognizer(bundle, threads=args.threads), unseen_recordings)

    bundle, enrolled = enrol_all(bundle, unseen, names, cries_dir, renditions, args.captures_per_cry, args.row_per_cry,
                                 args.capture_rows, None if args.model_threshold else args.max_false_answers)
    thresholds = list(bundle.calibration.label_thresholds.values())
    recognizer = Recognizer(bundle, threads=args.threads)  # the same bundle, its head now with the enrolled rows
    after = score(recognizer, trained_recordings)
    unseen_scores = score(recognizer, unseen_recordings)

    result = {
        "model": args.model, "enrolled_ids": args.ids, "enrolled": len(enrolled), "labels_after": len(set(bundle.labels)),
        "head_rows_after": len(bundle.labels),
        "captures_per_cry": args.captures_per_cry, "row_per_cry": args.row_per_cry, "capture_rows": args.capture_rows,
        "label_thresholds": {"labels": len(thresholds), "max_false_answers": None if args.model_threshold
                             else args.max_false_answers, "min": min(thresholds, default=None),
                             "median": float(np.median(thresholds)) if thresholds else None,
                             "max": max(thresholds, default=None)},
        "trained_ids": args.trained_ids, "snr_db": list(snr_db), "renditions": list(renditions),
        "enrolled_species": unseen_scores, "not_enrolled": not_enrolled, "trained_before": before, "trained_after": after,
        "seconds": round(time.perf_counter() - started, 1), "machine": platform.processor() or platform.machine(),
    }
    out = results_file(args.output, args.update)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(f"wrote {out}")


def table(result: dict) -> str:
    def cell(summary: dict | None) -> str:
        if not summary or not summary["n"]:
            return "–"
        return f"{summary['top1']:.1%} ({summary['n']})"

    heads = [f"{s:g} dB" for s in result["snr_db"]] + ["clean after a lead-in"]
    lines = ["| species | " + " | ".join(heads) + " | answered / right among answers (all) |",
             "| --- |" + " ---: |" * (len(heads) + 1)]
    rows = (("never trained, not enrolled (every answer is wrong)", "not_enrolled"),
            ("enrolled, never trained", "enrolled_species"), ("trained, before enrolling", "trained_before"),
            ("trained, after enrolling", "trained_after"))
    for name, key in rows:
        if key not in result:  # results written before the row existed
            continue
        s = result[key]
        cells = [cell(s["groups"].get("snr_target", {}).get(h)) for h in heads[:-1]]
        cells.append(cell(next(iter(v for k, v in s["groups"].get("condition", {}).items() if k != "capture"), None)))
        o = s["overall"]
        precision = "–" if o["precision"] is None else f"{o['precision']:.1%}"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {o['answered']:.1%} / {precision} |")
    rows = result.get("head_rows_after", result["labels_after"])
    lines.append(f"\n{result['enrolled']} species enrolled ({result['labels_after']} labels, {rows} head rows); top-1 over recordings "
                 f"(n in brackets); {result['seconds']:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

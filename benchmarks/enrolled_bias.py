"""What the enrolled species' rows cost the trained ones, and what lowering those rows buys back: replayed from
saved window logits, no model run (issue "Every Pokémon": enrolling must not cost the trained species).

Every enrolled row adds to the softmax's denominator. One enrolled sound hardly moves a trained species'
probability; a thousand rows (``python -m trainer.enrol_species``) take enough of it that trained species fall
under the "not sure" threshold more often. This adds ``shift`` logits to every enrolled row (a lower bias: the
same as giving each enrolled row ``bias + shift``), refits the app's calibration on the validation draw (the
model's threshold beside the enrolled labels' own, :func:`trainer.evaluation.heldout_calibration.fit_app_calibration`)
for ``--target-precision``, and replays every set, trained and enrolled species apart. ``--shifts`` may include
``-inf`` (the enrolled rows never win: the trained model alone, calibrated on the same draw).

    python benchmarks/enrolled_bias.py --model runs/all-enrolled --scores-dir runs/all-enrolled-scores \\
        --shifts=-inf,0,-1,-2,-3 [--target-precision 0.99 | --model-calibration]
        [--output benchmarks/results/enrolled_bias.json] [--update]

The scores come from ``python -m trainer.evaluate --recalibrate-on heldout-sim --window-scores``; a shift is
chosen on the validation draw (seed 1), the evaluation draws only report it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file, write_results  # noqa: E402
from benchmarks.trained_vs_enrolled import all_species_line, kind_cells, replayed_by_kind  # noqa: E402

SCORES = {"validation": "window_scores_validation.npz", "held-out simulator": "window_scores_heldout.npz",
          "real parts": "window_scores_real_parts.npz"}
NEVER = -1e4
"""logits. What ``-inf`` becomes: low enough that no enrolled row ever wins, finite so the softmax stays defined."""


def shifted(scored: list, rows: np.ndarray, shift: float) -> list:
    """``scored`` with ``shift`` added to the logits of ``rows`` (the enrolled rows) in every window."""
    from trainer.evaluation.window_logits import ScoredRecording

    out = []
    for rec in scored:
        logits = rec.scores.logits.copy()
        logits[:, rows] += shift
        out.append(ScoredRecording(rec.label, rec.groups, dataclasses.replace(rec.scores, logits=logits)))
    return out


def study(model: str, scores_dir: Path, shifts: list[float], target_precision: float | None) -> list[dict]:
    """One entry per shift: the fitted calibration (``target_precision`` None: the model's own, not refitted) and
    every set summarised by kind (trained / enrolled)."""
    from benchmarks.heldout_calibration_targets import model_labels
    from recognizer.model_files import load_calibration
    from trainer.evaluation.heldout_calibration import fit_app_calibration
    from trainer.evaluation.window_logits import load_scored

    labels, start = model_labels(model), load_calibration(model)
    enrolled = set(start.label_thresholds)
    if not enrolled:
        raise SystemExit(f"enrolled_bias.py: {model} has no enrolled labels (calibration.json's label_thresholds)")
    rows = np.asarray([i for i, label in enumerate(labels) if label in enrolled])
    sets = {name: load_scored(scores_dir / file) for name, file in SCORES.items() if (scores_dir / file).is_file()}
    if "validation" not in sets:
        raise SystemExit(f"enrolled_bias.py: {scores_dir} has no {SCORES['validation']}; expected a trainer.evaluate "
                         "--recalibrate-on heldout-sim --window-scores output folder")
    out = []
    for shift in shifts:
        moved = {name: shifted(scored, rows, max(shift, NEVER)) for name, scored in sets.items()}
        calibration = start if target_precision is None else fit_app_calibration(
            moved["validation"], labels, target_precision, start)[0]
        entry = {"shift": shift, "temperature": calibration.temperature, "threshold": calibration.threshold, "sets": {}}
        for name, scored in moved.items():
            entry["sets"][name] = replayed_by_kind(scored, labels, calibration, enrolled)
        out.append(entry)
    return out


def table(entries: list[dict]) -> str:
    lines = ["| shift | T | threshold | set | species | 20 dB | 10 dB | 0 dB | clean after a lead-in: latest / legacy | "
             "at ≥ 10 dB: answered / right among answers |", "| ---: | ---: | ---: | --- | --- |" + " ---: |" * 5]
    for e in entries:
        for name, summary in e["sets"].items():
            for kind in ("trained", "enrolled"):
                cells = kind_cells(summary, kind)
                if cells is not None:
                    lines.append(f"| {e['shift']:g} | {e['temperature']:.3f} | {e['threshold']:.3f} | {name} | {kind} | "
                                 + " | ".join(cells) + " |")
    totals = [all_species_line(f"shift {e['shift']:g}, {name}", summary) for e in entries
              for name, summary in e["sets"].items()]
    return "\n".join(lines + [""] + totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the model folder with enrolled species")
    parser.add_argument("--scores-dir", required=True, help="trainer.evaluate --window-scores' --output-dir")
    parser.add_argument("--shifts", default="-inf,0,-1,-2,-3", help="logits added to every enrolled row")
    parser.add_argument("--target-precision", type=float, default=0.99)
    parser.add_argument("--model-calibration", action="store_true",
                        help="replay every shift under the model's own calibration instead of refitting it")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "enrolled_bias.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()
    shifts = [float(s) for s in args.shifts.split(",")]
    target = None if args.model_calibration else args.target_precision
    entries = study(args.model, Path(args.scores_dir), shifts, target)
    write_results(results_file(args.output, args.update),
                  {"model": args.model, "scores_dir": args.scores_dir, "target_precision": target,
                   "shifts": [e | {"shift": str(e["shift"])} for e in entries]}, table(entries))


if __name__ == "__main__":
    main()

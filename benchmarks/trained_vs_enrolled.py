"""A model's recordings report split into the species it was trained on and those enrolled into it (issue "Every
Pokémon": ids 152–1025 beside Gen 1, through the app's path).

``python -m trainer.evaluate --heldout-sim [--real-parts DIR] --output-dir DIR`` writes one CSV line per recording
(``recordings_heldout.csv``, ``recordings_real_parts.csv``). This script reads them back, marks each recording's
species *trained* or *enrolled* (enrolled: a label with a "not sure" threshold of its own in the model folder's
``calibration.json``, as ``python -m trainer.enrol_species`` and ``recognizer.enrol`` give it), and summarises
each part with the evaluator's own :func:`trainer.evaluation.recordings.summarise_groups`: top-1 at each SNR
target, a clean cry after a lead-in per rendition, and at ≥ 10 dB the share answered and right among answers.
Nothing is scored again.

    python benchmarks/trained_vs_enrolled.py --model runs/all-enrolled --recordings runs/all-enrolled-eval \\
        [--output benchmarks/results/all_species_enrolled/trained_vs_enrolled.json] [--update]

``--scores-dir DIR`` reads the window logits ``trainer.evaluate --recalibrate-on heldout-sim --window-scores``
kept instead (``window_scores_heldout.npz``, ``window_scores_real_parts.npz``) and replays the recogniser's
answers under ``--calibration FILE`` (a ``calibration.json``; default: the model folder's), as
``benchmarks/heldout_calibration_targets.py`` does: one calibration against another on the same recordings.

Rows fitted by ``trainer.enrol_species --rows fitted`` have no thresholds of their own: ``--trained-model DIR``
(the folder the species were enrolled into) marks every label it lacks as enrolled instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.compare_recordings import pct  # noqa: E402
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

SETS = {"held-out simulator": "recordings_heldout.csv", "real parts": "recordings_real_parts.csv"}
SCORES = {"held-out simulator": "window_scores_heldout.npz", "real parts": "window_scores_real_parts.npz"}
COLUMNS = ("kind", "kind×snr_target", "kind×condition×rendition", "kind×capture_snr", "kind×generation", "capture_snr")


def with_kind(rows: list[dict], enrolled: set[str]) -> list[dict]:
    """``rows`` (recordings as the evaluator summarises them), each given its ``kind``: trained or enrolled."""
    for row in rows:
        row["kind"] = "enrolled" if row["label"] in enrolled else "trained"
    return rows


def replayed_by_kind(scored: list, labels: list[str], calibration, enrolled: set[str]) -> dict:
    """:func:`summarise_groups` by kind of saved window scores replayed under ``calibration`` (the recogniser's rule)."""
    from trainer.evaluation.recordings import summarise_groups
    from trainer.evaluation.window_logits import replay_rows

    return summarise_groups(with_kind(replay_rows(scored, labels, calibration), enrolled), COLUMNS)


def kind_cells(summary: dict, kind: str) -> list[str] | None:
    """One kind's table cells (20 / 10 / 0 dB, a clean cry after a lead-in, answered / right at ≥ 10 dB); None
    when the set has no recording of that kind."""
    groups = summary["groups"]
    if not groups.get("kind", {}).get(kind, {}).get("n"):
        return None
    snr = [pct(groups.get("kind×snr_target", {}).get(f"{kind} / {s}")) for s in ("20 dB", "10 dB", "0 dB")]
    lead = groups.get("kind×condition×rendition", {})
    high = groups.get("kind×capture_snr", {}).get(f"{kind} / ≥ 10 dB")
    return [*snr, " / ".join(pct(lead.get(f"{kind} / clean cry after a lead-in / {r}")) for r in ("latest", "legacy")),
            f"{pct(high, 'answered')} / {pct(high, 'precision')}"]


def all_species_line(name: str, summary: dict) -> str:
    """Every species of a set together: answered / right among answers at ≥ 10 dB, top-1 over every recording."""
    high = summary["groups"].get("capture_snr", {}).get("≥ 10 dB")
    return (f"{name}, every species: at ≥ 10 dB answered {pct(high, 'answered')}, right among answers "
            f"{pct(high, 'precision')}; top-1 over every recording {pct(summary['overall'])}")


def read_rows(path: Path, enrolled: set[str]) -> list[dict]:
    """The report's recordings as the evaluator summarises them (guesses a list, answered a bool), each with its
    ``kind``: trained or enrolled."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["guesses"] = row["guesses"].split(" > ") if row["guesses"] else []
        row["answered"] = row["answered"] == "True"
    return with_kind(rows, enrolled)


def enrolled_labels(model: Path, calibration_thresholds: dict, trained_model: Path | None) -> set[str]:
    """The labels to count as enrolled: those ``trained_model`` lacks, else those with thresholds of their own."""
    if trained_model is None:
        return set(calibration_thresholds)
    from benchmarks.heldout_calibration_targets import model_labels

    return set(model_labels(str(model))) - set(model_labels(str(trained_model)))


def summarise_report(model: Path, recordings: Path, trained_model: Path | None = None) -> dict:
    """Set name → :func:`summarise_groups` over its recordings, by kind."""
    from trainer.evaluation.recordings import summarise_groups

    calibration = json.loads((model / "calibration.json").read_text(encoding="utf-8"))
    enrolled = enrolled_labels(model, calibration.get("label_thresholds", {}), trained_model)
    out = {}
    for name, file in SETS.items():
        if (recordings / file).is_file():
            out[name] = summarise_groups(read_rows(recordings / file, enrolled), COLUMNS)
    if not out:
        raise SystemExit(f"trained_vs_enrolled.py: {recordings} has none of {', '.join(SETS.values())}; expected a "
                         "python -m trainer.evaluate --heldout-sim output folder")
    return out


def summarise_scores(model: Path, scores_dir: Path, calibration_file: Path | None,
                     trained_model: Path | None = None) -> dict:
    """Set name → :func:`summarise_groups` over the recordings replayed from saved window logits under a
    calibration, by kind (enrolled: :func:`enrolled_labels`)."""
    from benchmarks.heldout_calibration_targets import model_labels
    from recognizer.model_files import Calibration
    from trainer.evaluation.window_logits import load_scored

    path = calibration_file or model / "calibration.json"
    calibration = Calibration(**json.loads(path.read_text(encoding="utf-8")))
    labels = model_labels(str(model))
    enrolled = enrolled_labels(model, calibration.label_thresholds, trained_model)
    out = {}
    for name, file in SCORES.items():
        if (scores_dir / file).is_file():
            out[name] = replayed_by_kind(load_scored(scores_dir / file), labels, calibration, enrolled)
    if not out:
        raise SystemExit(f"trained_vs_enrolled.py: {scores_dir} has none of {', '.join(SCORES.values())}; expected "
                         "a python -m trainer.evaluate --recalibrate-on heldout-sim --window-scores output folder")
    return out


def table(sets: dict) -> str:
    lines = ["| set | species | recordings | 20 dB | 10 dB | 0 dB | clean after a lead-in: latest / legacy | at ≥ 10 dB: "
             "answered / right among answers |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, summary in sets.items():
        for kind in ("trained", "enrolled"):
            cells = kind_cells(summary, kind)
            if cells is not None:
                n = summary["groups"]["kind"][kind]["n"]
                lines.append(f"| {name} | {kind} | {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines + [""] + [all_species_line(name, summary) for name, summary in sets.items()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the model folder the report was made with")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--recordings", help="python -m trainer.evaluate's --output-dir (its recordings_*.csv)")
    source.add_argument("--scores-dir", help="python -m trainer.evaluate --window-scores' --output-dir (replayed)")
    parser.add_argument("--calibration", help="with --scores-dir: the calibration.json to replay under (default: "
                                              "the model folder's)")
    parser.add_argument("--trained-model", help="the folder the species were enrolled into: its labels are the "
                                                "trained ones (default: enrolled = labels with thresholds of their own)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "trained_vs_enrolled.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()
    trained = Path(args.trained_model) if args.trained_model else None
    if args.recordings:
        sets = summarise_report(Path(args.model), Path(args.recordings), trained)
    else:
        sets = summarise_scores(Path(args.model), Path(args.scores_dir),
                                Path(args.calibration) if args.calibration else None, trained)
    out = results_file(args.output, args.update)
    out.write_text(json.dumps({"model": args.model, "recordings": args.recordings, "scores_dir": args.scores_dir,
                               "calibration": args.calibration, "trained_model": args.trained_model,
                               "sets": sets}, indent=2, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    print(table(sets))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

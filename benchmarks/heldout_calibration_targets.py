"""What each precision target costs: calibrations refitted from saved window logits, no model run.

``python -m trainer.evaluate ... --recalibrate-on heldout-sim --window-scores --output-dir DIR`` keeps every
set's window logits (``DIR/window_scores_*.npz``). This refits the temperature and the "not sure" threshold on
the validation draw for each ``--targets`` value and replays the recogniser's answers on the other sets: the
share answered and the precision of answers at ≥ 10 dB (captures) and over all recordings. With ``--swap``
it also fits on the held-out evaluation draw and scores the validation draw (does the target hold both ways?).

    python benchmarks/heldout_calibration_targets.py --scores-dir DIR --model models/default --targets 0.95,0.98,0.99

Prints a table and writes ``targets.json`` and ``targets.md`` into ``--output-dir`` (default ``--scores-dir``).
``--save-calibration 0.985`` also writes that target's calibration (fitted on the validation draw) there as
``calibration.json``, ready to copy into the model folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from recognizer.model_files import load_calibration, save_calibration  # noqa: E402
from trainer.evaluation.heldout_calibration import fit_app_calibration  # noqa: E402
from trainer.evaluation.recordings import summarise_groups  # noqa: E402
from trainer.evaluation.window_logits import load_scored, replay_rows  # noqa: E402

SETS = {"validation": "window_scores_validation.npz", "held-out simulator": "window_scores_heldout.npz",
        "real parts": "window_scores_real_parts.npz", "in-distribution": "window_scores_in_distribution.npz"}


def model_labels(model: str) -> list[str]:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model)
    return [config.id2label[i] for i in range(config.num_labels)]


def scores(sets, labels, calibration) -> dict:
    """Answered / precision overall and at ≥ 10 dB, per set."""
    out = {}
    for name, scored in sets.items():
        summary = summarise_groups(replay_rows(scored, labels, calibration), ["capture_snr"])
        high = summary["groups"].get("capture_snr", {}).get("≥ 10 dB", {})
        out[name] = {"all": summary["overall"], "≥ 10 dB": high}
    return out


def rows_for(fit_on: str, sets, labels, targets, model_calibration) -> list[dict]:
    rows = [{"fit_on": "model's calibration", "target": model_calibration.target_precision,
             "temperature": model_calibration.temperature, "threshold": model_calibration.threshold,
             "sets": scores(sets, labels, model_calibration)}]
    for target in targets:
        calibration, _ = fit_app_calibration(sets[fit_on], labels, target, model_calibration)
        rows.append({"fit_on": fit_on, "target": target, "temperature": calibration.temperature,
                     "threshold": calibration.threshold, "sets": scores(sets, labels, calibration)})
    return rows


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def markdown(rows: list[dict], names: list[str]) -> str:
    head = "| fitted on | target | T | threshold | " + " | ".join(
        f"{n}: answered ≥ 10 dB | right ≥ 10 dB | answered all | right all" for n in names) + " |"
    lines = [head, "|---|---:|---:|---:|" + "---:|" * (4 * len(names))]
    for r in rows:
        cells = []
        for n in names:
            s = r["sets"][n]
            cells += [_pct(s["≥ 10 dB"].get("answered")), _pct(s["≥ 10 dB"].get("precision")),
                      _pct(s["all"]["answered"]), _pct(s["all"]["precision"])]
        lines.append(f"| {r['fit_on']} | {100 * r['target']:g}% | {r['temperature']:.3f} | {r['threshold']:.3f} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores-dir", required=True, help="--output-dir of a --window-scores run")
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--targets", default="0.95,0.98,0.99")
    parser.add_argument("--swap", action="store_true", help="also fit on the held-out draw, score the validation draw")
    parser.add_argument("--output-dir", default=None)
    parser.add_argument("--save-calibration", type=float, default=None, metavar="TARGET",
                        help="also write calibration.json: this target's fit on the validation draw")
    args = parser.parse_args()

    folder = Path(args.scores_dir)
    sets = {name: load_scored(folder / file) for name, file in SETS.items() if (folder / file).exists()}
    if "validation" not in sets:
        raise SystemExit(f"{folder}: no window_scores_validation.npz; run trainer.evaluate with --window-scores")
    labels, model_calibration = model_labels(args.model), load_calibration(args.model)
    targets = [float(t) for t in args.targets.split(",")]
    rows = rows_for("validation", sets, labels, targets, model_calibration)
    if args.swap and "held-out simulator" in sets:
        rows += rows_for("held-out simulator", sets, labels, targets, model_calibration)[1:]
    text = markdown(rows, list(sets))
    out = Path(args.output_dir or folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / "targets.json").write_text(json.dumps({"model": args.model, "rows": rows}, indent=2, ensure_ascii=False)
                                      + "\n", encoding="utf-8")
    (out / "targets.md").write_text(text, encoding="utf-8")
    print(text)
    if args.save_calibration is not None:
        calibration, _ = fit_app_calibration(sets["validation"], labels, args.save_calibration, model_calibration)
        save_calibration(out, calibration)
        print(f"wrote {out / 'calibration.json'}: temperature {calibration.temperature:.4f}, threshold "
              f"{calibration.threshold:.4f} (target {args.save_calibration:g}, fitted on the validation draw)")


if __name__ == "__main__":
    main()

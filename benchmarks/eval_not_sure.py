"""How often the full recognizer (detector + trained model + calibrated threshold) says "not sure".

Same recordings as ``bench_cry_detector.py`` (silence, stationary and modulated noise, babble, espeak-ng
speech, and — with ``../shared`` beside the checkout — the real Gen 1 cries clean and in pink noise), but
judged by ``Recognizer.predict`` with a model folder, as the app does. For "no cry" groups the rate should
be high; for real cries it is the share of cries the app would decline (and the accuracy of the rest).

    python benchmarks/eval_not_sure.py --model models/default

Prints a table and writes ``benchmarks/results/not_sure.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cry_detector import groups  # noqa: E402

from recognizer.predict import Recognizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "not_sure.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()

    recognizer = Recognizer.from_pretrained(args.model, threads=2)
    with tempfile.TemporaryDirectory() as tmp:
        data = groups(Path(tmp))
    rows = []
    for name, (truth, recordings) in data.items():
        not_sure, correct, answered = 0, 0, 0
        for i, samples in enumerate(recordings):
            pred = recognizer.predict(samples)
            if pred.not_sure:
                not_sure += 1
            elif name.startswith("real cries"):
                answered += 1
                top = pred.guesses[0].species
                correct += int(top is not None and top.pokedex_id == i % 151 + 1)
        n = len(recordings)
        row = {"group": name, "truth": truth, "n": n, "not_sure_rate": round(not_sure / n, 3)}
        if name.startswith("real cries"):
            row["accuracy_when_answered"] = round(correct / answered, 3) if answered else None
        rows.append(row)

    no_cry = [r for r in rows if r["truth"] == "no cry"]
    pooled = sum(r["not_sure_rate"] * r["n"] for r in no_cry) / max(1, sum(r["n"] for r in no_cry))
    print(f"model: {args.model} (threshold {recognizer.threshold:.3f})")
    print("| recordings | should be | n | answered 'not sure' | top-1 when answered |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in rows:
        acc = r.get("accuracy_when_answered")
        print(f"| {r['group']} | {r['truth']} | {r['n']} | {r['not_sure_rate']:.0%} | {'' if acc is None else f'{acc:.1%}'} |")
    print(f"pooled 'not sure' over no-cry recordings: {pooled:.1%} (goal >= 90 %)")
    out = results_file(args.output, args.update)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"model": str(args.model), "threshold": recognizer.threshold,
                               "pooled_not_sure_no_cry": round(pooled, 3), "groups": rows},
                              indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

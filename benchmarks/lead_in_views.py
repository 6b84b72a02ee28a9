"""A clean cry after a lead-in, through the app's path, and what a second, onset-cropped view would change.

Each reference cry (``--ids``, both renditions) is put at a random peak level (−45 to 0 dBFS) after a random lead-in
(0 to 1.5 s) over a floor ``--floor-db`` below the peak (white noise; ``none``: digital silence), then named by
``Recognizer.predict`` three ways: the recording as the app hears it; an onset-cropped copy (cut at the first 10 ms
frame within ``--onset-db`` of the loudest, less ``--onset-pad-s``), an inference-only view the recogniser could add;
and of the two, the answer with the higher probability (test-time augmentation). The app trims only what lies
40 dB under the peak and keeps 0.1 s before the sound (``frontend.levels``), so a cry after a quiet lead-in starts
at another place in its window than the reference cry does.

    python benchmarks/lead_in_views.py --model models/default [--floor-db -40] [--update]

Needs ``../shared/pokeapi`` (the reference cries). Prints a table; writes
``benchmarks/results/lead_in_views.json`` (with ``--update``; else a new file under ``benchmarks/results/runs/``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402
from frontend.audio import SAMPLE_RATE, decode_audio  # noqa: E402
from frontend.levels import sounding_span  # noqa: E402
from heldout.cries import parse_ids, reference_cries  # noqa: E402
from recognizer.predict import Recognizer  # noqa: E402

VIEWS = ("as recorded", "onset-cropped", "more confident of the two")


def onset_crop(samples: np.ndarray, below_db: float, pad_s: float) -> np.ndarray:
    """``samples`` from ``pad_s`` before the first meter frame within ``below_db`` of the loudest one."""
    return samples[sounding_span(samples, below_peak_db=below_db, pad_seconds=pad_s)[0] :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--cries-dir", default=str(ROOT.parent / "shared" / "pokeapi" / "cries"))
    parser.add_argument("--ids", default="1-151")
    parser.add_argument("--renditions", default="latest,legacy")
    parser.add_argument("--floor-db", default="-40", help="Floor under the peak in dB, or 'none' (digital silence).")
    parser.add_argument("--onset-db", type=float, default=20.0)
    parser.add_argument("--onset-pad-s", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "lead_in_views.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()

    recognizer = Recognizer.from_pretrained(args.model, threads=2)
    names = {s.pokedex_id: label for label, s in recognizer.bundle.pokedex.items()}
    rng = np.random.default_rng(args.seed)
    floor_db = None if args.floor_db == "none" else float(args.floor_db)
    rows = []
    cries, _ = reference_cries(args.cries_dir, parse_ids(args.ids), tuple(args.renditions.split(",")))
    for ref in cries:
        cry = decode_audio(ref.path)
        peak = 10 ** (rng.uniform(-45.0, 0.0) / 20)
        cry = cry / np.max(np.abs(cry)) * peak
        lead_in = rng.uniform(0.0, 1.5)
        recording = np.concatenate([np.zeros(int(lead_in * SAMPLE_RATE), np.float32), cry])
        if floor_db is not None:
            noise = rng.normal(0.0, peak * 10 ** (floor_db / 20) / 3, len(recording))
            recording = (recording + noise).astype(np.float32)
        whole = recognizer.predict(recording).guesses[0]
        cropped = recognizer.predict(onset_crop(recording, args.onset_db, args.onset_pad_s)).guesses[0]
        both = whole if whole.probability >= cropped.probability else cropped
        rows.append({"id": ref.pokedex_id, "rendition": ref.rendition, "truth": names[ref.pokedex_id],
                     "lead_in_s": round(lead_in, 3), "peak_dbfs": round(20 * np.log10(peak), 1),
                     **{view: guess.label for view, guess in zip(VIEWS, (whole, cropped, both), strict=True)}})

    table = ["| rendition | cries | " + " | ".join(VIEWS) + " |", "| --- | ---: |" + " ---: |" * len(VIEWS)]
    summary = {}
    for rendition in args.renditions.split(","):
        mine = [r for r in rows if r["rendition"] == rendition]
        right = {view: sum(r[view] == r["truth"] for r in mine) for view in VIEWS}
        summary[rendition] = {"cries": len(mine), **{view: right[view] / max(1, len(mine)) for view in VIEWS}}
        table.append(f"| {rendition} | {len(mine)} | " + " | ".join(f"{100 * right[v] / max(1, len(mine)):.1f} %" for v in VIEWS) + " |")
    print("\n".join(table))
    wrong = [r for r in rows if any(r[v] != r["truth"] for v in VIEWS)]
    for r in wrong:
        print(f"{r['rendition']} {r['truth']} (lead-in {r['lead_in_s']} s): " + ", ".join(f"{v}: {r[v]}" for v in VIEWS))
    out = results_file(args.output, args.update)
    out.write_text(json.dumps({"model": args.model, "floor_db": args.floor_db, "onset_db": args.onset_db,
                               "onset_pad_s": args.onset_pad_s, "seed": args.seed, "summary": summary,
                               "misnamed": wrong}, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

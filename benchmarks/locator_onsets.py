"""How well cry locators place the cry on recordings they never trained on, and what each costs per recording.

The app's first window starts where a model folder's cry locator (``frontend.locator``) puts the cry. This script
takes the held-out simulator's recordings (``trainer.evaluation.heldout_set``: the same audio ``trainer.evaluate
--heldout-sim`` scores, seed 0: captures at each SNR target and the clean cry after a lead-in), asks each locator
given where the cry starts, and compares with where the simulator put it. For reference, the level rule's onset
(the first frame within ``--onset-below-peak-db`` of the loudest, as the app did before the locator) is scored too.
No model runs, so it is a quick check of a new locator before a fine-tune that uses it. ``--chiptunes K`` also
scores K synthetic chiptune sounds (``eval_enrol_chiptune.py``'s: nothing like a Pokémon cry, what issue "Every
Pokémon" enrols), captured by the same simulator ``--chiptune-captures`` times at each SNR and half as often clean
after a lead-in: does the locator find sounds it was never trained on?

    python benchmarks/locator_onsets.py --locator runs/recipe4-locator/cry_locator.safetensors \\
        --locator runs/recipe5-locator/cry_locator.safetensors [--cries-dir ../shared/pokeapi/cries] [--ids 1-151]
        [--snr-db 20,10,0] [--chiptunes 5] [--threads 2] [--output benchmarks/results/locator_onsets.json] [--update]

Prints a table (share within 0.05 / 0.15 s, late by more than 0.1 s: the window starts after the cry's first
syllable; early by more than 0.1 s; by condition and rendition) and ms per recording, and writes JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

NEAR_SECONDS = (0.05, 0.15)
"""s. |located − true| the table counts recordings within."""

OFF_SECONDS = 0.1
"""s. Located later (or earlier) than the true onset by more than this: late (early)."""


def level_onset_seconds(samples: np.ndarray, below_peak_db: float) -> float:
    """s. The level rule's onset: the first frame within ``below_peak_db`` of the loudest (no pad)."""
    from frontend.audio import SAMPLE_RATE
    from frontend.levels import remove_dc, sounding_span

    span = sounding_span(remove_dc(samples), below_peak_db=below_peak_db, pad_seconds=0.0)
    return 0.0 if span is None else span[0] / SAMPLE_RATE


def summarise(errors: dict[str, dict[str, list[float]]]) -> list[dict]:
    """errors[method][group] = located − true (s) → one row per (method, group)."""
    rows = []
    for method, groups in errors.items():
        for group, values in sorted(groups.items(), key=lambda g: (g[0] != "all", g[0])):
            e = np.asarray(values)
            rows.append({"method": method, "group": group, "n": int(len(e)),
                         **{f"within_{s:g}_s": round(float(np.mean(np.abs(e) <= s)), 4) for s in NEAR_SECONDS},
                         "late": round(float(np.mean(e > OFF_SECONDS)), 4), "early": round(float(np.mean(e < -OFF_SECONDS)), 4),
                         "median_abs_error_s": round(float(np.median(np.abs(e))), 4)})
    return rows


def markdown(rows: list[dict], timing: dict[str, float]) -> str:
    lines = ["| onset from | group | n | within 0.05 s | within 0.15 s | late > 0.1 s | early > 0.1 s | median error |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['group']} | {r['n']} | {r['within_0.05_s']:.1%} | {r['within_0.15_s']:.1%} | "
                     f"{r['late']:.1%} | {r['early']:.1%} | {r['median_abs_error_s'] * 1000:.0f} ms |")
    lines += ["", "| onset from | ms per recording (p50) |", "|---|---:|"]
    lines += [f"| {m} | {t:.1f} |" for m, t in timing.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--locator", action="append", required=True, help="a cry locator file (repeat to compare)")
    parser.add_argument("--cries-dir", default=str(ROOT.parent / "shared" / "pokeapi" / "cries"))
    parser.add_argument("--ids", default="1-151")
    parser.add_argument("--renditions", default="latest,legacy")
    parser.add_argument("--snr-db", default="20,10,0")
    parser.add_argument("--seed", type=int, default=0, help="the held-out set's seed (trainer.evaluate's default: 0)")
    parser.add_argument("--onset-below-peak-db", type=float, default=20.0, help="the level rule's setting (recipe 3's)")
    parser.add_argument("--chiptunes", type=int, default=0, help="also this many synthetic chiptune sounds (0: none)")
    parser.add_argument("--chiptune-captures", type=int, default=20, help="captures of each chiptune per SNR")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "locator_onsets.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()

    import torch

    from frontend.locator import CryLocator
    from heldout.cries import load_cry, parse_ids, reference_cries
    from heldout.simulator import HeldoutSimulator
    from trainer.evaluation.heldout_set import HeldoutPlan, cry_start_seconds, simulate

    torch.set_num_threads(args.threads)
    locators = {}
    for path in args.locator:
        loc = CryLocator.load(path)
        locators[f"{Path(path).parent.name} ({loc.config.get('kind', 'gru')})"] = loc
    plan = HeldoutPlan(args.cries_dir, parse_ids(args.ids), tuple(args.renditions.split(",")),
                       tuple(float(s) for s in args.snr_db.split(",")), True, args.seed)
    cries, missing = reference_cries(plan.cries_dir, plan.ids, plan.renditions)
    if not cries:
        sys.exit(f"locator_onsets: no reference cries under {args.cries_dir} for ids {args.ids}")
    simulator, conditions = HeldoutSimulator(), plan.conditions()
    errors: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    seconds: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()

    def recordings():
        """(audio, true onset s, condition, subgroup) of every recording."""
        for cry in cries:
            samples = load_cry(cry.path)
            for k, snr in enumerate(conditions):
                audio, params = simulate(plan, cry, k, samples, simulator)
                yield audio, cry_start_seconds(params), "clean cry after a lead-in" if snr is None else f"capture {snr:g} dB", cry.rendition
        if args.chiptunes:  # the enrolment study's sounds and captures (the same seed gives the same ones)
            from benchmarks.eval_enrol_chiptune import chiptune, sound_captures

            rng = np.random.default_rng(args.seed)
            sounds = {f"sound {k + 1}": chiptune(rng) for k in range(args.chiptunes)}
            for label, snr, audio, params in sound_captures(sounds, plan.snr_db, args.chiptune_captures, args.seed):
                condition = "chiptune, clean after a lead-in" if snr is None else f"chiptune, capture {snr:g} dB"
                yield audio, cry_start_seconds(params), condition, label

    count = 0
    for audio, true, condition, subgroup in recordings():
        count += 1
        onsets = {f"level rule ({args.onset_below_peak_db:g} dB)": level_onset_seconds(audio, args.onset_below_peak_db)}
        for name, loc in locators.items():
            t0 = time.perf_counter()
            onsets[name] = loc.onset_seconds(audio)
            seconds[name].append(time.perf_counter() - t0)
        overall = "chiptune, all" if condition.startswith("chiptune") else "all"
        for name, onset in onsets.items():
            for group in (overall, condition, f"{condition}, {subgroup}"):
                errors[name][group].append(onset - true)
    rows = summarise(errors)
    timing = {m: 1000 * float(np.median(s)) for m, s in seconds.items()}
    table = markdown(rows, timing)
    print(table)
    out = results_file(args.output, args.update)
    out.write_text(json.dumps({"rows": rows, "ms_per_recording_p50": timing, "recordings": count,
                               "seconds": round(time.perf_counter() - started), "arguments": vars(args)}, indent=1) + "\n",
                   encoding="utf-8")
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

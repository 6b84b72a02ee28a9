"""Which window the app should name a recording from: its own, the cry's true onset, or many.

Issue "Robust to how a phone really hears": on the held-out simulator the installed model names captures with a
phone's AGC far less often than captures without (at 10 dB, 75.7 against 96.8 %). Under AGC the background is
pumped up to about the cry's level, so the onset rule (the first frame within ``onset_below_peak_db`` of the
loudest) fires at the start of the recording and the cry sits anywhere in the window. This script takes the held-out
simulator's own recordings (``trainer.evaluation.heldout_set``: the same audio ``trainer.evaluate --heldout-sim``
scores) and names each one several ways, all with the recogniser's own decision rules (``best_window``, ``doubt``,
the calibrated threshold):

- ``app``: ``Recognizer.predict``, as ``/predict`` runs it;
- ``cry's true onset``: one window starting where the simulator put the cry (less ``ONSET_PAD_SECONDS``), an
  oracle: what a perfect cry locator would buy;
- ``every S s, most confident``: windows starting every ``S`` seconds, the most confident cry-like one
  (test-time shifts; costs a forward pass per window);
- ``every 0.2 s, mean of the 3 most confident``: those three windows' probabilities averaged;
- ``app's start +0 / 0.2 / 0.4 s``: three windows, the most confident;
- ``learned locator`` (with ``--locator``, a file of ``python -m trainer.cry_locator``): one window where the
  locator puts the onset (less ``ONSET_PAD_SECONDS``), for a model trained without it; its onset error is reported
  too. (A model folder that carries a locator uses it in ``app`` already.)

    python benchmarks/window_choice.py --model models/default --cries-dir ../shared/pokeapi/cries [--ids 1-151]
        [--snr-db 20,10,0] [--threads 2] [--locator runs/recipe4-locator/cry_locator.safetensors] [--skip-dense] [--output benchmarks/results/window_choice.json] [--update]

Prints a table (top-1, answered, right among answers, windows per recording; by condition and AGC) and writes
JSON and a Markdown table beside it.
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
from frontend.audio import SAMPLE_RATE  # noqa: E402
from frontend.fbank import model_inputs  # noqa: E402
from frontend.levels import ONSET_PAD_SECONDS, normalise_loudness, remove_dc  # noqa: E402
from frontend.windows import Window  # noqa: E402

TAIL_SECONDS = 0.25
"""s. No window starts in the last this much of a recording (nothing of a cry would be left in it)."""


def windows_at(samples: np.ndarray, starts: list[int], length: int) -> list[Window]:
    """Loudness-normalised windows of ``length`` samples at ``starts`` (shorter at the end), as the app cuts them."""
    centred = remove_dc(samples)
    return [Window(s, normalise_loudness(centred[s : s + length])) for s in starts]


class Scorer:
    """A recording's windows through the recogniser's model, detector and decision rules."""

    def __init__(self, recognizer):
        self.rec = recognizer
        self.labels = recognizer.head.labels

    def score(self, windows: list[Window]) -> tuple[np.ndarray, list[str]]:
        """Calibrated probabilities (windows × labels) and detector kinds."""
        import torch

        from recognizer.detect import check_sound

        inputs = torch.from_numpy(model_inputs([w.samples for w in windows], self.rec.bundle.feature_extractor))
        probs = self.rec.head.probabilities(self.rec.batcher(inputs), self.rec.bundle.calibration.temperature)
        return probs, [check_sound(w.samples, self.rec.detector).kind for w in windows]

    def decide(self, probs: np.ndarray, kinds: list[str], mean_of: int = 1) -> tuple[str, bool]:
        """(top species, answered) by the app's rules; ``mean_of`` > 1 averages the most confident windows."""
        from recognizer.predict import best_window, doubt, species_probs

        if mean_of > 1:
            from recognizer.detect import CRY

            cry_like = [i for i, k in enumerate(kinds) if k == CRY] or list(range(len(kinds)))
            confidence = [float(species_probs(probs[i], self.labels).max()) for i in cry_like]
            picked = [cry_like[j] for j in np.argsort(confidence)[::-1][:mean_of]]
            window_probs, window_kinds = probs[picked].mean(axis=0), [kinds[i] for i in picked]
        else:
            best = best_window(probs, kinds, self.labels)
            window_probs, window_kinds = probs[best], kinds
        top = self.labels[int(np.argmax(species_probs(window_probs, self.labels)))]
        threshold = self.rec.bundle.calibration.threshold_for(top)
        return top, not doubt(window_kinds, window_probs, self.labels, threshold)


def grid_index(starts: np.ndarray, second: float) -> int:
    return int(np.argmin(np.abs(starts - second * SAMPLE_RATE)))


def name_recording(scorer: Scorer, audio: np.ndarray, cry_start_s: float, step_s: float,
                   located_s: float | None = None, dense: bool = True) -> dict[str, tuple]:
    """Strategy → (top species, answered, windows scored) for one recording; ``located_s``: a locator's onset."""
    rec = scorer.rec
    app = rec.predict(audio)
    out = {"app": (app.top.label if app.top else "", not app.not_sure, app.windows)}
    if located_s is not None:
        start = max(0, int((located_s - ONSET_PAD_SECONDS) * SAMPLE_RATE))
        probs, kinds = scorer.score(windows_at(audio, [start], rec.window))
        out["learned locator"] = (*scorer.decide(probs, kinds), 1)
    onset = max(0, int((cry_start_s - ONSET_PAD_SECONDS) * SAMPLE_RATE))
    probs, kinds = scorer.score(windows_at(audio, [onset], rec.window))
    out["cry's true onset"] = (*scorer.decide(probs, kinds), 1)
    if not dense:
        return out
    step = max(1, int(step_s * SAMPLE_RATE))
    starts = np.arange(0, max(1, len(audio) - int(TAIL_SECONDS * SAMPLE_RATE)), step)
    probs, kinds = scorer.score(windows_at(audio, [int(s) for s in starts], rec.window))
    every = max(1, int(round(0.2 / step_s)))
    out[f"every {step_s:g} s, most confident"] = (*scorer.decide(probs, kinds), len(starts))
    sub = list(range(0, len(starts), every))
    sub_probs, sub_kinds = probs[sub], [kinds[i] for i in sub]
    out["every 0.2 s, most confident"] = (*scorer.decide(sub_probs, sub_kinds), len(sub))
    out["every 0.2 s, mean of the 3 most confident"] = (*scorer.decide(sub_probs, sub_kinds, mean_of=3), len(sub))
    near = sorted({grid_index(starts, app.window_start + d) for d in (0.0, 0.2, 0.4)})
    out["app's start +0 / 0.2 / 0.4 s, most confident"] = (
        *scorer.decide(probs[near], [kinds[i] for i in near]), len(near))
    return out


def summarise(records: list[dict]) -> list[dict]:
    """One row per strategy × group (condition, AGC): recordings, top-1, answered, right among answers, windows."""
    groups = defaultdict(list)
    for r in records:
        clean = r["condition"] == "clean cry after a lead-in"
        keys = [(r["condition"], "any")] if clean else [("all captures", "any"), (r["condition"], "any"),
                                                         (r["condition"], r["agc"])]
        for key in keys:
            groups[key].append(r)
    rows = []
    for (condition, agc), members in groups.items():
        for strategy in members[0]["named"]:
            named = [m["named"][strategy] for m in members]
            right = np.array([n[0] == m["label"] for n, m in zip(named, members, strict=True)])
            answered = np.array([n[1] for n in named])
            rows.append({
                "condition": condition, "agc": agc, "strategy": strategy, "recordings": len(members),
                "top1": float(right.mean()), "answered": float(answered.mean()),
                "right_among_answers": float(right[answered].mean()) if answered.any() else None,
                "windows_per_recording": float(np.mean([n[2] for n in named])),
            })
    return rows


def locator_table(records: list[dict]) -> str:
    """The locator's onset error (located − true) by condition and AGC."""
    groups = defaultdict(list)
    for r in records:
        groups[(r["condition"], "any")].append(r["locator_error_s"])
        if r["condition"] != "clean cry after a lead-in":
            groups[(r["condition"], r["agc"])].append(r["locator_error_s"])
    lines = ["", "| recordings | AGC | n | within 0.05 / 0.15 / 0.3 s | median abs. error | too early by > 0.3 s | too late by > 0.3 s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    order = ["20 dB", "10 dB", "0 dB", "clean cry after a lead-in"]
    for (condition, agc), errs in sorted(groups.items(), key=lambda g: (order.index(g[0][0]), ["any", "on", "off"].index(g[0][1]))):
        e = np.array(errs)
        within = " / ".join(f"{100 * np.mean(np.abs(e) <= s):.1f}" for s in (0.05, 0.15, 0.3))
        lines.append(f"| {condition} | {agc} | {len(e)} | {within} % | {np.median(np.abs(e)):.3f} s "
                     f"| {100 * np.mean(e < -0.3):.1f} % | {100 * np.mean(e > 0.3):.1f} % |")
    return "\n".join(lines) + "\n"


def markdown(rows: list[dict]) -> str:
    order = ["20 dB", "10 dB", "0 dB", "all captures", "clean cry after a lead-in"]
    lines = ["| recordings | AGC | n | strategy | top-1 | answered / right among answers | windows |",
             "| --- | --- | ---: | --- | ---: | ---: | ---: |"]
    for r in sorted(rows, key=lambda r: (order.index(r["condition"]), ["any", "on", "off"].index(r["agc"]))):
        ras = "–" if r["right_among_answers"] is None else f"{100 * r['right_among_answers']:.1f} %"
        lines.append(f"| {r['condition']} | {r['agc']} | {r['recordings']} | {r['strategy']} | {100 * r['top1']:.1f} % "
                     f"| {100 * r['answered']:.1f} % / {ras} | {r['windows_per_recording']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--cries-dir", default=str(ROOT.parent / "shared" / "pokeapi" / "cries"))
    parser.add_argument("--ids", default="1-151")
    parser.add_argument("--renditions", default="latest,legacy")
    parser.add_argument("--snr-db", default="20,10,0")
    parser.add_argument("--step-s", type=float, default=0.1, help="s between the starts of the dense windows")
    parser.add_argument("--seed", type=int, default=0, help="the held-out set's seed (trainer.evaluate's default: 0)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-dense", action="store_true", help="only the app, the true onset and the locator (3x faster)")
    parser.add_argument("--locator", default=None, help="a cry locator file (python -m trainer.cry_locator; adds its strategy)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "window_choice.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()
    if not 0.01 <= args.step_s <= 0.2:
        parser.error(f"--step-s {args.step_s}: expected 0.01 to 0.2 s")

    from heldout.cries import load_cry, parse_ids, reference_cries
    from heldout.simulator import HeldoutSimulator
    from recognizer.predict import Recognizer
    from trainer.evaluation.heldout_set import (
        HeldoutPlan,
        cry_start_seconds,
        labels_by_pokedex_id,
        simulate,
    )

    rec = Recognizer.from_pretrained(args.model, threads=args.threads)
    scorer = Scorer(rec)
    locator = None
    if args.locator:
        from frontend.locator import CryLocator

        locator = CryLocator.load(args.locator)
    label_of_id = labels_by_pokedex_id(rec.bundle.pokedex, rec.head.labels)
    plan = HeldoutPlan(args.cries_dir, parse_ids(args.ids), tuple(args.renditions.split(",")),
                       tuple(float(s) for s in args.snr_db.split(",")), seed=args.seed)
    cries, missing = reference_cries(plan.cries_dir, plan.ids, plan.renditions)
    if not cries:
        sys.exit(f"no reference cries under {plan.cries_dir} for ids {args.ids}")
    simulator, records, started = HeldoutSimulator(), [], time.perf_counter()
    for n, cry in enumerate(c for c in cries if c.pokedex_id in label_of_id):
        samples = load_cry(cry.path)
        for k, snr in enumerate(plan.conditions()):
            audio, params = simulate(plan, cry, k, samples, simulator)
            truth = cry_start_seconds(params)
            located = None if locator is None else locator.onset_seconds(audio)
            records.append({
                "label": label_of_id[cry.pokedex_id], "rendition": cry.rendition,
                "condition": "clean cry after a lead-in" if snr is None else f"{snr:g} dB",
                "agc": "off" if snr is None or not params["agc"]["enabled"] else "on",
                "named": name_recording(scorer, audio, truth, args.step_s, located, not args.skip_dense),
                **({} if located is None else {"locator_error_s": round(located - truth, 3)}),
            })
        if n % 50 == 49:
            print(f"{n + 1} cries, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rows = summarise(records)
    table = markdown(rows) + (locator_table(records) if locator is not None else "")
    print(table)
    out = results_file(args.output, args.update)
    out.write_text(json.dumps({
        "model": args.model, "ids": args.ids, "renditions": args.renditions, "snr_db": args.snr_db,
        "step_s": args.step_s, "seed": args.seed, "locator": args.locator, "threads": args.threads, "missing_cries": len(missing),
        "seconds": round(time.perf_counter() - started, 1), "rows": rows,
    }, indent=1) + "\n")
    out.with_suffix(".md").write_text(table)
    print(f"wrote {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()

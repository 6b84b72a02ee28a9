"""Which enrolment rule names never-trained species without costing the trained ones (issue "Every Pokémon").

Enrolment adds head rows; how it sets them decides whether new rows outbid the trained ones (no bias: Gen 1
fell to 31.5 %) or go unheard (the margin rule: 6 %). This script compares rules offline but on the app's
decision: every held-out-simulator recording (``eval_enrol_unseen.py``'s set, the trained species' and the
never-trained ones') goes through the recogniser's windows and detector once, and the head's input of each
window is kept. A rule is then a head (weights, biases); the recording's answer is what
:meth:`recognizer.predict.Recognizer.predict` picks from those windows (the cry-like window with the highest
calibrated probability, its top class), so each rule costs a matrix product, not a pass over the audio.
The margin rule's figures here equal ``eval_enrol_unseen.py``'s, which checks the replay.

Rules (rows of never-trained species come from their reference cries' prototypes, as ``recognizer.enrol``):

- ``margin``: ``recognizer.enrol.prototype_row`` without a row map;
- ``prototype``: the prototype's direction at the trained rows' median length and bias;
- ``all prototypes``: every row, trained ones too, replaced by its species' prototype (a nearest-prototype
  classifier; the trained rows are not used);
- ``mapped``: ``recognizer.enrol``'s rule with a row map (``recognizer.row_map``: ridge from prototypes to trained
  rows, fitted on the trained species as ``python -m trainer.enrol_map`` fits it, its strength chosen on a tenth of
  them held out): a new species' prototype becomes the row training would have given it.

    python benchmarks/enrol_rules.py --model runs/no-gen2-cos --ids 152-251 --trained-ids 1-151,252-1025 \
        --control-ids 1-151 [--cache FILE]

Prints a table and writes ``benchmarks/results/enrol_rules.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.eval_enrol_unseen import (  # noqa: E402
    add_common_arguments,
    english_names,
    recordings,
    shared_folders,
)
from benchmarks.results_file import results_file  # noqa: E402
from heldout.cries import parse_ids  # noqa: E402


def head_inputs(recognizer, recs, check: int = 0) -> list[dict]:
    """Per recording: its label, groups, the head's input of every window, and which windows are cry-like; for the
    first ``check`` recordings also the app's own answer (``Recognizer.predict``), to check the replay against."""
    from recognizer.detect import CRY

    captured: list[np.ndarray] = []
    hook = recognizer.bundle.model.classifier.dense.register_forward_hook(
        lambda _m, args, _out: captured.append(args[0].detach().float().numpy()))
    out = []
    try:
        for rec in recs:
            captured.clear()
            scored = recognizer.window_logits(rec.samples, rec.sample_rate)
            x = np.concatenate(captured) if captured else np.zeros((0, recognizer.bundle.model.config.hidden_size))
            out.append({"label": rec.label, "groups": rec.groups, "x": x.astype(np.float32),
                        "cry": np.array([k == CRY for k in scored.kinds], bool)})
            if len(out) <= check:
                guesses = recognizer.predict(rec.samples, rec.sample_rate).guesses
                out[-1]["app_top1"] = guesses[0].label if guesses else None
    finally:
        hook.remove()
    return out


def reference_windows(bundle, cries_dir: Path, ids: list[int], renditions) -> dict[int, np.ndarray]:
    """Pokédex id → head inputs of its reference cries' windows (all renditions it has), as enrolment sees them."""
    from heldout.cries import load_cry
    from recognizer.enrol import window_embeddings
    from trainer.enrol_map import cries_by_id

    by_id = cries_by_id(cries_dir, ids, renditions, decode=load_cry)
    return {pid: window_embeddings(bundle, recs) for pid, recs in sorted(by_id.items())}


def decide(rows: list[dict], weights: np.ndarray, biases: np.ndarray, labels: list[str], temperature: float,
           threshold: float) -> list[dict]:
    """The recogniser's answer for each recording under head (weights, biases): top-1 label and whether answered,
    by ``Recognizer.predict``'s own functions (its window, its doubts; only its too-little-sound check needs audio)."""
    from recognizer.detect import CRY, NOISE
    from recognizer.predict import best_window, calibrated_probabilities, doubt, species_probs

    out = []
    for r in rows:
        if not len(r["x"]):
            out.append({"label": r["label"], "top1": None, "answered": False, **r["groups"]})
            continue
        probs = calibrated_probabilities(r["x"] @ weights.T + biases, temperature)
        kinds = [CRY if c else NOISE for c in r["cry"]]  # whether a window is cry-like is all the decision reads
        best = best_window(probs, kinds, labels)
        top = int(np.argmax(species_probs(probs[best], labels)))
        out.append({"label": r["label"], "top1": labels[top], "answered": not doubt(kinds, probs[best], labels, threshold),
                    **r["groups"]})
    return out


def summary(decisions: list[dict]) -> dict:
    """Top-1 overall, per SNR target and for the clean lead-in condition; answered and right among answers."""
    def top1(ds):
        return round(float(np.mean([d["top1"] == d["label"] for d in ds])), 4) if ds else None

    groups: dict[str, list[dict]] = {}
    for d in decisions:
        key = d.get("snr_target") if d.get("condition") == "capture" else "clean after a lead-in"
        groups.setdefault(str(key), []).append(d)
    answered = [d for d in decisions if d["answered"]]
    return {"n": len(decisions), "top1": top1(decisions), "groups": {k: top1(v) for k, v in groups.items()},
            "answered": round(len(answered) / max(len(decisions), 1), 4), "precision": top1(answered)}


def compare_rules(bundle, cached: dict, label_of: dict[int, str], trained: list[int], unseen: list[int],
                  names: dict[int, str]) -> dict:
    """Each rule's head, and what the recogniser answers with it on the control and the enrolled species."""
    from recognizer.enrol import add_rows, private_copy, prototype_direction, prototype_row
    from recognizer.row_map import fit_row_map

    cal = bundle.calibration
    weights = bundle.model.classifier.dense.weight.detach().float().numpy()
    biases = bundle.model.classifier.dense.bias.detach().float().numpy()
    refs = cached["references"]
    new_labels = [names.get(i, f"#{i}") for i in unseen]
    labels = [*bundle.labels, *new_labels]
    length, bias = float(np.median(np.linalg.norm(weights, axis=1))), float(np.median(biases))
    index = {name: i for i, name in enumerate(bundle.labels)}
    trained_rows = [index[label_of[p]] for p in trained]
    unit = {pid: prototype_direction(bundle, refs[pid]) for pid in [*trained, *unseen]}

    def enrolled(row_map=None):  # recognizer.enrol's rule, one species after another, as eval_enrol_unseen.py
        b = private_copy(bundle)
        for pid, name in zip(unseen, new_labels, strict=True):
            b = add_rows(b, name, [prototype_row(b, refs[pid], row_map=row_map)])
        dense = b.model.classifier.dense
        return dense.weight.detach().float().numpy(), dense.bias.detach().float().numpy(), labels

    heads = {"trained only": (weights, biases, list(bundle.labels)), "margin": enrolled()}
    new = np.stack([unit[pid] for pid in unseen]) * length
    heads["prototype"] = (np.vstack([weights, new]), np.concatenate([biases, np.full(len(unseen), bias)]), labels)
    every, every_biases = weights.copy(), biases.copy()
    every[trained_rows] = np.stack([unit[pid] for pid in trained]) * length
    every_biases[trained_rows] = bias
    heads["all prototypes"] = (np.vstack([every, new]), np.concatenate([every_biases, np.full(len(unseen), bias)]),
                               labels)
    row_map = fit_row_map(np.stack([unit[p] for p in trained]), weights[trained_rows], biases[trained_rows])
    heads["mapped"] = enrolled(row_map)
    out = {}
    for name, (w, b, names_) in heads.items():
        out[name] = {part: summary(decide(cached[part], w, b, names_, cal.temperature, cal.threshold))
                     for part in ("control", "unseen")}
    checked = [(r, d) for r, d in zip(cached["control"], decide(cached["control"], weights, biases,
               list(bundle.labels), cal.temperature, cal.threshold), strict=True) if "app_top1" in r]
    out["replay_check"] = {"recordings": len(checked),
                           "same_top1": sum(r["app_top1"] == d["top1"] for r, d in checked)}
    out["mapped"]["row_map"] = {"strength": row_map.strength, "species": row_map.species,
                                "held_out_row_cosine": round(row_map.held_out_cosine, 4)}
    return out


def table(result: dict) -> str:
    keys = ["20 dB", "10 dB", "0 dB", "clean after a lead-in"]
    lines = ["| rule | enrolled: 20 / 10 / 0 dB / lead-in | trained (control): 20 / 10 / 0 dB / lead-in "
             "| answered / right (enrolled) |", "| --- | --- | --- | --- |"]

    def cells(s):
        return " / ".join("–" if s["groups"].get(k) is None else f"{s['groups'][k]:.1%}" for k in keys)

    for name, r in result["rules"].items():
        if "unseen" not in r:  # the replay check
            continue
        u, c = r["unseen"], r["control"]
        right = "–" if u["precision"] is None else f"{u['precision']:.1%}"
        lines.append(f"| {name} | {cells(u)} | {cells(c)} | {u['answered']:.1%} / {right} |")
    check = result["rules"].get("replay_check", {})
    lines.append(f"\nreplay check: the app's own answer equals the replay's on {check.get('same_top1', 0)} of "
                 f"{check.get('recordings', 0)} trained-species recordings")
    return "\n".join(lines)


def _load_cache(path: str | None):
    import pickle

    if path and Path(path).is_file():
        with open(path, "rb") as f:
            return pickle.load(f)
    return None


def _save_cache(path: str | None, cached: dict) -> None:
    import pickle

    if path:
        tmp = Path(f"{path}.tmp")
        with open(tmp, "wb") as f:
            pickle.dump(cached, f)
        tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    add_common_arguments(parser)
    parser.add_argument("--trained-ids", default="1-151,252-1025", help="trained species whose rows fit the map")
    parser.add_argument("--control-ids", default="1-151", help="trained species whose captures show the cost")
    parser.add_argument("--check", type=int, default=100,
                        help="trained-species recordings also named by Recognizer.predict, to check the replay")
    parser.add_argument("--cache", help="file (a pickle this script writes) keeping the head inputs and references")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "enrol_rules.json"))
    args = parser.parse_args()

    from recognizer.loading import load_model
    from recognizer.predict import Recognizer
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    cries_dir, csv_dir = shared_folders(args.shared, "enrol_rules.py")
    started = time.perf_counter()
    bundle = load_model(args.model)
    label_of = labels_by_pokedex_id(bundle.pokedex, bundle.labels)
    names = english_names(csv_dir)
    trained = [i for i in parse_ids(args.trained_ids) if i in label_of]
    control = [i for i in parse_ids(args.control_ids) if i in label_of]
    unseen = [i for i in parse_ids(args.ids) if i not in label_of]
    cached = _load_cache(args.cache)
    if cached is None:
        snr_db, renditions = tuple(float(s) for s in args.snr_db.split(",")), tuple(args.renditions.split(","))
        recognizer = Recognizer(bundle, threads=args.threads)
        cached = {
            "control": head_inputs(recognizer, recordings(cries_dir, control, label_of, snr_db, renditions), args.check),
            "unseen": head_inputs(recognizer, recordings(
                cries_dir, unseen, {i: names.get(i, f"#{i}") for i in unseen}, snr_db, renditions)),
            "references": reference_windows(bundle, cries_dir, sorted(set(trained) | set(unseen)), renditions),
        }
        _save_cache(args.cache, cached)
    result = {"model": args.model, "enrolled_ids": args.ids, "trained_ids": args.trained_ids,
              "control_ids": args.control_ids, "rules": compare_rules(bundle, cached, label_of, trained, unseen, names)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    out = results_file(args.output, args.update)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

"""Enrolled rows placed by the captures map (recipe 6) against rows fitted by softmax regression on simulated
captures of every species (:mod:`trainer.fitted_rows`): replayed from saved window logits, no model run.

The all-species evaluation (``python -m trainer.evaluate --window-scores``) keeps each window's logits under the
enrolled head. The trained rows (Gen 1 and ``no_cry``) are the same in both heads and span a subspace of the
head's input; a window's component in that subspace is recovered exactly from its trained rows' logits (least
squares; those rows have full rank), so any head whose new rows lie in that subspace can be replayed exactly.
The fit here is restricted to it (its examples projected onto it), and ``--check-span`` measures on captures
kept out of the fit (the builder's chain, the last ``--held-captures`` of each cry) what the restriction costs
against rows that use the whole embedding. ``--unknown-ids`` leaves species out of the fit (no row, no calibration
recordings) and reports how often the app answers their recordings anyway: a sound that matches no row.

    python benchmarks/fitted_rows_study.py --trained runs/recipe5-installed --enrolled runs/all-enrolled \\
        --scores-dir runs/all-enrolled-scores --embeddings runs/capture-embeddings-k20 --l2 1e-4,1e-3,1e-2 \\
        [--target-precision 0.98] [--output benchmarks/results/fitted_rows_study.json] [--update]

Each penalty's calibration is fitted on the validation draw (seed 1); the held-out simulator and the real parts
(seed 0) only report.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file, write_results  # noqa: E402
from benchmarks.trained_vs_enrolled import all_species_line, kind_cells, replayed_by_kind  # noqa: E402

SCORES = {"validation": "window_scores_validation.npz", "held-out simulator": "window_scores_heldout.npz",
          "real parts": "window_scores_real_parts.npz"}


@dataclasses.dataclass(frozen=True)
class Head:
    """The trained model's rows (Gen 1 and no_cry) with their labels, and the pokédex id of each trained label."""

    labels: list[str]
    weights: np.ndarray
    biases: np.ndarray
    label_of: dict[int, str]
    pokedex: dict


def trained_head(model: str) -> Head:
    from recognizer.loading import load_model
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    bundle = load_model(model)
    dense = bundle.model.classifier.dense
    return Head(list(bundle.labels), dense.weight.detach().float().numpy(), dense.bias.detach().float().numpy(),
                labels_by_pokedex_id(bundle.pokedex, bundle.labels), dict(bundle.pokedex))


def span_basis(weights: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning the rows of ``weights``."""
    _, s, vt = np.linalg.svd(weights.astype(np.float64), full_matrices=False)
    return vt[s > s[0] * 1e-6]


def training_examples(cache, head: Head, new_ids: list[int], held_captures: int, captures_per_cry: int,
                      negatives=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit examples (the references and the first captures of every cry) and targets, and the held-back captures'
    examples and targets; ``no_cry`` takes the stored negatives."""
    from recognizer.predict import NO_CRY_LABEL
    from trainer.fitted_rows import examples, species_targets

    targets = species_targets(head.labels, head.label_of, new_ids)
    no_cry = head.labels.index(NO_CRY_LABEL) if NO_CRY_LABEL in head.labels else None
    cut = captures_per_cry - held_captures
    fit_x, fit_y = examples(cache, targets, (-1, cut), negatives, no_cry)
    held_x, held_y = examples(cache, targets, (cut, captures_per_cry))
    return fit_x, fit_y, held_x, held_y


def with_new_rows(scored: list, trained: Head, rows, basis_solver: np.ndarray) -> list:
    """``scored`` (window logits of a head whose first rows are ``trained``'s) with the new rows' logits instead of
    the rest: each window's input in the trained rows' span from their logits, then the new rows on it."""
    from trainer.evaluation.window_logits import ScoredRecording

    n = len(trained.labels)
    out = []
    for rec in scored:
        old = rec.scores.logits[:, :n]
        x = (old - trained.biases) @ basis_solver
        logits = np.hstack([old, x @ rows.weights.T + rows.biases]).astype(np.float32)
        out.append(ScoredRecording(rec.label, rec.groups, dataclasses.replace(rec.scores, logits=logits)))
    return out


def top1(x: np.ndarray, y: np.ndarray, weights: np.ndarray, biases: np.ndarray, among: np.ndarray) -> float:
    """Top-1 over the examples whose target is in ``among``, no_cry allowed to win."""
    keep = np.isin(y, among)
    return float(np.mean(np.argmax(x[keep] @ weights.T + biases, axis=1) == y[keep]))


def answered_shares(scored: list, labels: list[str], calibration) -> dict:
    """Recordings of species the head has no row for: how many the app answers anyway (every answer is wrong),
    overall and at ≥ 10 dB."""
    from trainer.evaluation.window_logits import replay_rows

    rows = replay_rows(scored, labels, calibration)
    high = [r for r in rows if r.get("capture_snr") == "≥ 10 dB"]
    return {"n": len(rows), "answered": float(np.mean([r["answered"] for r in rows])) if rows else None,
            "n_high": len(high), "answered_high": float(np.mean([r["answered"] for r in high])) if high else None}


def study(args) -> dict:
    from recognizer.label_thresholds import load_negatives
    from recognizer.model_files import Calibration
    from trainer.evaluation.heldout_calibration import fit_app_calibration
    from trainer.evaluation.window_logits import load_scored
    from trainer.fitted_rows import EmbeddingCache, fit_rows

    trained = trained_head(args.trained)
    enrolled_labels = trained_head(args.enrolled)
    if enrolled_labels.labels[: len(trained.labels)] != trained.labels:
        raise SystemExit(f"{args.enrolled}'s first rows are not {args.trained}'s labels")
    cache = EmbeddingCache(Path(args.embeddings))
    pokedex_names = {info.pokedex_id: name for name, info in enrolled_labels.pokedex.items()}
    from heldout.cries import parse_ids

    unknown_ids = set(parse_ids(args.unknown_ids)) if args.unknown_ids else set()
    if unknown_ids & set(trained.label_of):
        raise SystemExit(f"--unknown-ids {args.unknown_ids}: includes species {args.trained} was trained on")
    unknown = {pokedex_names[pid] for pid in unknown_ids if pid in pokedex_names}
    new_ids = sorted(pid for pid in pokedex_names
                     if pid not in trained.label_of and pid not in unknown_ids and cache.path(pid).is_file())
    new_labels = [pokedex_names[pid] for pid in new_ids]
    labels = trained.labels + new_labels
    fit_x, fit_y, held_x, held_y = training_examples(cache, trained, new_ids, args.held_captures,
                                                     args.captures_per_cry, load_negatives(args.trained))
    basis = span_basis(trained.weights)
    solver = np.linalg.pinv(trained.weights.T.astype(np.float64))  # logits - b -> the input's span component
    print(f"{len(fit_x)} fit examples, {len(held_x)} held-back captures, {len(new_ids)} new rows; span {len(basis)} "
          f"of {trained.weights.shape[1]} dimensions", flush=True)
    everything = {name: load_scored(Path(args.scores_dir) / file) for name, file in SCORES.items()}
    sets = {name: [r for r in scored if r.label not in unknown] for name, scored in everything.items()}
    strangers = {name: [r for r in scored if r.label in unknown] for name, scored in everything.items() if unknown}
    start = Calibration(temperature=1.0, threshold=0.5)
    trained_rows = np.arange(len(trained.labels))
    new_rows = np.arange(len(trained.labels), len(labels))
    out = []
    for l2 in args.l2:
        entry = {"l2": l2, "fits": {}}
        fits = {"span": (fit_x @ basis.T) @ basis}
        if args.check_span:
            fits["whole"] = fit_x
        for kind, x in fits.items():
            t = time.perf_counter()
            rows = fit_rows(x, fit_y, trained.weights, trained.biases, len(new_ids), l2=l2,
                            fixed_weight=args.trained_weight)
            w = np.vstack([trained.weights, rows.weights])
            b = np.concatenate([trained.biases, rows.biases])
            held = held_x if kind == "whole" else (held_x @ basis.T) @ basis
            entry["fits"][kind] = {"loss": rows.loss, "seconds": round(time.perf_counter() - t, 1),
                                   "held_captures_top1_new": top1(held, held_y, w, b, new_rows),
                                   "held_captures_top1_trained": top1(held, held_y, w, b, trained_rows)}
            print(l2, kind, entry["fits"][kind], flush=True)
            if kind != "span":
                continue
            moved = {name: with_new_rows(scored, trained, rows, solver) for name, scored in sets.items()}
            calibration = fit_app_calibration(moved["validation"], labels, args.target_precision, start)[0]
            entry |= {"temperature": calibration.temperature, "threshold": calibration.threshold, "sets": {
                name: replayed_by_kind(scored, labels, calibration, set(new_labels)) for name, scored in moved.items()}}
            entry["unknown"] = {name: answered_shares(with_new_rows(scored, trained, rows, solver), labels, calibration)
                                for name, scored in strangers.items()}
        out.append(entry)
    return {"entries": out, "new_rows": len(new_ids), "fit_examples": len(fit_x), "span": len(basis)}


def table(result: dict) -> str:
    lines = ["| L2 | T | threshold | set | species | 20 dB | 10 dB | 0 dB | clean after a lead-in: latest / legacy | "
             "at ≥ 10 dB: answered / right among answers |", "| ---: | ---: | ---: | --- | --- |" + " ---: |" * 5]
    totals, checks = [], []
    for e in result["entries"]:
        for name, summary in e.get("sets", {}).items():
            for kind in ("trained", "enrolled"):
                cells = kind_cells(summary, kind)
                if cells is not None:
                    lines.append(f"| {e['l2']:g} | {e['temperature']:.3f} | {e['threshold']:.3f} | {name} | "
                                 f"{'fitted' if kind == 'enrolled' else kind} | " + " | ".join(cells) + " |")
            totals.append(all_species_line(f"L2 {e['l2']:g}, {name}", summary))
        for name, shares in e.get("unknown", {}).items():
            totals.append(f"L2 {e['l2']:g}, {name}, species with no row ({shares['n']} recordings): answered "
                          f"{shares['answered']:.1%}, at ≥ 10 dB {shares['answered_high']:.1%} (every answer wrong)")
        for kind, fit in e["fits"].items():
            checks.append(f"L2 {e['l2']:g}, rows in the {kind} embedding: held-back captures (builder's chain) top-1 "
                          f"new {fit['held_captures_top1_new']:.1%}, trained {fit['held_captures_top1_trained']:.1%}; "
                          f"loss {fit['loss']:.3f}, {fit['seconds']:.0f} s")
    return "\n".join(lines + [""] + totals + [""] + checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trained", required=True, help="the trained model folder (recipe 5)")
    parser.add_argument("--enrolled", required=True, help="the enrolled folder the scores were made with")
    parser.add_argument("--scores-dir", required=True, help="trainer.evaluate --window-scores' --output-dir")
    parser.add_argument("--embeddings", required=True, help="trainer.fitted_rows' embedding cache")
    parser.add_argument("--captures-per-cry", type=int, default=20)
    parser.add_argument("--held-captures", type=int, default=4, help="captures of each cry kept out of the fit")
    parser.add_argument("--l2", default="1e-3", help="comma-separated penalties")
    parser.add_argument("--trained-weight", type=float, default=1.0,
                        help="weight of the trained species' examples in the fit (the new ones' is 1)")
    parser.add_argument("--unknown-ids", help="species left out of the fit (e.g. 906-1025): how often the app answers "
                                              "their recordings anyway; the calibration is fitted without them")
    parser.add_argument("--check-span", action="store_true", help="also fit rows on the whole embedding")
    parser.add_argument("--target-precision", type=float, default=0.98)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "fitted_rows_study.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()
    args.l2 = [float(s) for s in args.l2.split(",")]
    result = study(args)
    write_results(results_file(args.output, args.update), vars(args) | result, table(result))


if __name__ == "__main__":
    main()

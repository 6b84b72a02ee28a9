"""Calibration for the unseen: the temperature and "not sure" threshold fitted on held-out-simulator captures.

The trainer fits calibration on its own validation clips, which come from the training simulator; on capture
conditions it never saw, the model is more often confidently wrong and the precision target does not hold.
Here both are fitted on a *validation* draw of the held-out simulator (:mod:`heldout`, another seed than the
evaluation draw) through the app's path: whole recordings, windows, the detector, the most confident cry-like
window (:mod:`.window_logits`). The temperature minimises the NLL of the windows the recogniser picks (the pick
depends on the temperature, so the fit is repeated until the picks settle); the threshold is the lowest top-1
probability at which the answers reach the target precision.
"""

from __future__ import annotations

import logging

import numpy as np

from recognizer.model_files import Calibration

from .recordings import summarise, summarise_groups
from .window_logits import ScoredRecording, replay, replay_rows

logger = logging.getLogger(__name__)

MAX_ROUNDS = 8
"""Temperature refits at most (each on the windows picked under the previous temperature)."""


def picked_logits(scored: list[ScoredRecording], labels: list[str], temperature: float):
    """Logits of the window the recogniser picks in each recording that has one, with the label indices."""
    rows, targets = [], []
    for rec in scored:
        answer = replay(rec.scores, labels, temperature)
        if answer.logits is not None:
            rows.append(answer.logits)
            targets.append(labels.index(rec.label))
    if not rows:
        raise ValueError("no validation recording has a window to score: every one is silent")
    return np.stack(rows), np.asarray(targets)


def fit_app_temperature(scored: list[ScoredRecording], labels: list[str], start: float = 1.0) -> tuple[float, int]:
    """The temperature minimising the NLL of the picked windows, and how many refits it took to settle."""
    from ..calibration import fit_temperature

    temperature = float(start)
    for rounds in range(1, MAX_ROUNDS + 1):
        logits, targets = picked_logits(scored, labels, temperature)
        fitted = fit_temperature(logits, targets)
        settled = abs(np.log(fitted / temperature)) < 1e-3
        temperature = fitted
        if settled:
            return temperature, rounds
    logger.warning("the temperature did not settle in %d refits (window picks keep changing); using %.4f",
                   MAX_ROUNDS, temperature)
    return temperature, MAX_ROUNDS


def threshold_for_precision(scored: list[ScoredRecording], labels: list[str], temperature: float,
                            target_precision: float, label_thresholds: dict[str, float] | None = None,
                            ) -> tuple[float, float, float]:
    """``(threshold, precision, answered share)`` over the recordings: the lowest threshold reaching the target.

    An answer naming a label of ``label_thresholds`` (an enrolled species) is judged on its own threshold, as the
    recogniser judges it: the model's threshold does not decide it, but it counts in the precision."""
    from ..calibration import choose_threshold

    own = label_thresholds or {}
    answers = [replay(rec.scores, labels, temperature) for rec in scored]
    answerable = [(a, rec.label) for a, rec in zip(answers, scored, strict=True) if a.answerable]
    if not answerable:
        raise ValueError("no validation recording can be answered (no cry-like window): cannot fit a threshold")
    decided = [(a, label) for a, label in answerable if a.guesses[0] not in own]
    fixed = [a.guesses[0] == label for a, label in answerable if a.guesses[0] in own and a.answered(own[a.guesses[0]])]
    # choose_threshold takes probabilities; a two-column row (confidence, rest) with the truth in column 0 when
    # the answer is right keeps its top-1 rule exact for the recogniser's answers.
    conf = np.asarray([a.confidence for a, _ in decided], dtype=np.float64)
    right = np.asarray([a.guesses[0] == label for a, label in decided], dtype=bool)
    probs = np.stack([conf, np.minimum(1.0 - conf, conf)], axis=1)
    threshold, precision, _ = choose_threshold(probs, np.where(right, 0, 1), target_precision,
                                               fixed=(len(fixed), int(sum(fixed))))
    answered = sum(a.answered(own.get(a.guesses[0], threshold) if a.guesses else threshold) for a in answers)
    return threshold, precision, float(answered / len(answers))


def fit_app_calibration(scored: list[ScoredRecording], labels: list[str], target_precision: float,
                        start: Calibration | None = None) -> tuple[Calibration, dict]:
    """Fit temperature and threshold on validation recordings; also the fit's report (before/after). Enrolled
    labels keep their own thresholds (``start.label_thresholds``), and the model's threshold is fitted beside them."""
    start = start or Calibration()
    temperature, rounds = fit_app_temperature(scored, labels, start.temperature)
    threshold, precision, answered = threshold_for_precision(scored, labels, temperature, target_precision,
                                                             start.label_thresholds)
    calibration = Calibration(temperature=temperature, threshold=threshold, target_precision=target_precision,
                              label_thresholds=dict(start.label_thresholds))
    before = summarise(replay_rows(scored, labels, start))
    after = summarise(replay_rows(scored, labels, calibration))
    report = {
        "temperature": temperature, "threshold": threshold, "target_precision": target_precision,
        "temperature_refits": rounds, "validation_recordings": len(scored),
        "validation_precision_at_threshold": precision, "validation_answered_at_threshold": answered,
        "validation_before": {"calibration": vars(start), **before},
        "validation_after": after,
    }
    return calibration, report


def before_after(scored: list[ScoredRecording], labels: list[str], columns, before: Calibration,
                 after: Calibration) -> dict:
    """A set's summaries (overall and per group) under the model's calibration and the fitted one."""
    return {"before": summarise_groups(replay_rows(scored, labels, before), columns),
            "after": summarise_groups(replay_rows(scored, labels, after), columns)}


CALIBRATION_REPORT = "heldout_calibration"
"""Stem of the report files (``.json``, ``.md``) the held-out recalibration writes."""


def _log_progress(recordings, what: str, every: int = 200):
    """Pass ``recordings`` through, logging every ``every``."""
    for i, rec in enumerate(recordings, 1):
        if i % every == 0:
            logger.info("%s: %d recordings scored", what, i)
        yield rec


def _evaluation_sets(args, recognizer):
    """``(name, recordings, plan, window-scores file)`` for each set asked for, scored at the evaluation seed."""
    from .app_path import (
        HELD_OUT,
        IN_DISTRIBUTION,
        REAL_PARTS,
        dataset_set,
        describe_plan,
        describe_real_parts,
        heldout_plan,
        heldout_set,
    )

    if args.dataset is not None:
        plan = {"dataset": args.dataset, "split": args.split, "max_samples": args.max_samples}
        yield IN_DISTRIBUTION, dataset_set(args, recognizer), plan, "window_scores_in_distribution.npz"
    eval_plan = heldout_plan(args, args.heldout_seed)
    if args.heldout_sim:
        yield (HELD_OUT, heldout_set(args, recognizer, eval_plan), describe_plan(args, eval_plan),
               "window_scores_heldout.npz")
    if args.real_parts is not None:
        from heldout.simulator import real_parts_simulator

        simulator = real_parts_simulator(args.real_parts, args.real_parts_music)
        yield (REAL_PARTS, heldout_set(args, recognizer, eval_plan, simulator), describe_real_parts(args, eval_plan),
               "window_scores_real_parts.npz")


def heldout_calibration_report(args, output_dir) -> dict:
    """``--recalibrate-on heldout-sim``: fit on the validation draw, write calibration.json and the report.

    The sets asked for (``--dataset`` split through the recogniser, ``--heldout-sim`` at the evaluation seed, and
    ``--real-parts``: the same plan through the real-parts chain) are scored once and summarised under the
    model's calibration (before) and the fitted one (after).
    """
    import json
    from pathlib import Path

    from recognizer.model_files import save_calibration
    from recognizer.predict import Recognizer

    from .app_path import describe_plan, heldout_plan, heldout_set
    from .recordings import RECORDING_COLUMNS
    from .window_logits import save_scored, score_windows

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    recognizer = Recognizer.from_pretrained(args.model, threads=args.threads)
    labels, model_calibration = list(recognizer.bundle.labels), recognizer.bundle.calibration
    plan = heldout_plan(args, args.validation_seed, args.validation_snr_values)
    validation = score_windows(recognizer, _log_progress(heldout_set(args, recognizer, plan), "validation"))
    if args.window_scores:
        save_scored(out / "window_scores_validation.npz", validation)
    if not validation:
        raise ValueError(f"{args.cries_dir}: no reference cry for ids {args.ids} that the model has a label for")
    calibration, fit = fit_app_calibration(validation, labels, args.target_precision, model_calibration)
    fit["validation_plan"] = describe_plan(args, plan)
    save_calibration(out, calibration)
    if args.install_calibration:
        from ..card import refresh_card_for_app_calibration

        save_calibration(args.model, calibration)
        if not refresh_card_for_app_calibration(args.model, vars(calibration)):
            logger.warning("%s: no eval/metrics.md, eval/calibration_report.json or train_summary.json card entry; the "
                           "model card was not updated", args.model)
    logger.info("fitted on %d held-out validation recordings: temperature %.4f, threshold %.4f", len(validation),
                calibration.temperature, calibration.threshold)
    sets, plans = {}, {}
    for name, recordings, set_plan, scores_file in _evaluation_sets(args, recognizer):
        scored = score_windows(recognizer, _log_progress(recordings, name))
        if args.window_scores:
            save_scored(out / scores_file, scored)
        sets[name] = before_after(scored, labels, RECORDING_COLUMNS, model_calibration, calibration)
        plans[name] = set_plan
    report = {"model": str(args.model), "installed": bool(args.install_calibration), "model_calibration":
              vars(model_calibration), "fitted_calibration": vars(calibration), "fit": fit, "plans": plans, "sets": sets}
    (out / f"{CALIBRATION_REPORT}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                                    encoding="utf-8")
    (out / f"{CALIBRATION_REPORT}.md").write_text(markdown_calibration(report), encoding="utf-8")
    return report


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def markdown_calibration(report: dict) -> str:
    """The fit, then before/after per set: top-1, answered and right among answers, overall and per SNR target."""
    fit, model_cal = report["fit"], report["model_calibration"]
    lines = [
        "## Calibration fitted on held-out-simulator validation captures (the app's path)", "",
        f"Validation: {fit['validation_recordings']} recordings, seed {fit['validation_plan']['seed']}, SNR targets "
        f"{', '.join(f'{v:g}' for v in fit['validation_plan']['snr_db'])} dB"
        f"{' + clean cries after a lead-in' if fit['validation_plan']['clean_lead_in'] else ''}.", "",
        "| calibration | temperature | threshold | target precision | validation: answered | right among answers |",
        "|---|---:|---:|---:|---:|---:|",
        f"| model's (before) | {model_cal['temperature']:.4f} | {model_cal['threshold']:.4f} | "
        f"{model_cal['target_precision']:.0%} | {_pct(fit['validation_before']['answered'])} | "
        f"{_pct(fit['validation_before']['precision'])} |",
        f"| fitted (after) | {fit['temperature']:.4f} | {fit['threshold']:.4f} | {fit['target_precision']:.0%} | "
        f"{_pct(fit['validation_after']['answered'])} | {_pct(fit['validation_after']['precision'])} |", "",
    ]
    for name, pair in report["sets"].items():
        lines += [f"### {name} (seed {report['plans'][name].get('seed', '–')})", "",
                  "| group | n | top-1: before → after | before: answered | before: right among answers | after: answered | "
                  "after: right among answers |", "|---|---:|---:|---:|---:|---:|---:|"]
        for column, value, b, a in _rows_of(pair):
            lines.append(f"| {column}{value} | {b['n']} | {_pct(b['top1'])} → {_pct(a['top1'])} | {_pct(b['answered'])} | "
                         f"{_pct(b['precision'])} | {_pct(a['answered'])} | {_pct(a['precision'])} |")
        lines.append("")
    lines.append("answered: not \"not sure\"; right among answers: the precision of answers. Top-1 does not depend "
                 "on the threshold (the temperature can change which window is picked).")
    return "\n".join(lines) + "\n"


SHOWN_GROUPS = ("capture_snr", "snr_target", "condition", "rendition", "capture_snr_band")


def _rows_of(pair: dict):
    yield "all", "", pair["before"]["overall"], pair["after"]["overall"]
    for column in SHOWN_GROUPS:
        for value, b in pair["before"]["groups"].get(column, {}).items():
            yield column, f" = {value}", b, pair["after"]["groups"][column][value]

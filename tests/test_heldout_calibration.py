"""Calibration fitted on held-out-simulator validation captures through the app's path (tiny model, synthetic cries)."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from recognizer.loading import clear_cache
from recognizer.model_files import Calibration, load_calibration
from recognizer.predict import Recognizer
from tests.synthetic import write_audio
from tests.tiny_model import LABELS, SPECIES, species_cry, trained_tiny_model
from trainer.evaluate import EvaluateArguments, main
from trainer.evaluation.heldout_calibration import (
    fit_app_calibration,
    fit_app_temperature,
    threshold_for_precision,
)
from trainer.evaluation.recordings import summarise
from trainer.evaluation.window_logits import (
    ScoredRecording,
    WindowScores,
    load_scored,
    replay,
    replay_rows,
    score_windows,
)


@pytest.fixture(scope="module")
def model():
    return trained_tiny_model()


def _with_calibration(model, calibration: Calibration) -> Recognizer:
    recognizer = Recognizer.from_pretrained(str(model), threads=1)
    recognizer.bundle = dataclasses.replace(recognizer.bundle, calibration=calibration)
    return recognizer


def _recordings(rng):
    """Cries alone, after a lead-in, in noise, next to another species' call; noise and silence alone."""
    from trainer.evaluation.recordings import Recording

    out = []
    for k, label in enumerate(LABELS):
        cry = species_cry(label, 1.0, seed=k)
        other = species_cry(LABELS[(k + 1) % len(LABELS)], 1.0, seed=k) * 0.8
        lead = np.zeros(int(16_000 * 0.7 * k), np.float32)
        out += [Recording(cry, 16_000, label),
                Recording(np.concatenate([lead, cry]), 16_000, label),
                Recording(cry + 0.05 * rng.standard_normal(len(cry)).astype(np.float32), 16_000, label),
                Recording(np.concatenate([other, np.zeros(8000, np.float32), cry]), 16_000, label)]
    out += [Recording(0.1 * rng.standard_normal(32_000).astype(np.float32), 16_000, LABELS[0]),
            Recording(np.zeros(16_000, np.float32), 16_000, LABELS[1])]
    return out


@pytest.mark.parametrize("calibration", [Calibration(1.0, 0.5), Calibration(0.3, 0.9), Calibration(4.0, 0.6)])
def test_replay_is_what_the_recogniser_answers(model, calibration):
    recognizer = _with_calibration(model, calibration)
    recordings = _recordings(np.random.default_rng(0))
    scored = score_windows(recognizer, recordings)
    rows = replay_rows(scored, list(recognizer.bundle.labels), calibration)
    for rec, row in zip(recordings, rows, strict=True):
        pred = recognizer.predict(rec.samples, rec.sample_rate)
        assert row["guesses"] == [g.label for g in pred.guesses]
        assert row["answered"] == (not pred.not_sure)
        assert row["confidence"] == pytest.approx(pred.confidence, abs=1e-4)


def _scored(logits_per_recording, labels, cry_like=None):
    labels_of = list("abc")
    return [ScoredRecording(labels_of[y], {}, WindowScores(np.asarray(w, np.float32),
                                                          np.ones(len(w), bool) if cry_like is None else cry_like[i]))
            for i, (w, y) in enumerate(zip(logits_per_recording, labels, strict=True))]


def _synthetic_validation(n=400, seed=0):
    """Overconfident logits: right 80 % of the time, with a margin that says little about being right."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(3, size=n)
    right = rng.random(n) < 0.8
    guess = np.where(right, labels, (labels + 1 + rng.integers(2, size=n)) % 3)
    logits = rng.normal(0, 1, (n, 1, 3))
    logits[np.arange(n), 0, guess] += 6 + 3 * right + rng.normal(0, 2, n)
    return _scored(logits, labels)


@pytest.mark.parametrize("target", [0.9, 0.95, 0.99])
def test_the_fitted_threshold_reaches_the_target_on_the_fitting_set_and_is_the_lowest_that_does(target):
    scored = _synthetic_validation()
    labels = list("abc")
    calibration, report = fit_app_calibration(scored, labels, target)
    rows = replay_rows(scored, labels, calibration)
    summary = summarise(rows)
    assert summary["precision"] >= target
    assert report["validation_precision_at_threshold"] == pytest.approx(summary["precision"])
    assert report["validation_answered_at_threshold"] == pytest.approx(summary["answered"])
    # one step lower (the next confidence below the threshold) misses the target
    answers = [replay(r.scores, labels, calibration.temperature) for r in scored]
    below = sorted({a.confidence for a in answers if a.confidence < calibration.threshold})
    if below:
        lower = dataclasses.replace(calibration, threshold=below[-1])
        assert summarise(replay_rows(scored, labels, lower))["precision"] < target
    assert calibration.target_precision == target


def test_the_temperature_minimises_the_nll_of_the_picked_windows():
    from trainer.calibration import nll

    scored = _synthetic_validation(seed=1)
    labels = list("abc")
    temperature, _ = fit_app_temperature(scored, labels)
    logits = np.concatenate([r.scores.logits for r in scored])
    targets = np.asarray([labels.index(r.label) for r in scored])
    assert temperature > 1.5  # overconfident logits are softened
    best = nll(logits, targets, temperature)
    for other in (temperature * 0.8, temperature * 1.25):
        assert nll(logits, targets, other) > best


def test_the_temperature_is_fitted_on_the_window_the_recogniser_picks():
    # Recording 1: window 0 is a confident wrong guess but not cry-like; the recogniser picks window 1.
    labels = list("abc")
    windows = [[[9.0, 0.0, 0.0], [0.0, 2.0, 0.0]]] * 50 + [[[0.0, 3.0, 0.0]]] * 50
    cry_like = [np.array([False, True])] * 50 + [np.array([True])] * 50
    scored = _scored(windows, [1] * 100, cry_like)
    assert replay(scored[0].scores, labels, 1.0).guesses[0] == "b"
    temperature, _ = fit_app_temperature(scored, labels)
    assert temperature < 0.3  # every picked window is right: sharpen (the wrong window 0 would soften)


def test_threshold_counts_unanswerable_recordings_as_not_answered():
    labels = list("abc")
    scored = _scored([[[5.0, 0, 0]], [[5.0, 0, 0]], [[0, 3.0, 0]]], [0, 0, 0],
                     [np.array([True]), np.array([False]), np.array([True])])
    threshold, precision, answered = threshold_for_precision(scored, labels, 1.0, 0.99)
    assert precision == 1.0 and answered == pytest.approx(1 / 3)
    assert threshold > replay(scored[2].scores, labels, 1.0).confidence


def test_answers_of_labels_with_thresholds_of_their_own_count_in_the_precision_but_keep_their_thresholds():
    """An enrolled label ("c") is answered on its own threshold whatever the model's: its wrong answers make the
    model's threshold rise to keep the precision over every answer, and the fit carries its threshold over."""
    labels = list("abc")
    confident_right = [[[6.0, 0, 0]]] * 8  # "a", right, probability ~0.995
    unsure_right = [[[2.0, 0, 0]]] * 2  # "a", right, ~0.79
    wrong = [[[1.5, 0, 0]]]  # "a", wrong (truth "b"), ~0.69
    enrolled_wrong = [[[0, 0, 3.0]]]  # "c", wrong (truth "a"), ~0.91: over c's own threshold
    scored = _scored(confident_right + unsure_right + wrong + enrolled_wrong, [0] * 10 + [1] + [0])
    alone, _, _ = threshold_for_precision(scored[:-1], labels, 1.0, 0.9)
    assert alone == pytest.approx(replay(scored[10].scores, labels, 1.0).confidence)  # 10 of 11 right: 0.909
    own = {"c": 0.5}
    threshold, precision, answered = threshold_for_precision(scored, labels, 1.0, 0.9, own)
    # with c's wrong answer fixed, the wrong "a" must go: 10 of 11 answers right
    assert threshold == pytest.approx(replay(scored[9].scores, labels, 1.0).confidence)
    assert precision == pytest.approx(10 / 11) and answered == pytest.approx(11 / 12)
    # at 0.95 c's fixed wrong answer cannot be outweighed (at best 8 of 9); decided by the model's threshold like
    # any other, it is left out by answering the eight certainties only
    assert threshold_for_precision(scored, labels, 1.0, 0.95, own)[0] == 1.0
    assert threshold_for_precision(scored, labels, 1.0, 0.95)[0] == pytest.approx(
        replay(scored[0].scores, labels, 1.0).confidence)
    calibration, _ = fit_app_calibration(scored, labels, 0.9, Calibration(label_thresholds=own))
    assert calibration.label_thresholds == own


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"recalibrate_on": "heldout-sim"}, "--cries-dir"),
        ({"recalibrate_on": "heldout-sim", "cries_dir": "x", "heldout_validation_seed": 0}, "another draw"),
        ({"recalibrate_on": "heldout-sim", "cries_dir": "x", "heldout_seed": 3, "heldout_validation_seed": 3}, "another"),
        ({"heldout_sim": True, "cries_dir": "x", "install_calibration": True}, "--install-calibration"),
        ({"recalibrate_on": "heldout-sim", "cries_dir": "x", "heldout_validation_snr_db": "5,x"}, "validation-snr"),
    ],
)
def test_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EvaluateArguments(model="m", **kwargs)


def test_validation_seed_defaults_to_another_draw():
    args = EvaluateArguments(model="m", recalibrate_on="heldout-sim", cries_dir="x", heldout_seed=4)
    assert args.validation_seed == 5 and args.dataset is None
    assert EvaluateArguments(model="m", dataset="d", recalibrate_on="validation").recalibrate_on == "validation"


@pytest.fixture(scope="module")
def cries(tmp_path_factory):
    pytest.importorskip("pedalboard")
    root = tmp_path_factory.mktemp("cries")
    for rendition, seed in (("latest", 0), ("legacy", 1)):
        for name, info in SPECIES.items():
            write_audio(root / "cries" / "pokemon" / rendition / f"{info.pokedex_id}.ogg", species_cry(name, 1.2, seed=seed))
    return root


def test_recalibrate_on_heldout_sim_end_to_end(model, cries, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(model, folder)
    before = load_calibration(folder)
    out = tmp_path / "out"
    main(["--model", str(folder), "--recalibrate-on", "heldout-sim", "--heldout-sim", "--cries-dir", str(cries),
          "--ids", "1-9", "--snr-db", "20,0", "--target-precision", "0.9", "--output-dir", str(out), "--threads", "1", "--window-scores"])
    assert load_calibration(folder) == before  # not installed without --install-calibration
    fitted = load_calibration(out)
    report = json.loads((out / "heldout_calibration.json").read_text())
    assert report["fit"]["validation_plan"]["seed"] == 1 and report["plans"]["held-out simulator"]["seed"] == 0
    assert report["fit"]["validation_recordings"] == 18  # 3 species × 2 renditions × (2 SNRs + clean)
    assert report["fit"]["validation_precision_at_threshold"] >= 0.9
    assert fitted.temperature == pytest.approx(report["fit"]["temperature"]) and fitted.target_precision == 0.9
    assert "held-out simulator" in (out / "heldout_calibration.md").read_text()
    saved = load_scored(out / "window_scores_heldout.npz")
    assert summarise(replay_rows(saved, LABELS, fitted)) == report["sets"]["held-out simulator"]["after"]["overall"]
    assert len(load_scored(out / "window_scores_validation.npz")) == 18

    # "after" is what the app answers with the fitted calibration installed
    main(["--model", str(folder), "--recalibrate-on", "heldout-sim", "--cries-dir", str(cries), "--ids", "1-9",
          "--snr-db", "20,0", "--target-precision", "0.9", "--output-dir", str(tmp_path / "o2"), "--threads", "1",
          "--install-calibration"])
    assert load_calibration(folder) == fitted
    clear_cache()  # the recogniser caches model folders per path; the app would load the new file at start
    main(["--model", str(folder), "--heldout-sim", "--cries-dir", str(cries), "--ids", "1-9", "--snr-db", "20,0",
          "--output-dir", str(tmp_path / "o3"), "--threads", "1"])
    app = json.loads((tmp_path / "o3" / "recordings.json").read_text())["sets"]["held-out simulator"]["overall"]
    assert report["sets"]["held-out simulator"]["after"]["overall"] == pytest.approx(app)


def test_validation_and_evaluation_draws_differ(model, cries):
    from trainer.evaluation.app_path import heldout_plan, heldout_set

    args = EvaluateArguments(model=str(model), recalibrate_on="heldout-sim", cries_dir=str(cries), ids="1",
                             renditions="latest", snr_db="10", clean_lead_in=False)
    recognizer = Recognizer.from_pretrained(str(model), threads=1)
    evaluation = list(heldout_set(args, recognizer, heldout_plan(args, args.heldout_seed)))
    validation = list(heldout_set(args, recognizer, heldout_plan(args, args.validation_seed)))
    again = list(heldout_set(args, recognizer, heldout_plan(args, args.validation_seed)))
    assert len(evaluation) == len(validation) == 1
    assert np.array_equal(validation[0].samples, again[0].samples)
    a, b = evaluation[0].samples, validation[0].samples
    assert len(a) != len(b) or not np.allclose(a, b)


def test_recalibration_also_scores_the_real_parts_set(model, cries, tmp_path):
    """--real-parts beside --recalibrate-on heldout-sim: the set is replayed before / after, and "before" is what
    the app's path answers on the same recordings."""
    import soundfile as sf

    pytest.importorskip("pedalboard")
    speaker = np.zeros(32, np.float32)
    speaker[:3] = (1.0, -0.5, 0.25)
    hall = (np.exp(-np.arange(4000) / 800.0) * np.random.default_rng(0).standard_normal(4000)).astype(np.float32)
    for path, samples in (("parts/loudspeakers/phone/a.wav", speaker), ("parts/rooms/hall.wav", hall),
                          ("music/track.wav", (0.2 * np.random.default_rng(1).standard_normal(32000)).astype(np.float32))):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / path, samples, 16000, subtype="FLOAT")
    real = ["--real-parts", str(tmp_path / "parts"), "--real-parts-music", str(tmp_path / "music")]
    common = ["--model", str(model), "--cries-dir", str(cries), "--ids", "1-9", "--snr-db", "20,0", "--threads", "1"]
    main([*common, *real, "--recalibrate-on", "heldout-sim", "--target-precision", "0.9", "--window-scores",
          "--output-dir", str(tmp_path / "cal")])
    report = json.loads((tmp_path / "cal" / "heldout_calibration.json").read_text())
    assert list(report["sets"]) == ["real parts"] and report["plans"]["real parts"]["seed"] == 0
    saved = load_scored(tmp_path / "cal" / "window_scores_real_parts.npz")
    assert len(saved) == 18 and summarise(replay_rows(saved, LABELS, load_calibration(tmp_path / "cal"))) == \
        report["sets"]["real parts"]["after"]["overall"]
    main([*common, *real, "--output-dir", str(tmp_path / "app")])
    app = json.loads((tmp_path / "app" / "recordings.json").read_text())["sets"]["real parts"]["overall"]
    assert report["sets"]["real parts"]["before"]["overall"] == pytest.approx(app)


def test_targets_table_refits_from_saved_scores_as_the_evaluator_does(model, cries, tmp_path):
    """benchmarks/heldout_calibration_targets.py replays saved window scores: its fit for a target is the
    evaluator's fit for that target, and --save-calibration writes it."""
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "scores"
    main(["--model", str(model), "--recalibrate-on", "heldout-sim", "--heldout-sim", "--cries-dir", str(cries),
          "--ids", "1-9", "--snr-db", "20,0", "--target-precision", "0.9", "--output-dir", str(out), "--threads", "1",
          "--window-scores"])
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "benchmarks/heldout_calibration_targets.py", "--scores-dir", str(out),
                           "--model", str(model), "--targets", "0.9,0.985", "--save-calibration", "0.9",
                           "--output-dir", str(tmp_path / "t")], cwd=root, capture_output=True, text=True, check=True)
    assert load_calibration(tmp_path / "t") == load_calibration(out)  # the same fit, from the saved scores
    rows = json.loads((tmp_path / "t" / "targets.json").read_text())["rows"]
    assert [r["target"] for r in rows][1:] == [0.9, 0.985] and "| validation | 98.5% |" in done.stdout
    assert rows[1]["temperature"] == pytest.approx(load_calibration(out).temperature)

"""benchmarks/trained_vs_enrolled.py: a recordings report split into trained and enrolled species, read back from
the evaluator's CSVs (nothing scored again)."""

import json
import subprocess
import sys
from pathlib import Path

from trainer.evaluation.app_path import write_rows

ROOT = Path(__file__).resolve().parents[1]


def _row(label, guess, snr, answered=True, rendition="latest"):
    return {"label": label, "guesses": [guess, "Z"], "answered": answered, "generation": "1" if label == "A" else "2",
            "condition": "capture", "snr_target": snr, "capture_snr": "≥ 10 dB" if snr != "0 dB" else "< 10 dB",
            "rendition": rendition}


def test_each_kind_gets_its_own_figures_from_the_evaluator_s_rows(tmp_path):
    model, report = tmp_path / "model", tmp_path / "report"
    model.mkdir()
    report.mkdir()
    # "B" and "C" have thresholds of their own: enrolled; "A" is trained
    (model / "calibration.json").write_text(json.dumps({"threshold": 0.7, "label_thresholds": {"B": 0.5, "C": 0.5}}))
    heldout = [_row("A", "A", "20 dB"), _row("A", "B", "20 dB"), _row("A", "A", "10 dB", answered=False),
               _row("B", "B", "20 dB"), _row("C", "B", "20 dB"), _row("B", "B", "0 dB", answered=False),  # named, not answered
               {"label": "C", "guesses": ["C"], "answered": True, "generation": "2",
                "condition": "clean cry after a lead-in", "rendition": "legacy"}]
    write_rows(report / "recordings_heldout.csv", heldout)
    out = subprocess.run([sys.executable, "benchmarks/trained_vs_enrolled.py", "--model", str(model), "--recordings",
                          str(report), "--output", str(tmp_path / "out.json")], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[2:4] == [
        "| held-out simulator | trained | 3 | 50.0 % | 100.0 % | – | – / – | 66.7 % / 50.0 % |",
        "| held-out simulator | enrolled | 4 | 50.0 % | – | 100.0 % | – / 100.0 % | 100.0 % / 50.0 % |",
    ]
    saved = json.loads((tmp_path / "out.json").read_text())
    assert saved["sets"]["held-out simulator"]["groups"]["kind"]["enrolled"]["n"] == 4
    assert "real parts" not in saved["sets"]
    empty = subprocess.run([sys.executable, "benchmarks/trained_vs_enrolled.py", "--model", str(model), "--recordings",
                            str(model)], cwd=ROOT, capture_output=True, text=True)
    assert empty.returncode != 0 and "recordings_heldout.csv" in empty.stderr


def test_saved_window_logits_are_replayed_under_the_calibration_given(tmp_path):
    """--scores-dir: the evaluator's saved window logits, answered again under --calibration (no model runs)."""
    import shutil

    import numpy as np

    from tests.tiny_model import trained_tiny_model
    from trainer.evaluation.window_logits import ScoredRecording, WindowScores, save_scored

    model = tmp_path / "model"
    shutil.copytree(trained_tiny_model(), model)  # labels Bulbasaur, Charmander, Squirtle
    calibration = {"temperature": 1.0, "threshold": 0.9, "target_precision": 0.99, "label_thresholds": {"Squirtle": 0.5}}
    (model / "calibration.json").write_text(json.dumps(calibration))
    groups = {"snr_target": "20 dB", "condition": "capture", "capture_snr": "≥ 10 dB", "rendition": "latest"}
    scored = [ScoredRecording("Bulbasaur", groups, WindowScores(np.array([[2.0, 0, 0]], np.float32), np.array([True]))),
              ScoredRecording("Squirtle", groups, WindowScores(np.array([[0, 0, 2.0]], np.float32), np.array([True])))]
    scores = tmp_path / "scores"
    scores.mkdir()
    save_scored(scores / "window_scores_heldout.npz", scored)

    def run(*flags):
        return subprocess.run([sys.executable, "benchmarks/trained_vs_enrolled.py", "--model", str(model),
                               "--scores-dir", str(scores), "--output", str(tmp_path / "o.json"), *flags], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.splitlines()[2:4]

    # both right at ~0.79: the trained one under 0.9, not answered; the enrolled one over its own 0.5
    assert run() == ["| held-out simulator | trained | 1 | 100.0 % | – | – | – / – | 0.0 % / – |",
                     "| held-out simulator | enrolled | 1 | 100.0 % | – | – | – / – | 100.0 % / 100.0 % |"]
    lower = tmp_path / "lower.json"
    lower.write_text(json.dumps({**calibration, "threshold": 0.7}))
    assert run("--calibration", str(lower))[0] == "| held-out simulator | trained | 1 | 100.0 % | – | – | – / – | 100.0 % / 100.0 % |"
    # fitted rows have no thresholds of their own: --trained-model names the folder whose labels are the trained ones
    trained = tmp_path / "trained"
    shutil.copytree(trained_tiny_model(), trained)
    config = json.loads((trained / "config.json").read_text())
    config["id2label"] = {"0": "Bulbasaur", "1": "Charmander"}
    config["label2id"] = {"Bulbasaur": 0, "Charmander": 1}
    (trained / "config.json").write_text(json.dumps(config))
    (model / "calibration.json").write_text(json.dumps({**calibration, "threshold": 0.7, "label_thresholds": {}}))
    assert run("--trained-model", str(trained)) == [
        "| held-out simulator | trained | 1 | 100.0 % | – | – | – / – | 100.0 % / 100.0 % |",
        "| held-out simulator | enrolled | 1 | 100.0 % | – | – | – / – | 100.0 % / 100.0 % |"]
    assert "enrolled" not in " ".join(run())  # without it, every label counts as trained

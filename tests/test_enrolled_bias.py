"""benchmarks/enrolled_bias.py: enrolled rows lowered by a shift, the calibration refitted on the validation draw,
every set replayed from saved window logits."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.tiny_model import trained_tiny_model
from trainer.evaluation.window_logits import ScoredRecording, WindowScores, save_scored

ROOT = Path(__file__).resolve().parents[1]


def test_a_lower_enrolled_row_gives_the_trained_species_back_their_probability(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(trained_tiny_model(), model)  # rows: Bulbasaur, Charmander, Squirtle ("enrolled" here)
    (model / "calibration.json").write_text(json.dumps({"temperature": 1.0, "threshold": 0.9, "target_precision": 0.9,
                                                        "label_thresholds": {"Squirtle": 0.5}}))
    groups = {"snr_target": "20 dB", "condition": "capture", "capture_snr": "≥ 10 dB", "rendition": "latest"}
    rng = np.random.default_rng(0)

    def recording(label, logits):
        noisy = np.asarray([logits], np.float32) + rng.normal(0, 0.05, (1, 3)).astype(np.float32)
        return ScoredRecording(label, groups, WindowScores(noisy, np.array([True])))

    # trained species whose enrolled neighbour takes a share of the probability; enrolled ones named right
    draw = [recording("Bulbasaur", [3.0, 0, 2.5]) for _ in range(20)] + [recording("Squirtle", [0, 0, 3.0])
                                                                         for _ in range(10)]
    scores = tmp_path / "scores"
    scores.mkdir()
    save_scored(scores / "window_scores_validation.npz", draw)
    save_scored(scores / "window_scores_heldout.npz", draw)
    out = subprocess.run([sys.executable, "benchmarks/enrolled_bias.py", "--model", str(model), "--scores-dir",
                          str(scores), "--shifts=-inf,0,-2", "--target-precision", "0.9", "--output",
                          str(tmp_path / "bias.json")], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    saved = json.loads((tmp_path / "bias.json").read_text())
    by_shift = {e["shift"]: e["sets"]["held-out simulator"]["groups"]["kind"] for e in saved["shifts"]}
    assert set(by_shift) == {"-inf", "0.0", "-2.0"}
    assert by_shift["-inf"]["enrolled"]["top1"] == 0.0 and by_shift["-inf"]["trained"]["top1"] == 1.0
    assert by_shift["0.0"]["enrolled"]["top1"] == 1.0 and by_shift["-2.0"]["enrolled"]["top1"] == 1.0
    # with no enrolled row in the running, the Squirtle recordings are named (wrongly) as trained species and the
    # refit threshold falls to let the right Bulbasaur answers through; with the rows in, it differs
    thresholds = {e["shift"]: e["threshold"] for e in saved["shifts"]}
    assert thresholds["-inf"] < 0.6 < thresholds["0.0"]
    assert "| -2 |" in out and (tmp_path / "bias.md").is_file()

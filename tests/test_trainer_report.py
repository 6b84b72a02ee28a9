"""The evaluation report's groups, on hand-made logits (no model): every clip lands in the right group."""

import json

import numpy as np
import pytest

from recognizer.model_files import Calibration
from trainer.evaluate import markdown, report

NAMES = ["Bulbasaur", "Ivysaur", "Venusaur"]


def logits_for(preds: list[int]) -> np.ndarray:
    out = np.zeros((len(preds), len(NAMES)), dtype=np.float32)
    out[np.arange(len(preds)), preds] = 8.0
    return out


def test_captures_are_scored_per_snr_band_apart_from_the_other_conditions(tmp_path):
    #            clean   aug@20  cap@20  cap@20  cap@10  cap@0   cap (no background)
    condition = ["clean", "augmented", "capture", "capture", "capture", "capture", "capture"]
    snr = [None, 20.0, 21.0, 18.0, 9.0, 0.0, None]
    labels = np.array([0, 1, 2, 0, 1, 2, 0])
    preds = [0, 1, 2, 1, 1, 0, 0]  # wrong: the second 20 dB capture and the 0 dB one
    meta = {
        "rendition": ["latest"] * 7,
        "condition": condition,
        "snr_db": snr,
        "background_kind": ["noise"] * 7,
    }
    metrics = report(logits_for(preds), labels, NAMES, meta, Calibration(), tmp_path)

    captures = metrics["groups"]["capture_snr_band"]
    assert list(captures) == ["<5 dB", "5–15 dB", "15–25 dB", "no background"]
    assert captures["15–25 dB"]["n"] == 2 and captures["15–25 dB"]["accuracy"] == pytest.approx(0.5)
    assert captures["5–15 dB"]["accuracy"] == 1.0 and captures["<5 dB"]["accuracy"] == 0.0
    assert "≥25 dB" not in captures
    # the all-conditions band still holds the augmented clip beside the captures
    assert metrics["groups"]["snr_band"]["15–25 dB"]["n"] == 3
    assert "| capture_snr_band = 15–25 dB | 2 | 0.500 |" in markdown(metrics)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["groups"]["capture_snr_band"]["<5 dB"]["n"] == 1
    assert (tmp_path / "robustness.png").read_bytes()[:4] == b"\x89PNG"


def test_no_capture_group_without_captures(tmp_path):
    meta = {"condition": ["clean", "augmented"], "snr_db": [None, 10.0]}
    metrics = report(logits_for([0, 1]), np.array([0, 1]), NAMES, meta, Calibration(), tmp_path)
    assert "capture_snr_band" not in metrics["groups"] and metrics["groups"]["snr_band"]["5–15 dB"]["n"] == 1

"""``python -m trainer.enrol_negatives``: the sounds an enrolled label must not answer for, stored in the model folder."""

from __future__ import annotations

import shutil

import numpy as np

from tests.synthetic import write_audio
from tests.tiny_model import LABELS, SPECIES, species_cry, trained_tiny_model
from trainer.enrol_negatives import main


def test_the_command_stores_cry_like_windows_of_no_cry_captures_and_of_trained_cries(tmp_path, small_capture_chain, capsys):
    from recognizer.label_thresholds import load_negatives

    cries = tmp_path / "cries"
    for label in LABELS:
        write_audio(cries / "cries" / "pokemon" / "latest" / f"{SPECIES[label].pokedex_id}.ogg", species_cry(label, 1.0))
    model = tmp_path / "model"
    shutil.copytree(trained_tiny_model(), model)
    args = ["--model", str(model), "--no-cry", "8", "--cries-dir", str(cries), "--captures-per-cry", "2"]
    assert main(args) == 0
    assert "enrol_negatives.safetensors" in capsys.readouterr().out
    first = load_negatives(model)
    hidden = 32
    assert first.embeddings.shape[1] == hidden and len(first.embeddings) == len(first.recording)
    # 8 without a cry + 2 captures of each of the 3 cries; each recording that has cry-like windows is numbered
    assert 1 <= first.recordings <= 8 + 2 * len(LABELS)
    assert np.array_equal(np.unique(first.recording), np.arange(first.recordings))
    # the head's input: layer-normed embeddings (mean ~ the layer norm's offset), not raw audio features
    assert np.all(np.isfinite(first.embeddings)) and float(np.abs(first.embeddings).max()) < 100
    assert main(args) == 0  # the same seed stores the same windows
    again = load_negatives(model)
    assert np.array_equal(again.embeddings, first.embeddings) and np.array_equal(again.recording, first.recording)


def test_bad_arguments_are_refused_with_a_clear_message(tmp_path, capsys):
    model = str(trained_tiny_model())
    assert main(["--model", model, "--no-cry", "-1"]) == 2
    assert "--no-cry -1: expected 0-20000" in capsys.readouterr().err
    assert main(["--model", model, "--no-cry", "0"]) == 2
    assert "expected some recordings" in capsys.readouterr().err
    assert main(["--model", str(tmp_path / "nowhere"), "--no-cry", "2"]) == 2
    assert "nowhere" in capsys.readouterr().err

"""Folding the temperature into the classifier head: same answers, calibrated probabilities on every path."""

import shutil

import numpy as np
import pytest
import torch

from frontend.windows import find_windows
from recognizer.calibrated_head import final_linear, fold_into_folder, fold_temperature, main
from recognizer.loading import clear_cache
from recognizer.model_files import load_calibration
from recognizer.predict import Recognizer
from tests.tiny_model import build_tiny_model, species_cry, trained_tiny_model


def test_fold_divides_the_logits_by_the_temperature(tmp_path):
    from transformers import ASTForAudioClassification

    model = ASTForAudioClassification.from_pretrained(build_tiny_model(tmp_path / "m", seed=3)).eval()
    inputs = torch.randn(4, 300, 32)
    with torch.no_grad():
        before = model(input_values=inputs).logits
        fold_temperature(model, 0.4)
        after = model(input_values=inputs).logits
    torch.testing.assert_close(after, before / 0.4, rtol=1e-5, atol=1e-5)
    assert torch.equal(after.argmax(-1), before.argmax(-1))
    assert final_linear(model) is model.classifier.dense
    with pytest.raises(ValueError, match="temperature must be > 0"):
        fold_temperature(model, 0.0)
    with pytest.raises(ValueError, match="no linear layer"):
        fold_temperature(torch.nn.Module(), 2.0)


def test_folded_folder_gives_the_same_answers_and_pipeline_probabilities(tmp_path, capsys):
    from transformers import pipeline

    folder = shutil.copytree(trained_tiny_model(), tmp_path / "model")
    calibration = load_calibration(folder)
    calibration_path = folder / "calibration.json"
    calibration_path.write_text(calibration_path.read_text().replace('"temperature": 1.0', '"temperature": 2.5'))
    assert load_calibration(folder).temperature == 2.5
    cry = species_cry("Squirtle", 1.2, seed=9)
    clear_cache()
    before = Recognizer.from_pretrained(str(folder), threads=1).predict(cry)

    main([str(folder)])
    assert "2.5000 folded" in capsys.readouterr().out
    assert load_calibration(folder).temperature == 1.0 and load_calibration(folder).threshold == calibration.threshold
    assert fold_into_folder(folder) == 1.0  # nothing left to fold
    clear_cache()
    recognizer = Recognizer.from_pretrained(str(folder), threads=1)
    after = recognizer.predict(cry)
    assert [g.label for g in after.guesses] == [g.label for g in before.guesses]
    np.testing.assert_allclose([g.probability for g in after.guesses], [g.probability for g in before.guesses], atol=1e-5)

    window = find_windows(cry, recognizer.window)[0].samples
    scores = pipeline("audio-classification", model=str(folder), device="cpu")({"raw": window, "sampling_rate": 16000})
    top = recognizer.predict(window)
    assert scores[0]["label"] == top.top.label and scores[0]["score"] == pytest.approx(top.confidence, abs=1e-5)
    clear_cache()

"""The prediction path with a tiny trained model on synthetic audio: formats, rates, windows, not-sure, errors."""

import dataclasses
import json
import shutil

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from recognizer.loading import MODEL_ID_ENV, ModelBundle, ModelNotFoundError, load_model, model_source
from recognizer.predict import LOW_CONFIDENCE, NO_CRY_LABEL, SILENCE, Prediction, Recognizer
from recognizer.recording import RecordingError, read_recording
from tests.synthetic import write_audio
from tests.tiny_model import LABELS, build_tiny_model, species_cry, trained_tiny_model


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.from_pretrained(str(trained_tiny_model()), threads=1)


@pytest.mark.parametrize(
    "fmt,rate,channels",
    [("wav", 8000, 1), ("wav", 48000, 2), ("mp3", 44100, 2), ("mp3", 16000, 1), ("ogg", 22050, 1),
     ("ogg", 48000, 2), ("flac", 11025, 1), ("flac", 32000, 2)],
)
def test_names_the_species_in_any_format_rate_and_layout(recognizer, tmp_path, fmt, rate, channels):
    for label in LABELS:
        path = write_audio(tmp_path / f"{label}.{fmt}", species_cry(label, 1.2, rate, seed=7), rate, channels)
        prediction = recognizer.predict_file(path)
        assert prediction.top.label == label, (fmt, rate, channels, prediction.label_dict())
        assert not prediction.not_sure and prediction.reason == ""
        assert prediction.confidence >= recognizer.threshold


def test_prediction_carries_calibrated_top_k_and_species_info(recognizer):
    prediction = recognizer.predict(species_cry("Charmander", 1.5, seed=3))
    probabilities = [g.probability for g in prediction.guesses]
    assert [g.label for g in prediction.guesses][0] == "Charmander" and len(prediction.guesses) == 3
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) == pytest.approx(1.0, abs=1e-5)
    top = prediction.top
    assert top.species.pokedex_id == 4 and top.species.types == ["fire"] and top.species.generation == 1
    assert prediction.label_dict("fr") == {g.name("fr"): g.probability for g in prediction.guesses}
    assert "Salamèche" in prediction.label_dict("fr") and "ヒトカゲ" in prediction.label_dict("ja")
    assert top.name("xx") == "Charmander"  # unknown language: English
    assert len(recognizer.predict(species_cry("Charmander", 1.5), top_k=2).guesses) == 2


def test_integer_stereo_arrays_at_any_rate(recognizer):
    cry = species_cry("Squirtle", 1.0, 44100, seed=5)
    pcm = (np.stack([cry, cry], axis=1) * 32767).astype(np.int16)  # (n, 2) int16, as Gradio's numpy type gives
    assert recognizer.predict(pcm, 44100).top.label == "Squirtle"


def test_long_recording_is_scanned_in_windows(recognizer, rng):
    recording = 1e-3 * rng.standard_normal(20 * SAMPLE_RATE).astype(np.float32)
    cry = species_cry("Squirtle", 1.5, seed=9)
    recording[12 * SAMPLE_RATE : 12 * SAMPLE_RATE + len(cry)] += 0.5 * cry
    prediction = recognizer.predict(recording)
    assert prediction.windows > 1
    assert prediction.top.label == "Squirtle" and not prediction.not_sure
    window_seconds = recognizer.window / SAMPLE_RATE
    assert 12 - window_seconds <= prediction.window_start <= 13.5


def test_cry_after_noise_is_found(recognizer, rng):
    noise = 0.05 * rng.standard_normal(8 * SAMPLE_RATE).astype(np.float32)
    cry = species_cry("Bulbasaur", 1.2, seed=2)
    recording = np.concatenate([noise, np.zeros(SAMPLE_RATE // 2, np.float32), cry]).astype(np.float32)
    prediction = recognizer.predict(recording)
    assert prediction.kinds.get("noise", 0) >= 1 and prediction.kinds.get("cry", 0) >= 1
    assert prediction.top.label == "Bulbasaur" and not prediction.not_sure


@pytest.mark.parametrize("level", [0.0, 1e-5])
def test_silence_is_not_sure(recognizer, level, rng):
    prediction = recognizer.predict(level * rng.standard_normal(3 * SAMPLE_RATE).astype(np.float32))
    assert prediction.not_sure and prediction.reason == SILENCE and prediction.guesses == []


def test_noise_is_not_sure(recognizer, rng):
    prediction = recognizer.predict(0.2 * rng.standard_normal(4 * SAMPLE_RATE).astype(np.float32))
    assert prediction.not_sure and prediction.reason == "noise"
    assert len(prediction.guesses) == 3  # the model's guesses are still reported


def test_low_confidence_is_not_sure(tmp_path):
    folder = build_tiny_model(tmp_path / "random", threshold=0.95)  # untrained: about 1/3 each
    prediction = Recognizer.from_pretrained(str(folder), threads=1).predict(species_cry("Bulbasaur", 1.0))
    assert prediction.not_sure and prediction.reason == LOW_CONFIDENCE and prediction.confidence < 0.95


def test_temperature_softens_the_probabilities(tmp_path):
    folder = shutil.copytree(trained_tiny_model(), tmp_path / "hot")
    calibration = json.loads((folder / "calibration.json").read_text())
    (folder / "calibration.json").write_text(json.dumps({**calibration, "temperature": 8.0}))
    cry = species_cry("Squirtle", 1.2, seed=4)
    sharp = Recognizer.from_pretrained(str(trained_tiny_model()), threads=1).predict(cry)
    soft = Recognizer.from_pretrained(str(folder), threads=1).predict(cry)
    assert soft.top.label == sharp.top.label and soft.confidence < sharp.confidence


def test_no_cry_class_means_not_sure(recognizer):
    import torch

    bundle = recognizer.bundle
    model = type(bundle.model)(bundle.model.config)
    model.load_state_dict(bundle.model.state_dict())
    with torch.no_grad():
        model.classifier.dense.bias[2] += 100.0  # the third class always wins
    labels = [*bundle.labels[:2], NO_CRY_LABEL]
    tweaked = Recognizer(dataclasses.replace(bundle, model=model.eval(), labels=labels), threads=1)
    prediction = tweaked.predict(species_cry("Bulbasaur", 1.2))
    assert prediction.not_sure and prediction.reason == NO_CRY_LABEL
    assert NO_CRY_LABEL not in [g.label for g in prediction.guesses]


def test_bad_files_give_clear_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("this is not audio " * 100)
    with pytest.raises(RecordingError, match="notes.txt.*could not decode"):
        read_recording(tmp_path / "notes.txt")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(RecordingError, match="empty.wav.*empty"):
        read_recording(tmp_path / "empty.wav")
    with pytest.raises(RecordingError, match="missing.ogg.*no such file"):
        read_recording(tmp_path / "missing.ogg")
    long = write_audio(tmp_path / "long.flac", np.full(31 * 8000, 0.1, np.float32), 8000)
    with pytest.raises(RecordingError, match="long.flac.*longer than 30 s"):
        read_recording(long)
    big = write_audio(tmp_path / "big.wav", species_cry("Bulbasaur", 1.0))
    with pytest.raises(RecordingError, match="big.wav.*over the"):
        read_recording(big, max_bytes=1000)


def test_long_recording_without_duration_header_is_rejected_after_decoding(tmp_path):
    path = write_audio(tmp_path / "long.wav", np.full(32 * 8000, 0.1, np.float32), 8000)
    data = bytearray(path.read_bytes())
    data[40:44] = (0xFFFFFFFF).to_bytes(4, "little")  # streaming-style WAV: unknown data size
    path.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match="longer than 30 s"):
        read_recording(path)


def test_model_source_and_loading_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ID_ENV, raising=False)
    assert model_source().endswith("models/default")
    monkeypatch.setenv(MODEL_ID_ENV, str(tmp_path / "elsewhere"))
    assert model_source() == str(tmp_path / "elsewhere")
    with pytest.raises(ModelNotFoundError, match="elsewhere: no such folder.*MODEL_ID"):
        load_model()
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match="no preprocessor_config.json"):
        load_model(str(tmp_path / "half"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="nobody/no-such-model.*Hub"):
        load_model("nobody/no-such-model")


def test_model_is_loaded_once(monkeypatch):
    monkeypatch.setenv(MODEL_ID_ENV, str(trained_tiny_model()))
    first = load_model()
    assert isinstance(first, ModelBundle) and load_model(str(trained_tiny_model())) is first
    assert first.labels == LABELS and first.languages[:5] == ["en", "fr", "ja", "de", "es"]


def test_prediction_defaults():
    empty = Prediction([], True, SILENCE, 0.5)
    assert empty.top is None and empty.confidence == 0.0 and empty.label_dict() == {}
    assert "silent" in empty.explanation

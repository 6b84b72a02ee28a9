"""Training sees what the app sees: one recording through the trainer's path and through the recogniser
gives the model identical inputs (the front end's windows, level and fbank, the model's own statistics)."""

from __future__ import annotations

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE, decode_audio, encode_wav
from frontend.fbank import window_samples
from tests.synthetic import fake_cry
from tests.tiny_model import trained_tiny_model


@pytest.fixture(scope="module")
def recognizer():
    from recognizer.predict import Recognizer

    return Recognizer.from_pretrained(str(trained_tiny_model()))


def recogniser_inputs(recognizer, samples: np.ndarray) -> np.ndarray:
    """The ``input_values`` batch the recogniser's model is called with for ``samples`` (one row per window)."""
    seen = []
    model = recognizer.bundle.model
    forward = model.forward

    def recording_forward(input_values=None, **kwargs):
        seen.append(input_values.numpy().copy())
        return forward(input_values=input_values, **kwargs)

    model.forward = recording_forward
    try:
        recognizer.predict(samples, SAMPLE_RATE)
    finally:
        del model.forward
    assert len(seen) == 1, "expected one model call per recording"
    return seen[0]


def training_inputs(recognizer, samples: np.ndarray, tmp_path, window: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(the decoded dataset row, the ``input_values`` the trainer's cached-fbank path gives it)."""
    from datasets import Audio, ClassLabel, Dataset, Features

    from frontend.windows import onset_setting
    from trainer.features import FbankCollator, cached_fbanks

    features = Features({"audio": Audio(sampling_rate=SAMPLE_RATE), "label": ClassLabel(names=["a", "b"])})
    ds = Dataset.from_dict({"audio": [{"bytes": encode_wav(samples), "path": None}], "label": [0]}, features=features)
    ds.save_to_disk(str(tmp_path / "ds"))
    from datasets import load_from_disk

    ds = load_from_disk(str(tmp_path / "ds"))
    extractor = recognizer.bundle.feature_extractor
    store = cached_fbanks(ds, extractor.num_mel_bins, tmp_path / "cache", window=window, desc="train",
                          onset_below_peak_db=onset_setting(extractor), locator=recognizer.locator)
    batch = FbankCollator.for_extractor(extractor)([{"fbank": store[0], "labels": 0}])
    return np.asarray(ds[0]["audio"]["array"], dtype=np.float32), batch["input_values"].numpy()


def recordings(rng) -> dict[str, np.ndarray]:
    """Synthetic recordings with what phones add: silence around the cry, clipping, a DC offset."""
    cry = fake_cry(6, 1.2, seed=3)
    silence = np.zeros(int(0.8 * SAMPLE_RATE), np.float32)
    room = 1e-3 * rng.standard_normal(int(0.5 * SAMPLE_RATE)).astype(np.float32)
    return {
        "silence around": np.concatenate([silence, 0.3 * cry, silence]),
        "clipped": np.clip(3.0 * cry, -0.5, 0.5).astype(np.float32),
        "dc offset": np.concatenate([room, 0.2 * cry, room]) + np.float32(0.1),
        "quiet, noisy": np.concatenate([room, 0.01 * cry, room]),
    }


@pytest.mark.parametrize("name", ["silence around", "clipped", "dc offset", "quiet, noisy"])
def test_a_synthetic_recording_gives_identical_model_inputs(recognizer, tmp_path, rng, name):
    audio, trained = training_inputs(recognizer, recordings(rng)[name], tmp_path, window=None)
    heard = recogniser_inputs(recognizer, audio)
    assert heard.shape == trained.shape == (1, recognizer.bundle.feature_extractor.max_length, heard.shape[2])
    np.testing.assert_allclose(trained, heard, rtol=0, atol=1e-5)


def test_band_normalised_features_are_identical_in_training_and_in_the_app(recognizer, tmp_path, rng):
    recognizer.bundle.feature_extractor.band_normalisation = "mean"
    try:
        audio, trained = training_inputs(recognizer, recordings(rng)["silence around"], tmp_path, window=None)
        heard = recogniser_inputs(recognizer, audio)
    finally:
        del recognizer.bundle.feature_extractor.band_normalisation
    np.testing.assert_allclose(trained, heard, rtol=0, atol=1e-5)
    # the bands really were normalised: every band has the same mean over the window (its frames and the padding)
    assert np.ptp(trained[0].mean(axis=0)) < 1e-4
    assert np.ptp(training_inputs(recognizer, audio, tmp_path / "plain", window=None)[1][0].mean(axis=0)) > 0.1


def test_windows_cut_at_the_onset_are_identical_in_training_and_in_the_app(recognizer, tmp_path, rng):
    audio = recordings(rng)["silence around"]
    plain = training_inputs(recognizer, audio, tmp_path / "plain", window=None)[1]
    recognizer.bundle.feature_extractor.onset_below_peak_db = recognizer.onset_below_peak_db = 20.0
    try:
        audio, trained = training_inputs(recognizer, audio, tmp_path, window=None)
        heard = recogniser_inputs(recognizer, audio)
    finally:
        del recognizer.bundle.feature_extractor.onset_below_peak_db
        recognizer.onset_below_peak_db = None
    np.testing.assert_allclose(trained, heard, rtol=0, atol=1e-5)
    assert np.abs(trained - plain).max() > 0.1  # the window really starts elsewhere (0.02 s before the cry, not 0.1 s)


def test_windows_cut_where_a_cry_locator_says_are_identical_in_training_and_in_the_app(recognizer, tmp_path, rng):
    import torch

    from frontend.locator import CryLocator, build_network

    audio = recordings(rng)["silence around"]
    plain = training_inputs(recognizer, audio, tmp_path / "plain", window=None)[1]
    torch.manual_seed(1)
    locator = CryLocator(build_network(n_mels=64, channels=8, hidden=4), {"n_mels": 64, "channels": 8, "hidden": 4})
    locator.onset_seconds = lambda samples: 1.1  # 0.3 s into the cry: a window the level rules never cut
    recognizer.locator = locator
    try:
        audio, trained = training_inputs(recognizer, audio, tmp_path, window=None)
        heard = recogniser_inputs(recognizer, audio)
    finally:
        recognizer.locator = None
    np.testing.assert_allclose(trained, heard, rtol=0, atol=1e-5)
    assert np.abs(trained - plain).max() > 0.1  # the window really starts where the locator said


def test_a_long_recording_trains_on_the_loudest_window_the_app_scores(recognizer, tmp_path, rng):
    window = window_samples(int(recognizer.bundle.feature_extractor.max_length))
    recording = 1e-3 * rng.standard_normal(4 * window).astype(np.float32)
    recording[window // 2 : window // 2 + SAMPLE_RATE] += 0.02 * fake_cry(2, 1.0)
    recording[2 * window : 2 * window + SAMPLE_RATE] += 0.4 * fake_cry(6, 1.0)
    audio, trained = training_inputs(recognizer, recording, tmp_path, window=window)
    heard = recogniser_inputs(recognizer, audio)
    assert len(heard) > 1
    distances = [float(np.max(np.abs(row - trained[0]))) for row in heard]
    assert min(distances) < 1e-5, distances  # the training example is one of the windows the app scores


@pytest.mark.shared
@pytest.mark.parametrize("rendition,pokemon_id", [("latest", 25), ("legacy", 25), ("latest", 143), ("legacy", 7)])
def test_a_real_cry_gives_identical_model_inputs(recognizer, tmp_path, shared_pokeapi, rendition, pokemon_id):
    path = shared_pokeapi / "cries" / "cries" / "pokemon" / rendition / f"{pokemon_id}.ogg"
    cry = decode_audio(path)
    recording = np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), cry, np.zeros(SAMPLE_RATE // 4, np.float32)])
    audio, trained = training_inputs(recognizer, recording, tmp_path, window=None)
    heard = recogniser_inputs(recognizer, audio)
    np.testing.assert_allclose(trained, heard, rtol=0, atol=1e-5)

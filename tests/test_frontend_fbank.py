"""The fbank geometry: frames and samples convert one way and back, and match Kaldi's own count."""

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from frontend.fbank import (
    FBANK_HOP_SAMPLES,
    FBANK_WINDOW_SAMPLES,
    band_normalisation,
    compute_fbank,
    frames_to_seconds,
    make_extractor,
    model_inputs,
    normalise_bands,
    num_frames,
    window_samples,
)


def test_window_samples_fills_the_fbank_frames():
    import torch
    import torchaudio.compliance.kaldi as kaldi

    n = window_samples(300)
    frames = kaldi.fbank(torch.zeros(1, n) + 0.1, sample_frequency=SAMPLE_RATE, num_mel_bins=32)
    assert frames.shape[0] == 300




def test_num_frames_and_window_samples_are_inverses():
    for frames in (1, 2, 99, 400, 1024):
        assert num_frames(window_samples(frames)) == frames
        assert num_frames(window_samples(frames) - 1) == frames - 1
    assert num_frames(FBANK_WINDOW_SAMPLES - 1) == 0
    assert window_samples(400) == 399 * FBANK_HOP_SAMPLES + FBANK_WINDOW_SAMPLES
    assert frames_to_seconds(400) == pytest.approx(4.015)
    with pytest.raises(ValueError, match="at least 1 frame"):
        window_samples(0)


def test_compute_fbank_is_what_the_extractor_computes_before_padding():
    extractor = make_extractor(32, max_length=300)
    x = (0.1 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    fb = compute_fbank(x, extractor)
    assert fb.shape == (num_frames(SAMPLE_RATE), 32)
    full = extractor._extract_fbank_features(x, max_length=300)
    np.testing.assert_allclose(fb, full[: len(fb)], rtol=1e-5, atol=1e-5)


def tone(seconds: float, level: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    chirp = np.sin(2 * np.pi * (300 + 900 * t) * t) * np.exp(-((t - seconds / 2) ** 2) / 0.1)
    return (level * chirp + 2e-2 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)


@pytest.mark.parametrize("seconds", [0.6, 1.0, 2.5])
def test_model_inputs_without_band_normalisation_are_the_extractors(seconds):
    extractor = make_extractor(32, max_length=100, mean=-5.0, std=3.0)
    windows = [tone(seconds), tone(seconds / 2, 0.5)]
    expected = extractor(windows, sampling_rate=SAMPLE_RATE, return_tensors="np")["input_values"]
    np.testing.assert_allclose(model_inputs(windows, extractor), expected, rtol=0, atol=1e-5)


def test_band_normalisation_cancels_a_static_gain_and_round_trips(tmp_path):
    from transformers import ASTFeatureExtractor

    plain = make_extractor(32, max_length=100)
    banded = make_extractor(32, max_length=100, band_normalisation="mean")
    x = tone(0.9)
    quieter = 0.25 * x  # a static gain: the same constant added to every band's log energy
    assert not np.allclose(model_inputs([x], plain), model_inputs([quieter], plain), atol=1e-2)
    np.testing.assert_allclose(model_inputs([x], banded), model_inputs([quieter], banded), atol=1e-3)
    # a per-band offset (a coloured static filter) cancels too, whatever the band
    fb = compute_fbank(x, banded)
    offset = np.linspace(-6.0, 6.0, fb.shape[1], dtype=np.float32)
    np.testing.assert_allclose(normalise_bands(fb + offset, "mean", -4.0), normalise_bands(fb, "mean", -4.0), atol=1e-4)
    assert normalise_bands(fb, "none", -4.0) is fb
    banded.save_pretrained(tmp_path)
    assert band_normalisation(ASTFeatureExtractor.from_pretrained(tmp_path)) == "mean"
    assert band_normalisation(plain) == "none" and "band_normalisation" not in plain.to_dict()


def test_floor_subtracts_a_steady_background_and_keeps_the_cry():
    """"floor": frames of a steady background fall (at most FLOOR_MAX_ATTENUATION_DB), a cry far above it stays, and
    a background made louder around the cry (an AGC's pumping) ends lower relative to the cry than before."""
    from frontend.fbank import FLOOR_MAX_ATTENUATION_DB

    rng = np.random.default_rng(0)
    noise = 1e-3 * np.exp(rng.normal(0.0, 0.2, (400, 16)))
    power = noise.copy()
    power[150:250] += 1.0  # a cry 30 dB over the background
    fb = np.log(power).astype(np.float32)
    out = normalise_bands(fb, "floor", -4.0)
    assert out.shape == fb.shape and out.dtype == np.float32
    drop = fb - out
    cap = FLOOR_MAX_ATTENUATION_DB / 10.0 * np.log(10.0)
    assert np.all(drop >= -1e-6) and np.all(drop <= cap + 1e-5)
    assert float(np.median(drop[:150])) > 1.0  # the background alone: most of it subtracted
    assert float(np.max(drop[150:250])) < 0.01  # the cry: untouched
    pumped = fb.copy()
    pumped[100:150] += np.log(4.0)  # the background 6 dB louder just before the cry
    before, after = pumped[100:150].mean() - pumped[150:250].mean(), (
        normalise_bands(pumped, "floor", -4.0)[100:150].mean() - normalise_bands(pumped, "floor", -4.0)[150:250].mean())
    assert after < before


def test_an_unknown_band_normalisation_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="band normalisation 'pcen': expected one of none, mean, floor"):
        make_extractor(32, band_normalisation="pcen")

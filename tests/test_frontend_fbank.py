"""The fbank geometry: frames and samples convert one way and back, and match Kaldi's own count."""

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from frontend.fbank import (
    FBANK_HOP_SAMPLES,
    FBANK_WINDOW_SAMPLES,
    compute_fbank,
    frames_to_seconds,
    make_extractor,
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

"""Finding the cry in a recording: trimming, windows, loudness."""

import numpy as np
import pytest

from dataset_builder.audio import SAMPLE_RATE, rms_dbfs
from recognizer.segment import (
    MAX_GAIN_DB,
    TARGET_DBFS,
    find_windows,
    normalise_loudness,
    sounding_span,
    split_windows,
    window_length,
)
from tests.synthetic import fake_cry, tone


def test_window_length_fills_the_fbank_frames():
    import torch
    import torchaudio.compliance.kaldi as kaldi

    n = window_length(300)
    frames = kaldi.fbank(torch.zeros(1, n) + 0.1, sample_frequency=SAMPLE_RATE, num_mel_bins=32)
    assert frames.shape[0] == 300


def test_split_windows_cover_everything_with_overlap():
    samples = np.arange(10_000, dtype=np.float32)
    windows = split_windows(samples, 3000)
    assert windows[0].start == 0 and windows[-1].start + 3000 == 10_000
    assert all(len(w.samples) == 3000 for w in windows)
    assert all(b.start - a.start <= 750 for a, b in zip(windows, windows[1:], strict=False))
    assert split_windows(samples[:2000], 3000)[0].samples.shape == (2000,)


def test_sounding_span_trims_silence_but_keeps_the_cry():
    cry = fake_cry(3, 1.0)
    recording = np.concatenate([np.zeros(2 * SAMPLE_RATE), cry, np.zeros(3 * SAMPLE_RATE)]).astype(np.float32)
    start, end = sounding_span(recording)
    assert 1.8 * SAMPLE_RATE <= start <= 2.05 * SAMPLE_RATE
    assert 2.95 * SAMPLE_RATE <= end <= 3.2 * SAMPLE_RATE
    assert sounding_span(np.zeros(SAMPLE_RATE, np.float32)) is None
    assert sounding_span(np.full(SAMPLE_RATE, 1e-5, np.float32)) is None  # -100 dBFS


def test_normalise_loudness_sets_the_level_and_never_clips(rng):
    quiet = np.concatenate([np.zeros(SAMPLE_RATE // 2, np.float32), tone(440, 1.0, amplitude=0.001)])
    out = normalise_loudness(quiet)
    assert rms_dbfs(out[SAMPLE_RATE // 2 :]) == pytest.approx(TARGET_DBFS, abs=0.5)  # the silence does not count
    faint = 1e-4 * fake_cry(5, 1.0)  # about -100 dBFS: amplified by MAX_GAIN_DB only
    assert np.max(np.abs(normalise_loudness(faint))) == pytest.approx(np.max(np.abs(faint)) * 10 ** (MAX_GAIN_DB / 20), rel=1e-3)
    spiky = np.zeros(SAMPLE_RATE, np.float32)
    spiky[100] = 1.0
    spiky += 1e-3 * rng.standard_normal(SAMPLE_RATE).astype(np.float32)
    assert np.max(np.abs(normalise_loudness(spiky))) <= 0.99 + 1e-6
    assert rms_dbfs(normalise_loudness(np.zeros(100, np.float32))) == float("-inf")


def test_find_windows_keeps_only_windows_with_sound(rng):
    length = window_length(300)
    recording = 1e-4 * rng.standard_normal(20 * SAMPLE_RATE).astype(np.float32)  # -80 dBFS room
    recording[12 * SAMPLE_RATE : 13 * SAMPLE_RATE] += fake_cry(6, 1.0)
    windows = find_windows(recording, length)
    assert windows, "the cry was not found"
    assert all(w.start <= 13 * SAMPLE_RATE and w.start + length >= 12 * SAMPLE_RATE for w in windows)
    assert all(len(w.samples) <= length for w in windows)
    assert find_windows(np.zeros(5 * SAMPLE_RATE, np.float32), length) == []

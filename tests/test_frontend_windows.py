"""Cutting a recording into the windows the model scores, and the training example taken from them."""

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from frontend.fbank import window_samples
from frontend.levels import TARGET_DBFS, normalise_loudness, remove_dc, sounding_level_dbfs, sounding_span
from frontend.windows import find_windows, split_windows, training_example
from tests.synthetic import fake_cry


def test_split_windows_cover_everything_with_overlap():
    samples = np.arange(10_000, dtype=np.float32)
    windows = split_windows(samples, 3000)
    assert windows[0].start == 0 and windows[-1].start + 3000 == 10_000
    assert all(len(w.samples) == 3000 for w in windows)
    assert all(b.start - a.start <= 750 for a, b in zip(windows, windows[1:], strict=False))
    assert split_windows(samples[:2000], 3000)[0].samples.shape == (2000,)


def test_find_windows_keeps_only_windows_with_sound(rng):
    length = window_samples(300)
    recording = 1e-4 * rng.standard_normal(20 * SAMPLE_RATE).astype(np.float32)  # -80 dBFS room
    recording[12 * SAMPLE_RATE : 13 * SAMPLE_RATE] += fake_cry(6, 1.0)
    windows = find_windows(recording, length)
    assert windows, "the cry was not found"
    assert all(w.start <= 13 * SAMPLE_RATE and w.start + length >= 12 * SAMPLE_RATE for w in windows)
    assert all(len(w.samples) <= length for w in windows)
    assert find_windows(np.zeros(5 * SAMPLE_RATE, np.float32), length) == []


def test_a_dc_offset_is_not_sound():
    recording = np.concatenate([np.zeros(2 * SAMPLE_RATE, np.float32), fake_cry(2, 1.0)]) + np.float32(0.2)
    windows = find_windows(recording, window_samples(400))
    assert len(windows) == 1 and windows[0].start >= 1.85 * SAMPLE_RATE  # the offset did not stop the trim
    assert abs(float(np.mean(windows[0].samples))) < 1e-3


def test_training_example_is_the_loudest_window_the_app_scores(rng):
    length = window_samples(200)
    recording = 1e-3 * rng.standard_normal(8 * SAMPLE_RATE).astype(np.float32)
    recording[SAMPLE_RATE : 2 * SAMPLE_RATE] += 0.05 * fake_cry(1, 1.0)
    recording[5 * SAMPLE_RATE : 6 * SAMPLE_RATE] += 0.5 * fake_cry(4, 1.0)
    example = training_example(recording, length)
    windows = find_windows(recording, length)
    assert len(windows) > 1
    matches = [w for w in windows if np.array_equal(w.samples, example)]
    assert len(matches) == 1 and 3 * SAMPLE_RATE <= matches[0].start <= 6 * SAMPLE_RATE
    assert sounding_level_dbfs(example) == pytest.approx(TARGET_DBFS, abs=0.5)


def test_training_example_of_a_short_clip_is_the_whole_trimmed_clip():
    clip = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), 0.01 * fake_cry(3, 1.0), np.zeros(SAMPLE_RATE, np.float32)])
    example = training_example(clip)
    clip = remove_dc(clip)
    start, end = sounding_span(clip)
    assert start >= 0.85 * SAMPLE_RATE and end <= 2.15 * SAMPLE_RATE  # the silence around it is gone
    np.testing.assert_array_equal(example, normalise_loudness(clip[start:end]))
    silent = np.zeros(1000, np.float32)
    assert np.array_equal(training_example(silent), silent)


def test_onset_setting_starts_the_window_at_the_cry_after_a_lead_in_the_trim_keeps(rng):
    """A lead-in 35 dB under the cry survives the 40 dB trim; with onset_below_peak_db the window starts at the cry."""
    length = window_samples(300)
    cry = fake_cry(3, 1.0)
    lead_in = int(0.6 * SAMPLE_RATE)
    recording = np.concatenate([np.zeros(lead_in, np.float32), cry])
    recording += (np.max(np.abs(cry)) * 10 ** (-35 / 20) / 3 * rng.standard_normal(len(recording))).astype(np.float32)
    assert find_windows(recording, length)[0].start < 0.05 * SAMPLE_RATE  # the lead-in is kept
    onset_first = np.flatnonzero(np.abs(cry) >= np.max(np.abs(cry)) * 0.1)[0] + lead_in  # 20 dB under the peak
    start = find_windows(recording, length, onset_below_peak_db=20.0)[0].start
    assert onset_first - 0.02 * SAMPLE_RATE - 0.011 * SAMPLE_RATE <= start <= onset_first  # 10 ms meter frames
    # training prepares its example with the same setting, from the same windows
    example = training_example(recording, length, onset_below_peak_db=20.0)
    assert np.array_equal(example, find_windows(recording, length, onset_below_peak_db=20.0)[0].samples)
    assert not np.array_equal(example, training_example(recording, length))


def test_onset_setting_is_read_from_the_feature_extractor_and_survives_saving(tmp_path):
    from transformers import ASTFeatureExtractor

    from frontend.fbank import make_extractor
    from frontend.windows import onset_setting

    make_extractor(64, 400, onset_below_peak_db=20).save_pretrained(tmp_path)
    assert onset_setting(ASTFeatureExtractor.from_pretrained(tmp_path)) == 20.0
    assert onset_setting(make_extractor(64)) is None

"""The frame meter, trimming and level normalisation."""

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from frontend.levels import (
    MAX_GAIN_DB,
    TARGET_DBFS,
    active_power,
    frame_power,
    loudest_frame_dbfs,
    normalise_loudness,
    peak_normalise,
    remove_dc,
    rms_dbfs,
    sounding_span,
)
from tests.synthetic import fake_cry, tone


def test_frame_power_counts_the_tail_as_a_frame():
    x = np.concatenate([np.ones(320), 0.5 * np.ones(100)]).astype(np.float32)
    np.testing.assert_allclose(frame_power(x, 320), [1.0, 0.25])
    assert frame_power(np.zeros(0), 320).size == 0
    with pytest.raises(ValueError, match="frame must be >= 1"):
        frame_power(x, 0)


def test_levels_in_dbfs():
    assert rms_dbfs(np.zeros(10)) == float("-inf")
    assert rms_dbfs(tone(100, 1.0, amplitude=1.0)) == pytest.approx(-3.01, abs=0.05)
    quiet_tail = np.concatenate([tone(440, 0.5, amplitude=0.5), np.zeros(5 * SAMPLE_RATE, np.float32)])
    assert loudest_frame_dbfs(quiet_tail) == pytest.approx(-9.03, abs=0.1)
    assert 10 * np.log10(active_power(quiet_tail)) == pytest.approx(-9.03, abs=0.1)


def test_remove_dc_and_peak_normalise():
    x = tone(440, 0.5, amplitude=0.2) + 0.3
    assert abs(float(np.mean(remove_dc(x)))) < 1e-6
    assert float(np.max(np.abs(peak_normalise(x, -1.0)))) == pytest.approx(10 ** (-1 / 20), rel=1e-5)
    assert not np.any(peak_normalise(np.zeros(10, np.float32), -1.0))


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



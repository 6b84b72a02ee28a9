"""dataset_builder.dsp: the active level and mixing at an SNR, filter designs, the soft limiter."""

import numpy as np
import pytest
from spectral import tone_gain_db
from synthetic import tone

from dataset_builder.dsp import butterworth_sos, mix_at_snr, peaking_sos, signal_level, soft_limit, sosfilt32
from frontend.audio import SAMPLE_RATE


def measured_snr(clean: np.ndarray, mixed: np.ndarray) -> float:
    noise = mixed.astype(np.float64) - clean.astype(np.float64)
    return float(10 * np.log10(signal_level(clean) / np.mean(noise**2)))


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 10.0, 20.0, 30.0])
def test_mix_at_snr_lands_on_target(snr_db):
    clean = tone(440.0, 1.0, amplitude=0.3)
    noise = np.random.default_rng(0).standard_normal(len(clean)).astype(np.float32)
    mixed, gain = mix_at_snr(clean, noise, snr_db)
    assert gain > 0 and mixed.dtype == np.float32
    assert abs(measured_snr(clean, mixed) - snr_db) < 0.5


def test_signal_level_ignores_the_silence_around_a_cry():
    cry = tone(440.0, 0.5, amplitude=0.3)
    placed = np.concatenate([np.zeros(SAMPLE_RATE, np.float32), cry, np.zeros(2 * SAMPLE_RATE, np.float32)])
    assert abs(10 * np.log10(signal_level(placed) / signal_level(cry))) < 0.1
    assert abs(10 * np.log10(signal_level(cry) / 0.045)) < 0.1  # a 0.3-amplitude sine: 0.3**2 / 2
    assert signal_level(np.zeros(1000, np.float32)) == 0


def test_silent_signal_has_no_snr_and_lengths_must_match():
    with pytest.raises(ValueError, match="silence"):
        mix_at_snr(np.zeros(100, np.float32), np.ones(100, np.float32), 10.0)
    with pytest.raises(ValueError, match="expected equal"):
        mix_at_snr(np.ones(100, np.float32), np.ones(99, np.float32), 10.0)


@pytest.mark.parametrize("gain_db, q", [(6.0, 1.0), (-9.0, 2.0)])
def test_peaking_sos_has_its_gain_at_the_centre_and_none_far_away(gain_db, q):
    sos = peaking_sos(2000.0, gain_db, q, SAMPLE_RATE)
    apply = lambda x: sosfilt32(sos, x)  # noqa: E731
    assert tone_gain_db(apply, 2000.0) == pytest.approx(gain_db, abs=0.3)
    assert abs(tone_gain_db(apply, 100.0)) < 0.5


def test_butterworth_designs_are_cached_and_minus_3_db_at_the_cutoff():
    assert butterworth_sos("lowpass", 1000.0, 4, SAMPLE_RATE) is butterworth_sos("lowpass", 1000.0, 4, SAMPLE_RATE)
    sos = butterworth_sos("lowpass", 1000.0, 4, SAMPLE_RATE)
    assert tone_gain_db(lambda x: sosfilt32(sos, x), 1000.0) == pytest.approx(-3.0, abs=0.3)


def test_soft_limit_is_identity_below_the_knee_and_bounded():
    x = np.linspace(-5, 5, 1001)
    y = soft_limit(x)
    assert np.array_equal(y[np.abs(x) <= 0.9], x[np.abs(x) <= 0.9])
    assert np.max(np.abs(y)) <= 1.0 and np.all(np.diff(y) >= 0)
    assert soft_limit(np.array([0.95]))[0] > 0.9  # above the knee it still grows

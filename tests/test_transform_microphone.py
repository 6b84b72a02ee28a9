"""Microphone: self-noise at its drawn SNR, its low cut and its EQ bands, reproducible from its noise seed."""

import numpy as np
import pytest
from spectral import level_db, tone_gain_db
from synthetic import tone
from transform_helpers import fixed, sane

from dataset_builder.augment import Microphone
from frontend.audio import SAMPLE_RATE as SR


def test_adds_noise_at_its_snr():
    x = np.zeros(2 * SR, np.float32)
    x[SR // 2 : SR + SR // 2] = tone(1000.0, 1.0, amplitude=0.3)
    mic = fixed(Microphone(eq_bands=0), low_cut_hz=60.0, noise_snr_db=40.0)
    y = sane(mic.apply(x, SR), 2 * SR)
    noise_db = level_db(y[: SR // 2 - 100])  # before the tone: the self-noise alone
    assert abs((level_db(x[SR // 2 : SR + SR // 2]) - noise_db) - 40.0) < 1.5
    assert y.tobytes() == mic.apply(x, SR).tobytes()  # the noise comes from the recorded seed


def test_colours_the_sound():
    bump = fixed(Microphone(eq_bands=1), low_cut_hz=60.0, noise_snr_db=100.0, eq_bands_hz_db_q=[[2000.0, 6.0, 1.0]])
    assert tone_gain_db(lambda s: bump.apply(s, SR), 2000.0) == pytest.approx(6.0, abs=0.5)
    low = fixed(Microphone(eq_bands=0), low_cut_hz=250.0, noise_snr_db=100.0)
    assert tone_gain_db(lambda s: low.apply(s, SR), 60.0) < -20
    assert abs(tone_gain_db(lambda s: low.apply(s, SR), 2000.0)) < 0.5


def test_draws_the_configured_number_of_bands_within_range():
    mic = Microphone(eq_bands=3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        mic.randomize_parameters(rng)
        bands = mic.parameters["eq_bands_hz_db_q"]
        assert len(bands) == 3
        assert all(400 <= f <= 7000 and -6 <= g <= 6 and 0.7 <= q <= 3.0 for f, g, q in bands)
        assert 25.0 <= mic.parameters["noise_snr_db"] <= 60.0


@pytest.mark.parametrize(
    "kwargs, match",
    [({"eq_bands": 7}, "eq_bands"), ({"min_noise_snr_db": -5.0}, "noise_snr_db"), ({"max_low_cut_hz": 2000.0}, "low_cut_hz")],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Microphone.*{match}"):
        Microphone(**kwargs)

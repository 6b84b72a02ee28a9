"""Loudspeaker: band-limits, resonates at its drawn frequency, and its drive adds harmonics."""

import numpy as np
import pytest
from spectral import tone_gain_db
from synthetic import tone
from transform_helpers import fixed, sane

from dataset_builder.augment import Loudspeaker
from frontend.audio import SAMPLE_RATE as SR


def test_band_limits():
    speaker = fixed(Loudspeaker(), low_cut_hz=500.0, high_cut_hz=4000.0, resonance_db=0.0, drive_db=0.0)
    mid = tone_gain_db(lambda x: speaker.apply(x, SR), 1500.0)
    assert tone_gain_db(lambda x: speaker.apply(x, SR), 150.0) < mid - 30  # ~2 octaves below a 24 dB/oct cut
    assert tone_gain_db(lambda x: speaker.apply(x, SR), 7000.0) < mid - 15


def test_cone_resonance_boosts_its_frequency():
    flat = fixed(Loudspeaker(), low_cut_hz=100.0, high_cut_hz=7500.0, resonance_db=0.0, drive_db=0.0)
    bump = fixed(Loudspeaker(), low_cut_hz=100.0, high_cut_hz=7500.0, resonance_hz=1000.0, resonance_db=8.0,
                 resonance_q=2.0, drive_db=0.0)
    gain = lambda t, f: tone_gain_db(lambda x: t.apply(x, SR), f)  # noqa: E731
    assert gain(bump, 1000.0) - gain(flat, 1000.0) == pytest.approx(8.0, abs=0.5)
    assert abs(gain(bump, 4000.0) - gain(flat, 4000.0)) < 1.0


def _harmonic_ratio_db(y, f0=500.0):
    spectrum = np.abs(np.fft.rfft(y[SR // 4 :] * np.hanning(len(y) - SR // 4)))
    freqs = np.fft.rfftfreq(len(y) - SR // 4, 1 / SR)
    band = lambda f: spectrum[(freqs > f - 20) & (freqs < f + 20)].max()  # noqa: E731
    return 20 * np.log10(band(3 * f0) / band(f0))


def test_drive_adds_harmonics():
    x = tone(500.0, 1.0, amplitude=0.8)
    clean = fixed(Loudspeaker(), low_cut_hz=100.0, high_cut_hz=7500.0, resonance_db=0.0, drive_db=0.0)
    driven = fixed(Loudspeaker(), low_cut_hz=100.0, high_cut_hz=7500.0, resonance_db=0.0, drive_db=18.0)
    assert _harmonic_ratio_db(sane(driven.apply(x, SR))) > _harmonic_ratio_db(sane(clean.apply(x, SR))) + 10


def test_rejects_an_empty_pass_band_and_bad_ranges():
    with pytest.raises(ValueError, match="pass band"):
        Loudspeaker(min_low_cut_hz=100, max_low_cut_hz=1500, min_high_cut_hz=1000, max_high_cut_hz=7000)
    with pytest.raises(ValueError, match="drive_db"):
        Loudspeaker(min_drive_db=0.0, max_drive_db=50.0)

"""Held-out backgrounds: kinds checked, deterministic, unit RMS, each with the spectrum of its kind."""

import numpy as np
import pytest

from heldout.babble import espeak_available
from heldout.backgrounds import Background
from heldout.chiptune import chiptune
from heldout.noise import coloured_noise
from heldout.parts import SAMPLE_RATE


def band_power(x: np.ndarray, low: float, high: float) -> float:
    power = np.abs(np.fft.rfft(x.astype(float))) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / SAMPLE_RATE)
    band = (freqs >= low) & (freqs < high)
    return float(power[band].sum() / band.sum())


def test_kinds_are_checked():
    with pytest.raises(ValueError, match="background kinds"):
        Background(kinds=("rain",))
    with pytest.raises(ValueError, match="noise kind"):
        coloured_noise("violet", np.random.default_rng(0), 100)


@pytest.mark.parametrize("kind, slope_db_per_octave", [("pink", -3.0), ("brown", -6.0), ("white", 0.0)])
def test_noise_slopes(kind, slope_db_per_octave):
    x = coloured_noise(kind, np.random.default_rng(0), 8 * SAMPLE_RATE)
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-3)
    octaves = np.log2(3_200 / 400)
    slope = 10 * np.log10(band_power(x, 3_000, 3_400) / band_power(x, 375, 425)) / octaves
    assert slope == pytest.approx(slope_db_per_octave, abs=1.0)


def test_render_is_deterministic_from_the_drawn_seed():
    bg = Background(kinds=("pink", "chiptune"))
    params = bg.draw(np.random.default_rng(7))
    assert params == bg.draw(np.random.default_rng(7))
    a, b = bg.render(16_000, params), bg.render(16_000, params)
    assert np.array_equal(a, b) and len(a) == 16_000


def test_chiptune_is_tonal_music():
    x = chiptune(np.random.default_rng(3), 4 * SAMPLE_RATE)
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-3)
    spectrum = np.abs(np.fft.rfft(x))
    # tonal: the strongest 1 % of bins hold most of the energy (noise would hold about 5 %)
    top = np.sort(spectrum**2)[::-1]
    assert top[: len(top) // 100].sum() / top.sum() > 0.5
    assert not np.array_equal(x, chiptune(np.random.default_rng(4), 4 * SAMPLE_RATE))


@pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed")
def test_babble_is_speech_band_voices():
    bg = Background(kinds=("babble",))
    x = bg.render(3 * SAMPLE_RATE, {"kind": "babble", "seed": 1})
    assert np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-3)
    assert np.array_equal(x, bg.render(3 * SAMPLE_RATE, {"kind": "babble", "seed": 1}))
    speech = band_power(x, 200, 3_000)
    assert speech > 10 * band_power(x, 6_000, 7_900)

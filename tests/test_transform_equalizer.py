"""Equalizer: each drawn band moves its own frequency by its gain; draws stay in range; off is identity."""

import numpy as np
import pytest
from spectral import tone_gain_db
from synthetic import tone
from transform_helpers import fixed, sane

from dataset_builder.augment import Equalizer
from frontend.audio import SAMPLE_RATE as SR


def _gain(eq, freq_hz):
    return tone_gain_db(lambda x: eq.apply(x, SR), freq_hz)


def test_a_band_boosts_or_cuts_its_centre_by_its_gain_and_leaves_far_bands_alone():
    cut = fixed(Equalizer(), enabled=True, bands=[[1000.0, -15.0, 1.0]], resonances=[], ripple=[])
    assert _gain(cut, 1000.0) == pytest.approx(-15.0, abs=0.7)
    assert abs(_gain(cut, 150.0)) < 1.0
    boost = fixed(Equalizer(), enabled=True, bands=[[4000.0, 12.0, 1.0]], resonances=[], ripple=[])
    assert _gain(boost, 4000.0) == pytest.approx(12.0, abs=0.7)
    assert abs(_gain(boost, 300.0)) < 1.0


def test_a_resonance_is_narrow():
    eq = fixed(Equalizer(), enabled=True, bands=[], resonances=[[2000.0, 10.0, 10.0]], ripple=[])
    assert _gain(eq, 2000.0) == pytest.approx(10.0, abs=0.7)
    assert _gain(eq, 2600.0) < 3.0  # a third of an octave away: mostly gone


def test_draws_stay_within_the_ranges_and_are_reproducible():
    eq, rng = Equalizer(probability=1.0, max_gain_db=15.0, max_ripple_db=3.0), np.random.default_rng(0)
    gains, widest = [], 0.0
    for _ in range(100):
        eq.randomize_parameters(rng)
        p = eq.parameters
        assert 2 <= len(p["bands"]) <= 6 and len(p["resonances"]) <= 3
        gains += [g for _, g, _ in p["bands"]]
        assert all(abs(g) <= p["ripple_db"] for _, g, _ in p["ripple"])
        assert all(3.0 <= g <= 12.0 for _, g, _ in p["resonances"])
        widest = max(widest, max(abs(g) for g in gains))
    assert max(gains) <= 15.0 and min(gains) >= -15.0 and widest > 13.0  # the whole ±15 dB range is used
    a, b = Equalizer(), Equalizer()
    a.randomize_parameters(np.random.default_rng(5))
    b.randomize_parameters(np.random.default_rng(5))
    x = tone(800.0, 0.5)
    assert sane(a.apply(x, SR), len(x)).tobytes() == b.apply(x, SR).tobytes()


def test_off_is_identity_and_probability_is_drawn():
    x = tone(440.0, 0.3)
    assert np.array_equal(fixed(Equalizer(), enabled=False).apply(x, SR), x)
    eq, rng = Equalizer(probability=0.3), np.random.default_rng(1)
    on = []
    for _ in range(300):
        eq.randomize_parameters(rng)
        on.append(eq.parameters["enabled"])
    assert 0.2 < np.mean(on) < 0.4


@pytest.mark.parametrize(
    "kwargs, match",
    [({"max_gain_db": 30.0}, "max_gain_db"), ({"min_bands": 5, "max_bands": 2}, "bands"), ({"probability": -1}, "probability")],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Equalizer.*{match}"):
        Equalizer(**kwargs)

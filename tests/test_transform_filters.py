"""High-/low-pass: measured attenuation in the stop band, none in the pass band, −3 dB at the cutoff."""

import numpy as np
import pytest
from spectral import tone_gain_db

from dataset_builder.transforms import HighPassFilter, LowPassFilter, OneOf


def _fixed(cls, cutoff, order):
    f = cls(cutoff, cutoff, order, order)
    f.randomize_parameters(np.random.default_rng(0))
    assert f.parameters["cutoff_hz"] == cutoff and f.parameters["order"] == order
    return f


@pytest.mark.parametrize("order", [2, 4])
def test_low_pass_attenuates_above_its_cutoff(order):
    lp = _fixed(LowPassFilter, 3000.0, order)
    assert abs(tone_gain_db(lp.apply, 500.0)) < 0.5
    assert abs(tone_gain_db(lp.apply, 3000.0) + 3.0) < 0.5
    # one octave above: 6 dB/octave per order, so -12 dB (order 2) or -24 dB (order 4), give or take
    assert tone_gain_db(lp.apply, 6000.0) < -6.0 * order * 0.8


@pytest.mark.parametrize("order", [2, 4])
def test_high_pass_attenuates_below_its_cutoff(order):
    hp = _fixed(HighPassFilter, 1200.0, order)
    assert abs(tone_gain_db(hp.apply, 5000.0)) < 0.5
    assert abs(tone_gain_db(hp.apply, 1200.0) + 3.0) < 0.5
    assert tone_gain_db(hp.apply, 600.0) < -6.0 * order * 0.8
    assert tone_gain_db(hp.apply, 300.0) < -12.0 * order * 0.8


def test_default_ranges_are_the_original_project_s():
    rng = np.random.default_rng(1)
    hp, lp = HighPassFilter(), LowPassFilter()
    for _ in range(100):
        hp.randomize_parameters(rng)
        lp.randomize_parameters(rng)
        assert 300 <= hp.parameters["cutoff_hz"] <= 1500
        assert 3000 <= lp.parameters["cutoff_hz"] <= 6000


def test_one_of_draws_both_and_records_which():
    family = OneOf([HighPassFilter(), LowPassFilter()], name="filter")
    rng = np.random.default_rng(2)
    names = set()
    for _ in range(20):
        family.randomize_parameters(rng)
        names.add(family.recipe()["name"])
    assert names == {"high_pass", "low_pass"}


@pytest.mark.parametrize(
    "cls, args, match",
    [
        (LowPassFilter, (6000.0, 3000.0), "greater than"),
        (LowPassFilter, (3000.0, 9000.0), "outside"),
        (HighPassFilter, (10.0, 500.0), "outside"),
        (HighPassFilter, (300.0, 1500.0, 4, 2), "order"),
    ],
)
def test_bad_ranges_raise(cls, args, match):
    with pytest.raises(ValueError, match=match):
        cls(*args)

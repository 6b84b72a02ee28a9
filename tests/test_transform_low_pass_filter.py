"""LowPassFilter: measured attenuation above the cutoff, none below, −3 dB at the cutoff; ranges checked."""

import numpy as np
import pytest
from spectral import tone_gain_db

from dataset_builder.augment import LowPassFilter


def _fixed(cutoff, order):
    f = LowPassFilter(cutoff, cutoff, order, order)
    f.randomize_parameters(np.random.default_rng(0))
    assert f.parameters == {"cutoff_hz": cutoff, "order": order, "rolloff_db_per_octave": 6 * order}
    return f


@pytest.mark.parametrize("order", [2, 4])
def test_attenuates_above_its_cutoff(order):
    lp = _fixed(3000.0, order)
    assert abs(tone_gain_db(lp.apply, 500.0)) < 0.5
    assert abs(tone_gain_db(lp.apply, 3000.0) + 3.0) < 0.5
    # one octave above: 6 dB/octave per order, so -12 dB (order 2) or -24 dB (order 4), give or take
    assert tone_gain_db(lp.apply, 6000.0) < -6.0 * order * 0.8


def test_default_range_is_the_original_project_s_and_drawn_log_uniformly():
    rng = np.random.default_rng(1)
    lp = LowPassFilter()
    cutoffs = []
    for _ in range(400):
        lp.randomize_parameters(rng)
        cutoffs.append(lp.parameters["cutoff_hz"])
        assert lp.parameters["order"] in (2, 3, 4)
    assert 3000 <= min(cutoffs) and max(cutoffs) <= 6000
    # log-uniform: half the draws below the geometric mean (4243 Hz), not the arithmetic one (4500 Hz)
    assert 0.42 < np.mean(np.array(cutoffs) < np.sqrt(3000 * 6000)) < 0.58
    assert np.mean(np.array(cutoffs) < 4500) > 0.55


@pytest.mark.parametrize(
    "args, match",
    [((6000.0, 3000.0), "greater than"), ((3000.0, 9000.0), "outside"), ((3000.0, 4000.0, 2.5, 4), "integers")],
)
def test_bad_ranges_raise(args, match):
    with pytest.raises(ValueError, match=f"LowPassFilter.*{match}"):
        LowPassFilter(*args)


def test_apply_before_randomize_says_what_to_do():
    with pytest.raises(RuntimeError, match="randomize_parameters"):
        LowPassFilter().apply(np.zeros(100, np.float32))

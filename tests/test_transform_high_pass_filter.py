"""HighPassFilter: measured attenuation below the cutoff, none above, −3 dB at the cutoff; ranges checked."""

import numpy as np
import pytest
from spectral import tone_gain_db

from dataset_builder.augment import HighPassFilter


def _fixed(cutoff, order):
    f = HighPassFilter(cutoff, cutoff, order, order)
    f.randomize_parameters(np.random.default_rng(0))
    assert f.parameters == {"cutoff_hz": cutoff, "order": order, "rolloff_db_per_octave": 6 * order}
    return f


@pytest.mark.parametrize("order", [2, 4])
def test_attenuates_below_its_cutoff(order):
    hp = _fixed(1200.0, order)
    assert abs(tone_gain_db(hp.apply, 5000.0)) < 0.5
    assert abs(tone_gain_db(hp.apply, 1200.0) + 3.0) < 0.5
    assert tone_gain_db(hp.apply, 600.0) < -6.0 * order * 0.8
    assert tone_gain_db(hp.apply, 300.0) < -12.0 * order * 0.8


def test_default_range_is_the_original_project_s():
    rng = np.random.default_rng(1)
    hp = HighPassFilter()
    cutoffs = []
    for _ in range(200):
        hp.randomize_parameters(rng)
        cutoffs.append(hp.parameters["cutoff_hz"])
    assert 300 <= min(cutoffs) < 350 and 1400 < max(cutoffs) <= 1500


@pytest.mark.parametrize(
    "args, match", [((10.0, 500.0), "outside"), ((300.0, 1500.0, 4, 2), "order"), ((900.0, 300.0), "greater than")]
)
def test_bad_ranges_raise(args, match):
    with pytest.raises(ValueError, match=f"HighPassFilter.*{match}"):
        HighPassFilter(*args)

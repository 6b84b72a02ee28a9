"""OneOf: draws each of its transforms, applies the one it drew, records that one's recipe."""

import numpy as np
import pytest
from spectral import tone_gain_db

from dataset_builder.augment import HighPassFilter, LowPassFilter, OneOf


def test_draws_both_and_records_which():
    family = OneOf([HighPassFilter(), LowPassFilter()], name="filter")
    rng = np.random.default_rng(2)
    names = []
    for _ in range(40):
        family.randomize_parameters(rng)
        names.append(family.recipe()["name"])
        assert set(family.recipe()) >= {"name", "cutoff_hz", "order"}  # the chosen filter's own recipe
    assert set(names) == {"high_pass", "low_pass"}
    assert 10 < names.count("high_pass") < 30


def test_applies_the_transform_it_drew():
    family = OneOf([HighPassFilter(3000.0, 3000.0, 4, 4), LowPassFilter(3000.0, 3000.0, 4, 4)])
    rng = np.random.default_rng(0)
    for _ in range(6):
        family.randomize_parameters(rng)
        low_tone = tone_gain_db(family.apply, 500.0)
        if family.recipe()["name"] == "high_pass":
            assert low_tone < -40
        else:
            assert abs(low_tone) < 0.5


def test_needs_transforms_and_a_draw():
    with pytest.raises(ValueError, match="at least one"):
        OneOf([])
    with pytest.raises(RuntimeError, match="randomize_parameters"):
        OneOf([LowPassFilter()]).apply(np.zeros(10, np.float32))

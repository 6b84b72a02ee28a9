"""Gain: the recording's peak lands on the drawn level; silence stays silence."""

import numpy as np
import pytest
from synthetic import fake_cry
from transform_helpers import fixed, sane

from dataset_builder.augment import Gain
from frontend.audio import SAMPLE_RATE as SR


@pytest.mark.parametrize("peak_dbfs", [-30.0, -6.0, 3.0])
def test_sets_the_peak(peak_dbfs):
    x = fake_cry(0, 0.5)
    gain = fixed(Gain(), peak_dbfs=peak_dbfs)
    y = sane(gain.apply(x, SR))
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(peak_dbfs, abs=0.01)
    ratio = 10 ** (gain.parameters["gain_db"] / 20)
    assert np.allclose(y, x * ratio, rtol=1e-3, atol=1e-7)  # a pure scaling, recorded in the recipe


def test_draws_within_range_and_keeps_silence():
    gain = Gain(-20.0, -10.0)
    rng = np.random.default_rng(0)
    for _ in range(50):
        gain.randomize_parameters(rng)
        assert -20.0 <= gain.parameters["peak_dbfs"] <= -10.0
    assert not gain.apply(np.zeros(100, np.float32), SR).any()


def test_bad_range_raises():
    with pytest.raises(ValueError, match="Gain.*peak_dbfs"):
        Gain(-80.0, 0.0)

"""Clipping: the peak is bounded by the threshold, samples below it are untouched, the clipped share is recorded."""

import numpy as np
import pytest
from synthetic import tone
from transform_helpers import fixed, sane

from dataset_builder.augment import Clipping
from frontend.audio import SAMPLE_RATE as SR


def test_bounds_the_peak_and_counts_clipped_samples():
    x = tone(440.0, 0.5, amplitude=2.0)
    clip = fixed(Clipping(-6.0, -6.0))
    y = sane(clip.apply(x, SR))
    limit = 10 ** (-6 / 20)
    assert np.max(np.abs(y)) <= limit + 1e-7
    inside = np.abs(x) <= limit
    assert np.array_equal(y[inside], x[inside])
    assert clip.parameters["clipped_fraction"] == pytest.approx(np.mean(np.abs(x) > limit), abs=1e-4)


def test_default_is_full_scale():
    clip = fixed(Clipping())
    assert clip.parameters["threshold_dbfs"] == 0.0
    y = clip.apply(np.array([-3.0, -0.5, 0.5, 3.0], np.float32), SR)
    assert y.tolist() == [-1.0, -0.5, 0.5, 1.0]


def test_bad_range_raises():
    with pytest.raises(ValueError, match="threshold"):
        Clipping(-3.0, 1.0)

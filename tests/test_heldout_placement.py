"""Held-out placement: ranges checked, the cry after its lead-in at the drawn peak over the drawn floor."""

import numpy as np
import pytest

from heldout.parts import SAMPLE_RATE
from heldout.placement import Placement
from tests.heldout_signals import level_db, sine


def test_ranges_are_checked():
    with pytest.raises(ValueError, match="peak_dbfs"):
        Placement(peak_dbfs=(-45.0, 6.0))
    with pytest.raises(ValueError, match="lead_in_s"):
        Placement(lead_in_s=(2.0, 0.0))


def test_draw_is_deterministic_and_inside_the_ranges():
    placement = Placement()
    assert placement.draw(np.random.default_rng(0)) == placement.draw(np.random.default_rng(0))
    for s in range(30):
        p = placement.draw(np.random.default_rng(s))
        assert 0 <= p["lead_in_s"] <= 2 and -45 <= p["peak_dbfs"] <= 0


def test_the_cry_starts_after_the_lead_in_at_the_drawn_peak():
    cry = sine(1_000.0, 0.5, 0.8)
    params = {"lead_in_s": 1.25, "tail_s": 0.5, "peak_dbfs": -30.0, "floor_below_peak_db": 40.0, "floor_seed": 3}
    y = Placement().apply(cry, params)
    lead = int(1.25 * SAMPLE_RATE)
    assert len(y) == lead + len(cry) + int(0.5 * SAMPLE_RATE)
    assert 20 * np.log10(np.max(np.abs(y))) == pytest.approx(-30.0, abs=0.3)  # the floor adds a little
    # before the cry only the floor, 40 dB (RMS) below the peak
    assert level_db(y[: lead - 10]) == pytest.approx(-70.0, abs=0.5)
    onset = int(np.argmax(np.abs(y) > 10 ** (-40 / 20)))
    assert abs(onset - lead) < 10

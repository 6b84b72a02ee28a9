"""Held-out microphone: ranges checked, deterministic draws, rumble cut and presence peak applied."""

import numpy as np
import pytest

from heldout.microphone import Microphone
from tests.heldout_signals import gain_db


def test_ranges_are_checked():
    with pytest.raises(ValueError, match="presence_hz"):
        Microphone(presence_hz=(100.0, 9_000.0))
    with pytest.raises(ValueError, match="rumble_cut_hz"):
        Microphone(rumble_cut_hz=(300.0, 100.0))


def test_draw_is_deterministic():
    mic = Microphone()
    assert mic.draw(np.random.default_rng(1)) == mic.draw(np.random.default_rng(1))
    p = mic.draw(np.random.default_rng(2))
    assert 60 <= p["rumble_cut_hz"] <= 250 and 0 <= p["presence_db"] <= 9


def test_rumble_is_cut_and_presence_boosted():
    params = {"rumble_cut_hz": 250.0, "presence_hz": 3_000.0, "presence_db": 9.0, "top_cut_hz": 7_500.0}
    apply = lambda x: Microphone().apply(x, params)  # noqa: E731
    assert gain_db(apply, 40.0) < gain_db(apply, 1_000.0) - 12
    assert gain_db(apply, 3_000.0) > gain_db(apply, 1_000.0) + 5

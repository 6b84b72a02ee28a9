"""Held-out loudspeaker: ranges checked, parameters drawn apart from applying them, the colouration is real."""

import numpy as np
import pytest

from heldout.loudspeaker import Loudspeaker
from tests.heldout_signals import gain_db


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"low_cut_hz": (600.0, 80.0)}, "low_cut_hz"),
        ({"high_cut_hz": (3_400.0, 9_000.0)}, "high_cut_hz"),
        ({"low_cut_hz": (80.0, 1_500.0), "high_cut_hz": (1_200.0, 3_000.0)}, "below high_cut_hz"),
        ({"resonance_db": (-40.0, 0.0)}, "resonance_db"),
        ({"cut_order": (0, 2)}, "cut_order"),
    ],
)
def test_ranges_are_checked_with_the_parameter_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Loudspeaker(**kwargs)


def test_draw_is_deterministic_and_inside_the_ranges():
    speaker = Loudspeaker()
    a, b = speaker.draw(np.random.default_rng(3)), speaker.draw(np.random.default_rng(3))
    assert a == b and a != speaker.draw(np.random.default_rng(4))
    for seed in range(50):
        p = speaker.draw(np.random.default_rng(seed))
        assert 80 <= p["low_cut_hz"] <= 600 and 3_400 <= p["high_cut_hz"] <= 7_500 and 1 <= p["order"] <= 3
        assert 1 <= len(p["peaks"]) <= 4 and all(-15 <= g <= 15 for _, g, _ in p["peaks"])


def test_a_phone_speaker_cuts_the_lows_and_the_highs():
    flat = {"peaks": [], "low_shelf_db": 0.0, "high_shelf_db": 0.0}
    params = {"low_cut_hz": 600.0, "high_cut_hz": 3_400.0, "order": 3, **flat}
    speaker = Loudspeaker()
    apply = lambda x: speaker.apply(x, params)  # noqa: E731
    mid = gain_db(apply, 1_400.0)
    assert gain_db(apply, 100.0) < mid - 25  # three first-order stages at 600 Hz: ~ -45 dB at 100 Hz
    assert gain_db(apply, 7_000.0) < mid - 15


def test_a_resonance_boosts_its_frequency_by_its_gain():
    params = {"low_cut_hz": 40.0, "high_cut_hz": 7_500.0, "order": 1, "peaks": [(1_000.0, 12.0, 4.0)],
              "low_shelf_db": 0.0, "high_shelf_db": 0.0}
    speaker = Loudspeaker(low_cut_hz=(20.0, 50.0))
    apply = lambda x: speaker.apply(x, params)  # noqa: E731
    assert gain_db(apply, 1_000.0) - gain_db(apply, 2_500.0) == pytest.approx(12.0, abs=1.5)

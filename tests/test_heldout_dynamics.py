"""Held-out AGC: ranges checked, deterministic draws, the dynamic range really shrinks."""

import numpy as np
import pytest

from heldout.dynamics import Agc
from heldout.parts import SAMPLE_RATE
from tests.heldout_signals import level_db, sine


def test_ranges_are_checked():
    with pytest.raises(ValueError, match="probability"):
        Agc(probability=1.5)
    with pytest.raises(ValueError, match="attack_ms"):
        Agc(attack_ms=(50.0, 10.0))
    with pytest.raises(ValueError, match="threshold_db"):
        Agc(threshold_db=(-20.0, 6.0))


def test_draw_is_deterministic_and_respects_the_probability():
    assert Agc().draw(np.random.default_rng(9)) == Agc().draw(np.random.default_rng(9))
    assert not any(Agc(probability=0.0).draw(np.random.default_rng(s))["enabled"] for s in range(20))
    assert all(Agc(probability=1.0).draw(np.random.default_rng(s))["enabled"] for s in range(20))


def test_agc_squeezes_a_loud_and_a_quiet_passage_together():
    quiet, loud = sine(440.0, 1.0, 0.01), sine(440.0, 1.0, 0.5)
    x = np.concatenate([quiet, loud])
    params = {"enabled": True, "threshold_db": -30.0, "ratio": 10.0, "attack_ms": 2.0, "release_ms": 100.0,
              "makeup_db": 10.0, "limiter_db": -1.0}
    y = Agc().apply(x, params)
    half = SAMPLE_RATE
    before = level_db(x[half + 4000 :]) - level_db(x[2000:half])
    after = level_db(y[half + 4000 :]) - level_db(y[2000:half])
    assert before == pytest.approx(34.0, abs=0.5) and after < before - 10
    assert np.max(np.abs(y)) <= 10 ** (-1.0 / 20) * 1.05


def test_disabled_agc_changes_nothing():
    x = sine(300.0)
    assert np.array_equal(Agc().apply(x, {**Agc().draw(np.random.default_rng(0)), "enabled": False}), x)

"""Held-out rooms: ranges checked, deterministic draws, reverberation really added (or not, for ``none``)."""

import numpy as np
import pytest

from heldout.parts import SAMPLE_RATE
from heldout.room import Room, tail_impulse_response


def impulse(seconds: float = 1.5) -> np.ndarray:
    x = np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)
    x[100] = 1.0
    return x


def late_energy(y: np.ndarray) -> float:
    """Energy from 50 ms after the impulse on, relative to the whole."""
    start = 100 + int(0.05 * SAMPLE_RATE)
    return float(np.sum(y[start:] ** 2) / np.sum(y**2))


def test_ranges_and_kinds_are_checked():
    with pytest.raises(ValueError, match="room kinds"):
        Room(kinds=("cathedral",))
    with pytest.raises(ValueError, match="rt60_s"):
        Room(rt60_s=(0.01, 0.5))


def test_draw_is_deterministic_and_covers_the_kinds():
    room = Room()
    assert room.draw(np.random.default_rng(5)) == room.draw(np.random.default_rng(5))
    assert {room.draw(np.random.default_rng(s))["kind"] for s in range(30)} == {"none", "plate", "tail"}


def test_none_is_dry():
    x = impulse()
    assert np.array_equal(Room().apply(x, {"kind": "none"}), x)


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "plate", "size": 0.7, "wet": 0.35, "damping": 0.3},
        {"kind": "tail", "rt60_s": 0.8, "drr_db": 0.0, "predelay_s": 0.01, "ir_seed": 1},
    ],
)
def test_reverb_leaves_a_tail_after_the_impulse(params):
    y = Room().apply(impulse(), params)
    assert len(y) == len(impulse()) and late_energy(y) > 0.01  # a dry signal has none


def test_tail_decays_at_the_drawn_rt60_and_keeps_the_direct_to_reverb_ratio():
    ir = tail_impulse_response(np.random.default_rng(0), rt60_s=0.5, direct_to_reverb_db=6.0, predelay_s=0.0).astype(float)
    assert 10 * np.log10(1.0 / np.sum(ir[1:] ** 2)) == pytest.approx(6.0, abs=0.3)
    window = int(0.05 * SAMPLE_RATE)
    early = np.sum(ir[window : 2 * window] ** 2)
    later = np.sum(ir[int(0.25 * SAMPLE_RATE) : int(0.25 * SAMPLE_RATE) + window] ** 2)
    # 0.175 s later at RT60 0.5 s: about 21 dB down (mid band; lows decay slower, highs faster)
    assert 12 < 10 * np.log10(early / later) < 32

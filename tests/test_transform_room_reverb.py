"""RoomReverb: lengthens the decay with one of its split's impulse responses and keeps the length."""

import numpy as np
import pytest
from spectral import level_db
from transform_helpers import fixed, sane

from dataset_builder.augment import RoomReverb
from dataset_builder.rooms import RirBank
from frontend.audio import SAMPLE_RATE as SR


def _decay_db(y, end):
    """Level 150 ms after a burst ends, relative to the burst."""
    return level_db(y[end + int(0.15 * SR) : end + int(0.25 * SR)]) - level_db(y[end - int(0.1 * SR) : end])


def _bank(split="train"):
    """Two exponentially decaying noise tails (RT60 about 0.5 s), made by hand: no simulation needed."""
    t = np.arange(int(0.6 * SR)) / SR
    rirs = []
    for seed in (0, 1):
        rir = np.random.default_rng(seed).standard_normal(len(t)) * 10 ** (-3 * t / 0.5)
        rir[0] = 4.0
        rirs.append((rir / np.max(np.abs(rir))).astype(np.float32))
    return RirBank(split, rirs, [{"room": f"{split}-room00", "rt60_s": 0.5}, {"room": f"{split}-room01", "rt60_s": 0.5}])


def test_reverb_lengthens_the_decay():
    x = np.zeros(SR, np.float32)
    burst = np.random.default_rng(0).standard_normal(int(0.2 * SR)).astype(np.float32) * 0.3
    x[SR // 10 : SR // 10 + len(burst)] = burst
    end = SR // 10 + len(burst)
    room = fixed(RoomReverb(_bank()), index=0)
    y = sane(room.apply(x, SR), SR)
    assert _decay_db(y, end) > -40  # a dry signal is -inf there
    assert np.allclose(y, np.convolve(x, room.bank.rirs[0])[:SR], atol=1e-5)  # the convolution, cut to length


def test_draws_every_response_and_records_its_room():
    room = RoomReverb(_bank("test"))
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(20):
        room.randomize_parameters(rng)
        seen.add(room.recipe()["index"])
        assert room.recipe()["room"].startswith("test-room")
    assert seen == {0, 1}


def test_empty_room_bank_and_other_sample_rates_are_rejected():
    with pytest.raises(ValueError, match="empty"):
        RoomReverb(RirBank("test", [], []))
    room = fixed(RoomReverb(_bank()), index=0)
    with pytest.raises(ValueError, match="16000 Hz"):
        room.apply(np.zeros(100, np.float32), 8000)

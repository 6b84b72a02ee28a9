"""Simulated rooms: disjoint per split, plausible RT60s, reproducible, cached on disk."""

import numpy as np
import pytest

from dataset_builder.rooms import RirBank, simulate_rir_banks

SPLITS = {"train": 2, "validation": 1, "test": 1}


@pytest.fixture(scope="module")
def banks(tmp_path_factory):
    cache = tmp_path_factory.mktemp("rirs")
    return simulate_rir_banks(SPLITS, 2, 0.3, 0.7, seed=0, cache_dir=cache), cache


def test_rooms_are_disjoint_per_split_and_rt60s_plausible(banks):
    by_split = banks[0]
    assert [len(by_split[s]) for s in ("train", "validation", "test")] == [4, 2, 2]
    rooms = [by_split[s].rooms for s in ("train", "validation", "test")]
    assert not rooms[0] & rooms[1] and not rooms[0] & rooms[2] and not rooms[1] & rooms[2]
    for bank in by_split.values():
        for rir, info in zip(bank.rirs, bank.info, strict=True):
            assert np.all(np.isfinite(rir)) and np.max(np.abs(rir)) == pytest.approx(1.0)
            assert np.argmax(np.abs(rir)) <= 32  # starts just before the direct path
            assert 0.1 < info["measured_rt60_s"] < 1.5 and 0.2 <= info["distance_m"] <= 3.1


def test_room_banks_are_reproducible_and_cached(banks):
    first, cache = banks
    assert list((cache / "rirs").glob("*.npz"))
    again = simulate_rir_banks(SPLITS, 2, 0.3, 0.7, seed=0, cache_dir=cache)
    fresh = simulate_rir_banks(SPLITS, 2, 0.3, 0.7, seed=0, cache_dir=None)
    for split in first:
        assert first[split].info == again[split].info == fresh[split].info
        for a, b, c in zip(first[split].rirs, again[split].rirs, fresh[split].rirs, strict=True):
            assert a.tobytes() == b.tobytes() == c.tobytes()


def test_every_room_is_drawn_from_its_own_seed(banks):
    sizes = {tuple(i["room_m"]) for bank in banks[0].values() for i in bank.info}
    assert len(sizes) == 4  # train's two rooms, validation's and test's: four different shoeboxes


def test_bank_lists_its_rooms():
    bank = RirBank("test", [np.ones(4, np.float32)] * 2, [{"room": "test-room00"}, {"room": "test-room01"}])
    assert len(bank) == 2 and bank.rooms == {"test-room00", "test-room01"}

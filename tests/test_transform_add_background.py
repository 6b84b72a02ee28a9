"""AddBackground: the mix lands within 0.5 dB of its target SNR, measured the way the recipe defines SNR."""

import numpy as np
import pytest
from synthetic import fake_cry, tone

from dataset_builder.augment import AddBackground
from dataset_builder.backgrounds import BackgroundBank, BackgroundConfig
from dataset_builder.dsp import signal_level
from frontend.audio import SAMPLE_RATE


def measured_snr(clean: np.ndarray, mixed: np.ndarray) -> float:
    noise = mixed.astype(np.float64) - clean.astype(np.float64)
    return float(10 * np.log10(signal_level(clean) / np.mean(noise**2)))


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    config = BackgroundConfig(
        cache_dir=str(tmp_path_factory.mktemp("bg")),
        procedural_per_split={"train": 2, "validation": 1, "test": 1},
        procedural_seconds=3.0,
    )
    return BackgroundBank.build(config, seed=0)


@pytest.mark.parametrize("target", [0.0, 10.0, 20.0])
def test_add_background_lands_within_half_a_db_on_procedural_recordings(bank, target):
    mixer = AddBackground(bank.pool("test"), target, target)
    rng = np.random.default_rng(4)
    clean = fake_cry(2, 0.8)
    for _ in range(6):  # every kind, several offsets
        mixer.randomize_parameters(rng)
        assert mixer.parameters["snr_db"] == target
        mixed = mixer.apply(clean, SAMPLE_RATE)
        assert abs(measured_snr(clean, mixed) - target) < 0.5
        assert mixer.parameters["id"].endswith(("test-000",))


def test_a_placed_cry_gets_background_before_and_after(bank):
    placed = np.zeros(3 * SAMPLE_RATE, np.float32)
    placed[SAMPLE_RATE : 2 * SAMPLE_RATE] = tone(440.0, 1.0, amplitude=0.3)
    mixer = AddBackground(bank.pool("train"), 10.0, 10.0)
    mixer.randomize_parameters(np.random.default_rng(0))
    mixed = mixer.apply(placed, SAMPLE_RATE)
    assert np.sqrt(np.mean(mixed[: SAMPLE_RATE // 2] ** 2)) > 1e-3
    assert np.sqrt(np.mean(mixed[-SAMPLE_RATE // 2 :] ** 2)) > 1e-3
    assert abs(measured_snr(placed, mixed) - 10.0) < 0.5


def test_snr_range_is_checked(bank):
    with pytest.raises(ValueError, match="snr_db"):
        AddBackground(bank.pool("train"), 30.0, -5.0)


def test_backgrounds_come_from_the_pool_s_split_only(bank):
    mixer = AddBackground(bank.pool("validation"))
    rng = np.random.default_rng(1)
    for _ in range(20):
        mixer.randomize_parameters(rng)
        assert "validation" in mixer.parameters["id"] and -5.0 <= mixer.parameters["snr_db"] <= 30.0


def test_other_sample_rates_are_refused(bank):
    mixer = AddBackground(bank.pool("train"))
    mixer.randomize_parameters(np.random.default_rng(0))
    with pytest.raises(ValueError, match="16000 Hz"):
        mixer.apply(tone(440.0, 0.5), 8000)

"""frontend.locator: the learned cry locator's file, its input, and where find_windows starts with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from frontend.audio import SAMPLE_RATE
from frontend.fbank import window_samples
from frontend.levels import ONSET_PAD_SECONDS
from frontend.locator import LOCATOR_FILE, CryLocator, build_network, load_locator, locator_features
from frontend.windows import find_windows, training_example
from tests.synthetic import fake_cry


class FixedLocator:
    """Says the cry starts at a fixed instant, whatever the recording."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def onset_seconds(self, samples: np.ndarray) -> float:
        return self.seconds


def random_locator(seed: int = 0, n_mels: int = 16, kind: str = "gru") -> CryLocator:
    torch.manual_seed(seed)
    config = {"n_mels": n_mels, "channels": 8, **({"hidden": 4} if kind == "gru" else {"kind": kind, "dilations": [1, 2, 4]})}
    return CryLocator(build_network(**config), config)


def test_features_cancel_a_static_filter_and_the_level(rng):
    fbank = rng.standard_normal((200, 16)).astype(np.float32)
    coloured = fbank + rng.uniform(-5, 5, size=(1, 16)).astype(np.float32)  # a fixed gain per band (log power)
    np.testing.assert_allclose(locator_features(coloured), locator_features(fbank), atol=1e-4)
    np.testing.assert_allclose(locator_features(3 * fbank), locator_features(fbank), atol=1e-4)
    assert locator_features(fbank).std() == pytest.approx(1.0, abs=1e-3)


def test_a_saved_locator_loads_with_the_same_answers_and_a_digest_of_its_weights(tmp_path, rng):
    recording = 0.1 * rng.standard_normal(3 * SAMPLE_RATE).astype(np.float32)
    a, b = random_locator(0), random_locator(1)
    (tmp_path / "a").mkdir()
    a.save(tmp_path / "a" / LOCATOR_FILE)
    b.save(tmp_path / "b.safetensors")
    loaded = load_locator(tmp_path / "a")
    np.testing.assert_allclose(loaded.frame_logits(recording), a.frame_logits(recording), rtol=1e-5, atol=1e-6)
    assert len(loaded.frame_logits(recording)) == 298  # one per 10 ms frame of 3 s
    assert loaded.digest and loaded.digest != CryLocator.load(tmp_path / "b.safetensors").digest
    assert loaded.digest == CryLocator.load(tmp_path / "a" / LOCATOR_FILE).digest
    assert load_locator(tmp_path) is None  # a folder without one


def test_both_architectures_give_a_logit_per_frame_and_save_their_kind(tmp_path, rng):
    recording = 0.1 * rng.standard_normal(2 * SAMPLE_RATE).astype(np.float32)
    conv, gru = random_locator(0, kind="dilated_conv"), random_locator(0)  # gru: a config without a kind (recipe 4's)
    assert "kind" not in gru.config and gru.network.gru is not None
    conv.save(tmp_path / "conv.safetensors")
    loaded = CryLocator.load(tmp_path / "conv.safetensors")
    assert loaded.config["kind"] == "dilated_conv" and not hasattr(loaded.network, "gru")
    assert len(loaded.frame_logits(recording)) == len(gru.frame_logits(recording)) == 198
    np.testing.assert_allclose(loaded.frame_logits(recording), conv.frame_logits(recording), rtol=1e-5, atol=1e-6)
    # the convolutions see a neighbourhood (here ±11 frames), the GRU the whole recording
    x = torch.randn(1, 200, 16)
    later = x.clone()
    later[:, 100:] += 1.0
    with torch.no_grad():
        assert torch.allclose(conv.network(later)[0, :89], conv.network(x)[0, :89])
        assert not torch.allclose(conv.network(later)[0, 89:100], conv.network(x)[0, 89:100])
        assert not torch.allclose(gru.network(later)[0, 80:89], gru.network(x)[0, 80:89])


def test_the_convolutions_know_where_the_recording_ends_in_a_padded_batch():
    conv = random_locator(0, kind="dilated_conv")
    x = torch.randn(1, 120, 16)
    padded = torch.cat([x, torch.zeros(1, 40, 16)], dim=1)  # a batch padded to a longer recording
    mask = torch.arange(160)[None] < 120
    with torch.no_grad():
        alone = conv.network(x)[0]
        assert torch.allclose(conv.network(padded, mask)[0, :120], alone, atol=1e-6)  # the padding is outside it
        assert not torch.allclose(conv.network(padded)[0, 100:120], alone[100:], atol=1e-4)  # unmasked: sound at the mean


def test_an_unknown_kind_or_a_config_that_does_not_fit_the_weights_is_named(tmp_path):
    with pytest.raises(ValueError, match="cry locator kind 'lstm': expected one of dilated_conv, gru"):
        build_network(kind="lstm")
    conv = random_locator(0, kind="dilated_conv")
    conv.config = {**conv.config, "kind": "gru"}  # a file whose config names another network
    conv.save(tmp_path / "bad.safetensors")
    with pytest.raises(ValueError, match="bad.safetensors: its config .* does not fit its weights"):
        CryLocator.load(tmp_path / "bad.safetensors")


def test_a_file_that_is_not_a_locator_is_named(tmp_path):
    bad = tmp_path / LOCATOR_FILE
    bad.write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match=f"cry locator {bad}: unreadable"):
        CryLocator.load(bad)


def test_find_windows_starts_where_the_locator_puts_the_cry(rng):
    length = window_samples(300)
    recording = 0.05 * rng.standard_normal(6 * SAMPLE_RATE).astype(np.float32)  # loud background from the start
    recording[2 * SAMPLE_RATE : 3 * SAMPLE_RATE] += 0.3 * fake_cry(3, 1.0)
    level_rule = find_windows(recording, length, onset_below_peak_db=20)
    located = find_windows(recording, length, onset_below_peak_db=20, locator=FixedLocator(2.0))
    assert level_rule[0].start < 0.5 * SAMPLE_RATE  # the background is within 20 dB: the level rule fires at once
    assert located[0].start == int((2.0 - ONSET_PAD_SECONDS) * SAMPLE_RATE)
    example = training_example(recording, length, 20, FixedLocator(2.0))
    assert any(np.array_equal(example, w.samples) for w in located)
    assert not any(np.array_equal(example, w.samples) for w in level_rule)


def test_a_located_onset_past_the_sound_still_leaves_a_window(rng):
    length = window_samples(300)
    recording = np.zeros(4 * SAMPLE_RATE, np.float32)
    recording[SAMPLE_RATE : 2 * SAMPLE_RATE] = 0.3 * fake_cry(2, 1.0)
    windows = find_windows(recording, length, locator=FixedLocator(3.9))  # after the sound has ended
    assert windows and windows[0].start < 2 * SAMPLE_RATE
    before = find_windows(recording, length, locator=FixedLocator(0.0))  # before it starts: the trim still holds
    assert before[0].start == find_windows(recording, length)[0].start

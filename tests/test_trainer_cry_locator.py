"""``python -m trainer.cry_locator``: the locator learns where a cry starts, from captures the builder made."""

from __future__ import annotations

import json

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from frontend.fbank import compute_fbank, make_extractor
from tests.synthetic import fake_cry, write_audio
from trainer.cry_locator import (
    LEAD_IN_SECONDS,
    NOISE_FLOOR_BELOW_CRY_DB,
    LocatorArguments,
    after_lead_in,
    draw_captures,
    main,
    recipe_onset_seconds,
    train_locator,
)

MELS = 32


def pumped_recording(rng: np.random.Generator, onset_s: float, seconds: float = 3.0) -> np.ndarray:
    """Noise as loud as the cry until it starts (the level rule cannot tell), then a cry over quieter noise."""
    n, start = int(seconds * SAMPLE_RATE), int(onset_s * SAMPLE_RATE)
    noise = rng.standard_normal(n).astype(np.float32)
    noise[:start] *= 0.2
    noise[start:] *= 0.05
    cry = 0.25 * fake_cry(int(rng.integers(4)), 1.0, seed=int(rng.integers(1000)))
    noise[start : start + len(cry)] += cry[: n - start]
    return noise


def write_cache(path, recordings: list[np.ndarray], onsets: list[float], ids: list[int]) -> None:
    extractor = make_extractor(MELS)
    feats = [compute_fbank(r, extractor).astype(np.float16) for r in recordings]
    np.savez(path, fbank=np.concatenate(feats), lengths=np.array([len(f) for f in feats]), onset_s=np.array(onsets),
             pokedex_id=np.array(ids), key=json.dumps({}))


def test_the_onset_is_the_place_step_of_a_capture_recipe():
    recipe = {"condition": "capture", "transforms": [{"name": "prepare"}, {"name": "place", "start_s": 1.25}]}
    assert recipe_onset_seconds(recipe) == 1.25
    with pytest.raises(ValueError, match="recipe of condition 'clean' has no place step"):
        recipe_onset_seconds({"condition": "clean", "transforms": [{"name": "prepare"}]})


@pytest.mark.parametrize("architecture", ["dilated_conv", "gru"])
def test_the_locator_learns_where_the_cry_starts_where_levels_cannot_tell(tmp_path, rng, architecture):
    onsets = list(rng.uniform(0.2, 1.4, size=80).round(2))
    recordings = [pumped_recording(rng, s, seconds=2.0) for s in onsets]
    cache = tmp_path / "captures.npz"
    write_cache(cache, recordings, onsets, [1 + i % 20 for i in range(len(onsets))])
    args = LocatorArguments(output=str(tmp_path / "loc.safetensors"), epochs=15, batch_size=16, learning_rate=1e-2,
                            threads=1, seed=0, architecture=architecture)
    locator, report = train_locator(args, cache)
    assert locator.config["kind"] == architecture
    assert report["validation"] == 8 and report["validation_species"]  # two of 20 ids held out
    assert report["history"][-1]["within_0.05_s"] >= 0.8, report["history"][-1]
    test_onsets = [0.4, 0.9, 1.3]
    located = [locator.onset_seconds(pumped_recording(rng, s, seconds=2.0)) for s in test_onsets]
    assert np.allclose(located, test_onsets, atol=0.06), located


def test_captures_are_drawn_once_and_cached_under_their_arguments(tmp_path, small_capture_chain, monkeypatch):
    cries = tmp_path / "cries"
    for pid in (1, 2):
        write_audio(cries / "cries" / "pokemon" / "latest" / f"{pid}.ogg", fake_cry(pid, 0.6, seed=pid))
    args = LocatorArguments(output=str(tmp_path / "loc" / "cry_locator.safetensors"), cries_dir=str(cries), ids="1-2",
                            renditions="latest", per_cry=2, uncaptured_per_cry=1, lead_in_per_cry=2, num_proc=1)
    cache = draw_captures(args)
    with np.load(cache) as saved:  # per cry: 2 captures, the clean cry, 1 augmented variant, 2 after a lead-in
        assert len(saved["lengths"]) == 12 and set(saved["pokedex_id"].tolist()) == {1, 2}
        assert np.all(saved["onset_s"] >= 0) and np.all(saved["onset_s"] < 5)
        assert np.sum(saved["onset_s"] == 0) >= 4  # the clips that start with the cry
        lead_ins = saved["onset_s"].reshape(2, 6)[:, 4:]  # each worker's cries in order, the lead-in clips last
        assert np.all((lead_ins >= LEAD_IN_SECONDS[0]) & (lead_ins <= LEAD_IN_SECONDS[1])), lead_ins
        first = saved["fbank"].copy()
    monkeypatch.setattr("trainer.cry_locator._draw", lambda job: pytest.fail("drew again"))
    assert draw_captures(args) == cache  # the same arguments: the cache
    with np.load(cache) as saved:
        assert np.array_equal(saved["fbank"], first)


def test_a_lead_in_clip_is_the_cry_after_a_quiet_noise_floor(small_capture_chain):
    from dataset_builder.captures import CaptureMaker

    maker = CaptureMaker(seed=0).maker
    cry = fake_cry(3, 0.5, seed=3)
    clean = maker.prepare(cry)[0]
    floors = []
    for i in range(6):
        audio, onset = after_lead_in(maker, cry, np.random.default_rng([0, i]), clean=True)
        start = int(round(onset * SAMPLE_RATE))
        assert LEAD_IN_SECONDS[0] <= onset <= LEAD_IN_SECONDS[1]
        assert len(audio) == int(4.0 * SAMPLE_RATE) and audio.dtype == np.float32
        # the cry itself, from its onset, under the floor
        assert np.max(np.abs(audio[start : start + len(clean)] - clean[: len(audio) - start])) < 0.05 * np.max(np.abs(clean))
        floor_db = 10 * np.log10(np.mean(audio[:start] ** 2) / np.mean(clean**2))
        assert -NOISE_FLOOR_BELOW_CRY_DB[1] - 1 <= floor_db <= -NOISE_FLOOR_BELOW_CRY_DB[0] + 1, floor_db
        floors.append(floor_db)
    assert np.ptp(floors) > 5  # drawn, not fixed
    again = after_lead_in(maker, cry, np.random.default_rng([0, 5]), clean=True)
    assert np.array_equal(again[0], audio) and again[1] == onset  # the same stream, the same clip


def test_bad_arguments_are_refused_with_the_flag_named(tmp_path, capsys):
    assert main(["--output", str(tmp_path / "x.safetensors"), "--per-cry", "0"]) == 2
    assert "--per-cry 0: expected 1-200" in capsys.readouterr().err
    assert main(["--output", str(tmp_path / "x.safetensors"), "--cries-dir", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert main(["--output", str(tmp_path / "x.safetensors"), "--architecture", "lstm"]) == 2
    assert "--architecture lstm: expected one of dilated_conv, gru" in capsys.readouterr().err

"""Family hold-outs: a held-out family never reaches the train split, stays in validation and test, and is recorded."""

import numpy as np
import pytest
from synthetic import fake_cry, write_audio
from test_variants import small_maker

from dataset_builder.backgrounds import BackgroundBank, BackgroundConfig, BackgroundError
from dataset_builder.config import BuildConfig
from dataset_builder.variants import augment_config_for_build, parse_holdouts


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("holdout-cache")


def _codecs_drawn(maker, split, n=300):
    codec, rng = maker._chain(split).codec, np.random.default_rng(0)
    seen = set()
    for _ in range(n):
        codec.randomize_parameters(rng)
        seen |= {codec.parameters["codec"], codec.parameters.get("second_codec", "none")}
    return seen


def test_a_held_out_codec_is_never_drawn_in_train_but_is_in_test(cache):
    maker = small_maker(cache, holdout_families=("codec=gsm",))
    assert "gsm" not in _codecs_drawn(maker, "train") and {"mp3", "g711"} <= _codecs_drawn(maker, "train")
    assert "gsm" in _codecs_drawn(maker, "test") and "gsm" in _codecs_drawn(maker, "validation")
    phone = small_maker(cache, holdout_families=("codec=phone",))
    assert not {"gsm", "g711"} & _codecs_drawn(phone, "train")


def test_a_held_out_background_kind_is_never_mixed_in_train(cache):
    maker = small_maker(cache, holdout_families=("background=babble",))
    rng = np.random.default_rng(1)
    train_kinds, test_kinds = set(), set()
    for _ in range(60):
        for split, kinds in (("train", train_kinds), ("test", test_kinds)):
            mixer = maker._chain(split).background
            mixer.randomize_parameters(rng)
            kinds.add(mixer.parameters["kind"])
    assert "babble" not in train_kinds and train_kinds and "babble" in test_kinds


def test_a_held_out_transform_is_skipped_in_train_only_and_every_other_draw_is_unchanged(cache):
    full, held = small_maker(cache), small_maker(cache, holdout_families=("room=all",))
    cry = fake_cry(3, 0.8)
    a = full.make(cry, "train", "capture", np.random.default_rng(7))
    b = held.make(cry, "train", "capture", np.random.default_rng(7))
    steps_a = {s["name"]: s for s in a.recipe["transforms"]}
    steps_b = {s["name"]: s for s in b.recipe["transforms"]}
    assert steps_b["room"] == {"name": "room", "held_out": True} and "index" in steps_a["room"]
    for name in ("place", "background", "loudspeaker", "equalizer", "gain", "agc", "codec"):
        assert {k: v for k, v in steps_a[name].items() if k != "gain_db"} == {
            k: v for k, v in steps_b[name].items() if k != "gain_db"
        }, name
    assert b.recipe["holdout_families"] == ["room=all"] and "holdout_families" not in a.recipe
    t = held.make(cry, "test", "capture", np.random.default_rng(7))
    assert "index" in {s["name"]: s for s in t.recipe["transforms"]}["room"]
    assert t.recipe["holdout_families"] == ["room=all"]


def test_loudspeaker_and_dynamics_holdouts_switch_off_their_transforms(cache):
    maker = small_maker(cache, holdout_families=("loudspeaker=all", "dynamics=agc"))
    v = maker.make(fake_cry(1, 0.5), "train", "capture", np.random.default_rng(2))
    held = {s["name"] for s in v.recipe["transforms"] if s.get("held_out")}
    assert held == {"loudspeaker", "equalizer", "agc"}


def test_the_flag_is_parsed_checked_and_normalised():
    assert parse_holdouts(" Codec=GSM,room=all,codec=gsm ") == ("codec=gsm", "room=all")
    config = BuildConfig(output="x", holdout_family="room=all, background=music")
    assert config.holdout_family == "background=music,room=all"
    assert augment_config_for_build(config).holdout_families == ("background=music", "room=all")
    assert augment_config_for_build(BuildConfig(output="x", compressor_reference="peak")).compressor_threshold_reference == "peak"
    with pytest.raises(ValueError, match="--compressor-reference.*expected dbfs or peak"):
        BuildConfig(output="x", compressor_reference="lufs")
    for bad in ("codec=flac", "weather=rain", "room"):
        with pytest.raises(ValueError, match="--holdout-family.*expected family=value"):
            BuildConfig(output="x", holdout_family=bad)


def test_holding_out_every_background_a_split_has_fails_naming_it(cache):
    bank = BackgroundBank.build(BackgroundConfig(cache_dir=str(cache), procedural_per_split={"train": 1, "validation": 1, "test": 1}), 0)
    with pytest.raises(BackgroundError, match="chiptune, noise.*leaves no 'train' backgrounds"):
        bank.pool("train", exclude_kinds=("babble", "chiptune", "noise"))


def test_the_held_out_evaluation_music_is_refused_as_training_music(tmp_path, cache):
    for split in ("train", "heldout"):
        for i in range(3):
            write_audio(tmp_path / "music" / split / "game" / f"{i}.wav", fake_cry(i, 1.5, seed=i))
    config = BackgroundConfig(music_dir=str(tmp_path / "music"), cache_dir=str(cache))
    with pytest.raises(BackgroundError, match="--music-dir.*evaluation-only.*data/music/train"):
        BackgroundBank.build(config, 0)
    with pytest.raises(BackgroundError, match="evaluation-only"):
        BackgroundBank.build(BackgroundConfig(music_dir=str(tmp_path / "music" / "heldout"), cache_dir=str(cache)), 0)
    bank = BackgroundBank.build(BackgroundConfig(music_dir=str(tmp_path / "music" / "train"), cache_dir=str(cache)), 0)
    assert sum(r.kind == "music" for r in bank.recordings) == 3

"""VariantMaker: determinism (also across pickling and processes), output contract, recipes, conditions, config checks."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from synthetic import fake_cry, tone

from dataset_builder.backgrounds import BackgroundBank, BackgroundConfig
from dataset_builder.schema import CONDITIONS, SPLITS
from dataset_builder.variants import FAMILIES, RECIPE_VERSION, AugmentConfig, VariantMaker
from frontend.audio import CLIP_SECONDS, SAMPLE_RATE, SILENCE_DBFS
from frontend.levels import frame_samples, rms_dbfs

CAPTURE_STEPS = [
    "place", "background", "loudspeaker", "equalizer", "room", "microphone", "gain", "clipping", "compressor", "agc", "codec"
]
SMALL_ROOMS = {"train": 2, "validation": 1, "test": 1}


def small_maker(cache: Path, seed: int = 0, **config) -> VariantMaker:
    bank = BackgroundBank.build(
        BackgroundConfig(cache_dir=str(cache), procedural_per_split={"train": 2, "validation": 1, "test": 1}, procedural_seconds=5.0),
        seed=seed,
    )
    config.setdefault("rooms_per_split", SMALL_ROOMS)
    config.setdefault("positions_per_room", 2)
    return VariantMaker(AugmentConfig(**config), bank, seed=seed)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("variants-cache")


@pytest.fixture(scope="module")
def maker(cache):
    return small_maker(cache)


def names(variant):
    return [step["name"] for step in variant.recipe["transforms"]]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_same_cry_and_rng_state_give_byte_identical_output(maker, condition):
    cry = fake_cry(3, 0.9)
    a = maker.make(cry, "train", condition, np.random.default_rng(11))
    b = maker.make(cry, "train", condition, np.random.default_rng(11))
    assert a.audio.tobytes() == b.audio.tobytes() and a.recipe == b.recipe


def test_determinism_survives_pickling_and_another_process(maker, cache, tmp_path):
    cry = fake_cry(5, 0.8)
    expected = [maker.make(cry, s, "capture", np.random.default_rng(i)).audio for i, s in enumerate(SPLITS)]
    blob = pickle.dumps(maker)
    assert len(blob) < 5_000_000  # rooms and manifests, no decoded audio
    clone = pickle.loads(blob)
    assert all(
        clone.make(cry, s, "capture", np.random.default_rng(i)).audio.tobytes() == expected[i].tobytes()
        for i, s in enumerate(SPLITS)
    )
    (tmp_path / "maker.pkl").write_bytes(blob)
    np.save(tmp_path / "cry.npy", cry)
    script = (
        "import pickle, sys, numpy as np\n"
        f"maker = pickle.loads(open({str(tmp_path / 'maker.pkl')!r}, 'rb').read())\n"
        f"cry = np.load({str(tmp_path / 'cry.npy')!r})\n"
        f"outs = [maker.make(cry, s, 'capture', np.random.default_rng(i)).audio for i, s in enumerate({SPLITS!r})]\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, np.stack([np.pad(o, (0, 64000 - len(o))) for o in outs]))\n"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", script], check=True, cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    other = np.load(tmp_path / "out.npy")
    for i, audio in enumerate(expected):
        assert other[i].tobytes() == audio.tobytes()


def test_many_random_draws_are_finite_bounded_and_audible(maker):
    rng = np.random.default_rng(0)
    for i in range(36):
        cry = fake_cry(i, 0.3 + 0.1 * (i % 12), seed=i)
        condition = CONDITIONS[1 + i % 2]
        v = maker.make(cry, SPLITS[i % 3], condition, rng)
        assert v.audio.dtype == np.float32 and v.audio.ndim == 1
        assert np.all(np.isfinite(v.audio)), v.recipe
        assert np.max(np.abs(v.audio)) <= 1.0, v.recipe
        assert rms_dbfs(v.audio) > SILENCE_DBFS, v.recipe
        json.dumps(v.recipe)


def test_clean_is_the_trimmed_normalised_cry_and_uses_no_randomness(maker):
    cry = np.concatenate([np.zeros(4000, np.float32), tone(440.0, 0.5, amplitude=0.2), np.zeros(8000, np.float32)])
    rng = np.random.default_rng(1)
    state = rng.bit_generator.state
    v = maker.make(cry, "test", "clean", rng)
    assert rng.bit_generator.state == state
    assert abs(len(v.audio) - 0.5 * SAMPLE_RATE) <= 2 * frame_samples()  # trimmed to the front end's 20 ms frames
    assert 20 * np.log10(np.max(np.abs(v.audio))) == pytest.approx(-1.0, abs=0.01)
    assert names(v) == ["prepare", "output"] and v.background_kind == "none" and v.snr_db is None


def test_augmented_draws_one_to_four_families_in_order(maker):
    rng = np.random.default_rng(2)
    counts = set()
    for _ in range(40):
        v = maker.make(fake_cry(1, 0.6), "train", "augmented", rng)
        steps = names(v)[1:-1]
        family_of = {"time_stretch": "time_stretch", "pitch_shift": "pitch_shift", "high_pass": "filter",
                     "low_pass": "filter", "background": "background"}
        fams = [family_of[n] for n in steps]
        assert fams == [f for f in FAMILIES if f in fams] and 1 <= len(fams) <= 4
        counts.add(len(fams))
        if "background" in fams:
            assert v.background_id.startswith(v.background_kind) and v.snr_db is not None
            assert -5.0 <= v.snr_db <= 30.0
        if "time_stretch" not in fams:
            assert len(v.audio) == len(maker.prepare(fake_cry(1, 0.6))[0])
    assert counts == {1, 2, 3, 4}


def test_capture_is_a_clip_with_the_whole_chain_and_this_split_s_resources(maker):
    rng = np.random.default_rng(3)
    for split in SPLITS:
        for _ in range(4):
            v = maker.make(fake_cry(2, 1.0), split, "capture", rng)
            assert len(v.audio) == int(CLIP_SECONDS * SAMPLE_RATE)
            steps = names(v)
            assert [s for s in steps if s in CAPTURE_STEPS] == CAPTURE_STEPS
            assert v.background_id.split("/")[1].startswith(split)
            room = next(s for s in v.recipe["transforms"] if s["name"] == "room")
            assert room["room"].startswith(split + "-room")
            assert v.recipe["condition"] == "capture" and v.recipe["version"] == RECIPE_VERSION


def test_sound_before_and_after_the_cry_in_capture(maker):
    v = maker.make(tone(600.0, 0.5, amplitude=0.5), "test", "capture", np.random.default_rng(9))
    place = next(s for s in v.recipe["transforms"] if s["name"] == "place")
    start = int(place["start_s"] * SAMPLE_RATE)
    assert rms_dbfs(v.audio[: max(start - 800, 1)]) > SILENCE_DBFS


def test_test_split_covers_the_snr_bands(maker):
    rng = np.random.default_rng(4)
    snrs = [maker.make(fake_cry(0, 0.3), "test", "augmented", rng).snr_db for _ in range(120)]
    snrs = [s for s in snrs if s is not None]
    for band in (0, 10, 20):
        assert any(abs(s - band) < 2.5 for s in snrs), band


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("pitch_semitones", (1.0, -1.0), "pitch_semitones.*min is greater"),
        ("stretch_rate", (0.2, 1.0), "stretch_rate.*within"),
        ("high_pass_hz", (300.0, 9000.0), "high_pass_hz"),
        ("snr_db", "loud", "snr_db.*pair"),
        ("families", ("time_stretch", "reverse"), "families"),
        ("min_families", 0, "min_families"),
        ("max_families", 5, "max_families"),
        ("codecs", ("mp3", "wma"), "codecs"),
        ("codec_probability", 1.5, "codec_probability"),
        ("rooms_per_split", {"train": 2}, "rooms_per_split"),
        ("rt60_s", (0.01, 0.5), "rt60_s"),
        ("agc_probability", -0.1, "agc_probability"),
        ("filter_order", (2.5, 4), "filter_order"),
        ("max_lead_in_s", 3.5, "max_lead_in_s"),
        ("edge_cut_probability", 1.5, "edge_cut_probability"),
        ("eq_max_gain_db", 30.0, "max_gain_db"),
        ("compressor_attack_ms", (0.0, 5.0), "compressor_attack_ms"),
        ("agc_release_ms", (1.0, 5.0), "agc_release_ms"),
        ("codec_double_probability", -0.5, "codec_double_probability"),
        ("holdout_families", ("codec=flac",), "holdout-family"),
        ("compressor_threshold_reference", "lufs", "compressor_threshold_reference"),
    ],
)
def test_bad_config_raises_naming_the_field(field, value, match):
    with pytest.raises(ValueError, match=match):
        AugmentConfig(**{field: value})


def test_speaker_bands_must_leave_a_pass_band():
    with pytest.raises(ValueError, match="speaker_low_cut_hz.*below"):
        AugmentConfig(speaker_low_cut_hz=(100.0, 1500.0), speaker_high_cut_hz=(1200.0, 7000.0))


def test_a_wide_pitch_range_warns_about_evolution_lines():
    with pytest.warns(UserWarning, match="evolution line"):
        AugmentConfig(pitch_semitones=(-3.0, 3.0))


def test_bad_inputs_raise(maker):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="split"):
        maker.make(fake_cry(0), "dev", "clean", rng)
    with pytest.raises(ValueError, match="condition"):
        maker.make(fake_cry(0), "train", "noisy", rng)
    with pytest.raises(ValueError, match="silent"):
        maker.make(np.zeros(8000, np.float32), "train", "clean", rng)
    with pytest.raises(ValueError, match="NaN"):
        maker.make(np.full(8000, np.nan, np.float32), "train", "clean", rng)


def test_families_can_be_restricted(cache):
    only_pitch = small_maker(cache, families=("pitch_shift",), min_families=1, max_families=1)
    v = only_pitch.make(fake_cry(0, 0.5), "train", "augmented", np.random.default_rng(0))
    assert names(v) == ["prepare", "pitch_shift", "output"]


def test_compressor_reference_changes_only_how_hard_the_compressor_squeezes(cache):
    """Same seed, same draws (rooms, levels, parameters): only the compressor's output differs between references."""
    cry = fake_cry(2, 0.9)
    by_reference = {}
    for reference in ("dbfs", "peak"):
        m = small_maker(cache, compressor_probability=1.0, compressor_threshold_reference=reference)
        by_reference[reference] = [m.make(cry, "train", "capture", np.random.default_rng(i)) for i in range(6)]
    for a, b in zip(by_reference["dbfs"], by_reference["peak"], strict=True):
        steps_a = {s["name"]: s for s in a.recipe["transforms"]}
        steps_b = {s["name"]: s for s in b.recipe["transforms"]}
        assert steps_a["gain"] == steps_b["gain"] and steps_a["room"] == steps_b["room"]
        assert steps_a["compressor"]["threshold_reference"] == "dbfs" and steps_b["compressor"]["threshold_reference"] == "peak"
    assert any(a.audio.tobytes() != b.audio.tobytes() for a, b in zip(by_reference["dbfs"], by_reference["peak"], strict=True))

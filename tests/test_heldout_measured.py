"""Real recorded parts of the held-out chain: measured responses, a real hall and game music read from files."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from heldout.measured import MeasuredResponse, MeasuredRoom, MusicBackground, read_mono
from heldout.parts import SAMPLE_RATE
from heldout.simulator import families, real_parts_simulator

pytest.importorskip("pedalboard")


def write(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.asarray(samples, dtype=np.float32), rate, subtype="FLOAT" if path.suffix == ".wav" else None)
    read_mono.cache_clear()  # tests reuse names in fresh folders
    return path


def tone(seconds: float = 0.5, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.fixture
def parts(tmp_path) -> Path:
    """loudspeakers/{flat,smear}/ and rooms/ as scripts/fetch_real_parts.sh lays them out, and a music folder."""
    delta = np.zeros(64, np.float32)
    delta[0] = 1.0
    write(tmp_path / "parts" / "loudspeakers" / "flat" / "delta.wav", delta)
    write(tmp_path / "parts" / "loudspeakers" / "smear" / "two_taps.wav", np.array([1.0, 1.0], np.float32))
    hall = np.exp(-np.arange(8000) / 1600.0) * np.random.default_rng(0).standard_normal(8000)
    write(tmp_path / "parts" / "rooms" / "hall.wav", hall)
    write(tmp_path / "music" / "track.flac", 0.3 * np.random.default_rng(1).standard_normal(SAMPLE_RATE))
    return tmp_path


def test_a_measured_response_is_applied_at_unit_peak_gain(parts):
    speaker = MeasuredResponse(parts / "parts" / "loudspeakers")
    x = tone()
    flat = {"kind": "flat", "file": "delta.wav", "index": 0}
    np.testing.assert_allclose(speaker.apply(x, flat), x, atol=1e-6)
    smear = speaker.apply(x, {"kind": "smear", "file": "two_taps.wav", "index": 1})
    # [1, 1] has gain 2 at 0 Hz: scaled to [0.5, 0.5], the mean of each sample and the one before
    np.testing.assert_allclose(smear[1:], 0.5 * (x[1:] + x[:-1]), atol=1e-6)
    assert len(smear) == len(x)


def test_draws_are_reproducible_and_name_the_family(parts):
    speaker = MeasuredResponse(parts / "parts" / "loudspeakers")
    draws = [speaker.draw(np.random.default_rng(s)) for s in range(20)]
    assert draws == [speaker.draw(np.random.default_rng(s)) for s in range(20)]
    assert {d["kind"] for d in draws} == {"flat", "smear"}
    assert all(speaker.files[d["index"]].name == d["file"] for d in draws)


def test_a_hall_adds_a_tail_and_keeps_the_peak(parts):
    x = np.zeros(SAMPLE_RATE, np.float32)
    x[100] = 0.8
    wet = MeasuredRoom(parts / "parts" / "rooms", dry_probability=0.0)
    params = wet.draw(np.random.default_rng(0))
    assert params["kind"] == "measured hall" and -12.0 <= params["wet_gain_db"] <= 0.0
    y = wet.apply(x, params)
    assert np.max(np.abs(y)) == pytest.approx(0.8, rel=1e-5)
    assert np.sum(y[100 + 800 :] ** 2) > 1e-4  # energy 50 ms after the impulse: the hall's tail
    dry = MeasuredRoom(parts / "parts" / "rooms", dry_probability=1.0)
    assert dry.draw(np.random.default_rng(0)) == {"kind": "none"}
    np.testing.assert_array_equal(dry.apply(x, {"kind": "none"}), x)


def test_music_is_a_looped_stretch_at_unit_rms(parts):
    music = MusicBackground(parts / "music")
    params = music.draw(np.random.default_rng(3))
    assert params["kind"] == "game music" and params["file"] == "track.flac"
    y = music.render(3 * SAMPLE_RATE, params)  # longer than the 1 s track: looped
    assert len(y) == 3 * SAMPLE_RATE and np.sqrt(np.mean(y**2)) == pytest.approx(1.0, rel=1e-4)
    np.testing.assert_allclose(y[:SAMPLE_RATE], y[SAMPLE_RATE : 2 * SAMPLE_RATE], atol=1e-6)
    other = music.render(SAMPLE_RATE, {**params, "start": (params["start"] + 0.5) % 1.0})
    assert not np.allclose(other, y[:SAMPLE_RATE], atol=1e-3)


def test_missing_or_unfit_parts_are_refused_with_the_folder_and_the_fix(tmp_path, parts):
    with pytest.raises(ValueError, match=r"empty: no measured loudspeaker responses .*fetch_real_parts\.sh"):
        MeasuredResponse(tmp_path / "empty")
    long_ir = write(tmp_path / "long" / "x" / "ir.wav", np.ones(5 * SAMPLE_RATE, np.float32))
    speaker = MeasuredResponse(long_ir.parent.parent)
    with pytest.raises(ValueError, match=r"ir\.wav: 5\.00 s; expected an impulse response"):
        speaker.apply(tone(), speaker.draw(np.random.default_rng(0)))
    with pytest.raises(ValueError, match="dry_probability"):
        MeasuredRoom(parts / "parts" / "rooms", dry_probability=1.5)
    with pytest.raises(ValueError, match="wet_gain_db"):
        MeasuredRoom(parts / "parts" / "rooms", wet_gain_db=(0.0, 20.0))


def test_the_real_parts_chain_captures_a_cry_and_names_its_families(parts):
    sim = real_parts_simulator(parts / "parts", parts / "music")
    cry = tone(0.8, 660.0)
    audio, params = sim.capture(cry, np.random.default_rng(1), snr_db=10.0)
    again, _ = sim.capture(cry, np.random.default_rng(1), snr_db=10.0)
    np.testing.assert_array_equal(audio, again)
    assert audio.dtype == np.float32 and len(audio) > len(cry) and np.max(np.abs(audio)) <= 1.0
    fam = families(params)
    assert fam["background"] == "game music" and fam["loudspeaker"] in {"flat", "smear"}
    assert fam["room"] in {"none", "measured hall"} and "low_cut" not in fam

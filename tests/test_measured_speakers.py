"""Measured loudspeaker responses for a build: read, scaled to unit gain, the held-out family refused, bad files named;
in the capture chain they stand in for the drawn loudspeaker, and a build without them draws as before."""

import numpy as np
import pytest
import soundfile as sf
from scipy import signal as sps
from synthetic import fake_cry
from test_variants import CAPTURE_STEPS, small_maker

from dataset_builder.measured_speakers import MAX_RESPONSE_SECONDS, load_responses
from frontend.audio import SAMPLE_RATE as SR


def _write(path, samples, rate=SR):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.asarray(samples, np.float32), rate)
    return path


@pytest.fixture(scope="module")
def amps(tmp_path_factory):
    root = tmp_path_factory.mktemp("parts") / "amps"
    _write(root / "b.wav", 0.5 * sps.firwin(255, 1000, fs=SR))
    _write(root / "a.wav", 3.0 * sps.firwin(127, 2000, fs=SR, pass_zero=False), rate=48_000)
    return root


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("measured-cache")


def test_responses_are_sorted_resampled_and_scaled_to_unit_peak_gain(amps):
    bank = load_responses(amps)
    assert bank.names == ("a.wav", "b.wav") and len(bank) == 2
    assert abs(len(bank.responses[0]) - round(127 / 3)) <= 1  # 48 kHz read at 16 kHz
    for response in bank.responses:
        assert response.dtype == np.float32
        assert np.max(np.abs(np.fft.rfft(response, n=4096))) == pytest.approx(1.0, abs=0.01)


def test_the_evaluation_s_held_out_family_is_refused(tmp_path):
    _write(tmp_path / "loudspeakers" / "amps" / "a.wav", sps.firwin(63, 1000, fs=SR))
    _write(tmp_path / "loudspeakers" / "rigs" / "r.wav", sps.firwin(63, 1000, fs=SR))
    with pytest.raises(ValueError, match="rigs.*holds out; train on loudspeakers/amps"):
        load_responses(tmp_path / "loudspeakers")
    with pytest.raises(ValueError, match="holds out"):
        load_responses(tmp_path / "loudspeakers" / "rigs")
    assert len(load_responses(tmp_path / "loudspeakers" / "amps")) == 1


def test_bad_folders_and_files_are_named(tmp_path):
    with pytest.raises(ValueError, match="missing: not a folder"):
        load_responses(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: no .ogg"):
        load_responses(tmp_path / "empty")
    _write(tmp_path / "silent" / "s.wav", np.zeros(100))
    with pytest.raises(ValueError, match="s.wav: silent"):
        load_responses(tmp_path / "silent")
    _write(tmp_path / "long" / "hall.wav", np.ones(int((MAX_RESPONSE_SECONDS + 1) * SR)) * 0.01)
    with pytest.raises(ValueError, match="hall.wav: longer than 2 s"):
        load_responses(tmp_path / "long")


def test_in_the_chain_a_measured_response_replaces_the_drawn_loudspeaker(amps, cache):
    maker = small_maker(cache, measured_speakers=str(amps), measured_speaker_probability=1.0)
    for i in range(4):
        v = maker.make(fake_cry(2, 0.8), "train", "capture", np.random.default_rng(i))
        steps = {s["name"]: s for s in v.recipe["transforms"]}
        assert steps["measured_loudspeaker"]["applied"] is True and steps["measured_loudspeaker"]["file"] in ("a.wav", "b.wav")
        assert steps["loudspeaker"] == {"name": "loudspeaker", "replaced_by": "measured_loudspeaker"}
    never = small_maker(cache, measured_speakers=str(amps), measured_speaker_probability=0.0)
    steps = {s["name"]: s for s in never.make(fake_cry(2, 0.8), "train", "capture", np.random.default_rng(0)).recipe["transforms"]}
    assert steps["measured_loudspeaker"]["applied"] is False and "low_cut_hz" in steps["loudspeaker"]


def test_without_measured_responses_every_draw_is_the_previous_builds(cache):
    v = small_maker(cache).make(fake_cry(2, 0.8), "train", "capture", np.random.default_rng(5))
    assert [s["name"] for s in v.recipe["transforms"] if s["name"] in CAPTURE_STEPS + ["measured_loudspeaker"]] == CAPTURE_STEPS


def test_the_loudspeaker_holdout_switches_measured_responses_off_too(amps, cache):
    maker = small_maker(cache, measured_speakers=str(amps), measured_speaker_probability=1.0,
                        holdout_families=("loudspeaker=all",))
    v = maker.make(fake_cry(1, 0.5), "train", "capture", np.random.default_rng(2))
    assert {s["name"] for s in v.recipe["transforms"] if s.get("held_out")} >= {"measured_loudspeaker", "loudspeaker"}


def test_a_bad_probability_names_the_field(amps):
    from dataset_builder.variants import AugmentConfig

    with pytest.raises(ValueError, match="measured_speaker_probability=1.5"):
        AugmentConfig(measured_speakers=str(amps), measured_speaker_probability=1.5)

"""AutomaticGainControl: brings a quiet recording to its target, pumps up quiet parts, never exceeds full scale."""

import numpy as np
import pytest
from spectral import level_db
from synthetic import tone
from transform_helpers import fixed, sane

from dataset_builder.augment import AutomaticGainControl
from frontend.audio import SAMPLE_RATE as SR


def _agc(**parameters):
    pinned = {"enabled": True, "target_dbfs": -20.0, "max_gain_db": 30.0, "attack_ms": 10.0, "release_ms": 300.0}
    return fixed(AutomaticGainControl(), **{**pinned, **parameters})


def test_brings_a_quiet_recording_toward_its_target_and_never_exceeds_full_scale():
    agc = _agc()
    quiet = tone(440.0, 3.0, amplitude=0.01)  # about -43 dBFS RMS
    y = sane(agc.apply(quiet, SR), len(quiet))
    assert level_db(y[2 * SR :]) == pytest.approx(-20.0, abs=2.0)
    loud = tone(440.0, 1.0, amplitude=1.0)
    assert np.max(np.abs(agc.apply(loud * 3, SR))) < 1.0


def test_gain_is_capped_and_falls_faster_than_it_rises():
    agc = _agc(max_gain_db=10.0)
    silence_then_loud = np.concatenate([tone(440.0, 1.0, amplitude=0.001), tone(440.0, 1.0, amplitude=0.3)])
    y = agc.apply(silence_then_loud, SR)
    assert level_db(y[SR // 2 : SR]) - level_db(silence_then_loud[SR // 2 : SR]) == pytest.approx(10.0, abs=0.5)
    level = np.concatenate([np.full(50, 1e-6), np.full(50, 1e-2), np.full(200, 1e-6)])  # 10 ms frames
    curve = agc.gain_curve_db(level)
    assert curve[49] == pytest.approx(10.0) and curve[99] == pytest.approx(0.0, abs=0.01)
    drop = np.flatnonzero(curve[50:] < 1.0)[0]  # frames to fall 90 % (attack 10 ms)
    rise = np.flatnonzero(curve[100:] > 9.0)[0]  # frames to rise 90 % (release 300 ms)
    assert drop <= 3 and 50 <= rise <= 90


def test_off_is_identity_and_probability_is_drawn():
    quiet = tone(440.0, 0.5, amplitude=0.01)
    off = fixed(AutomaticGainControl(), enabled=False)
    assert np.array_equal(off.apply(quiet, SR), quiet)
    agc, rng = AutomaticGainControl(probability=0.8), np.random.default_rng(0)
    enabled = []
    for _ in range(200):
        agc.randomize_parameters(rng)
        enabled.append(agc.parameters["enabled"])
    assert 0.7 < np.mean(enabled) < 0.9


@pytest.mark.parametrize("kwargs, match", [({"probability": 1.5}, "probability"), ({"max_target_dbfs": 0.0}, "target_dbfs")])
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"AutomaticGainControl.*{match}"):
        AutomaticGainControl(**kwargs)


def test_attack_and_release_are_drawn_from_their_ranges():
    agc, rng = AutomaticGainControl(attack_ms=(5.0, 100.0), release_ms=(100.0, 3000.0)), np.random.default_rng(0)
    attacks, releases = [], []
    for _ in range(200):
        agc.randomize_parameters(rng)
        attacks.append(agc.parameters["attack_ms"])
        releases.append(agc.parameters["release_ms"])
    assert 5.0 <= min(attacks) < 7.0 and 70.0 < max(attacks) <= 100.0
    assert 100.0 <= min(releases) < 150.0 and 2000.0 < max(releases) <= 3000.0
    with pytest.raises(ValueError, match="AutomaticGainControl.*release_ms"):
        AutomaticGainControl(release_ms=(5.0, 100.0))

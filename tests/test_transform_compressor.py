"""Compressor: above the threshold the level grows 1/ratio as fast, attack is fast and release slow, peak kept."""

import numpy as np
import pytest
from spectral import level_db
from synthetic import tone
from transform_helpers import fixed, sane

from dataset_builder.augment import Compressor
from frontend.audio import SAMPLE_RATE as SR


def _compressor(reference="dbfs", **parameters):
    pinned = {"enabled": True, "threshold_dbfs": -30.0, "ratio": 4.0, "attack_ms": 1.0, "release_ms": 100.0}
    return fixed(Compressor(threshold_reference=reference), **{**pinned, **parameters})


def test_static_curve_follows_the_ratio_above_the_threshold():
    comp = _compressor()
    steady = comp.gain_curve_db(np.full(2000, -10.0))  # 20 dB over the threshold, 1 ms frames
    assert steady[-1] == pytest.approx(-20.0 * (1 - 1 / 4), abs=0.01)
    assert comp.gain_curve_db(np.full(500, -40.0))[-1] == pytest.approx(0.0)  # below threshold: untouched


def test_narrows_the_level_difference_between_a_quiet_and_a_loud_part_and_keeps_the_peak():
    quiet, loud = tone(440.0, 1.0, amplitude=0.02), tone(440.0, 1.0, amplitude=0.5)  # -34 / -6 dBFS peak
    x = np.concatenate([quiet, loud])
    y = sane(_compressor().apply(x, SR), len(x))
    before = level_db(x[SR + SR // 2 :]) - level_db(x[SR // 2 : SR])
    after = level_db(y[SR + SR // 2 :]) - level_db(y[SR // 2 : SR])
    assert after < before - 12  # 24 dB over threshold at ratio 4 takes 18 dB off the loud part
    assert np.max(np.abs(y)) == pytest.approx(np.max(np.abs(x)), rel=1e-3)


def test_attack_is_faster_than_release():
    comp = _compressor(attack_ms=2.0, release_ms=200.0)
    level = np.concatenate([np.full(100, -60.0), np.full(300, 0.0), np.full(1000, -60.0)])
    curve = comp.gain_curve_db(level)
    full = curve[399]
    down = np.flatnonzero(curve[100:] < 0.9 * full)[0]
    up = np.flatnonzero(curve[400:] > 0.1 * full)[0]
    assert down <= 6 and 350 <= up <= 560  # 2.3 time constants: ~5 ms / ~460 ms


def test_draws_cover_the_attack_and_release_ranges_and_off_is_identity():
    comp, rng = Compressor(probability=1.0), np.random.default_rng(0)
    attacks, releases = [], []
    for _ in range(200):
        comp.randomize_parameters(rng)
        attacks.append(comp.parameters["attack_ms"])
        releases.append(comp.parameters["release_ms"])
    assert 0.5 <= min(attacks) < 1.0 and 30.0 < max(attacks) <= 50.0
    assert 20.0 <= min(releases) < 40.0 and 500.0 < max(releases) <= 1000.0
    x = tone(440.0, 0.3)
    assert np.array_equal(fixed(Compressor(), enabled=False).apply(x, SR), x)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"min_ratio": 0.5}, "ratio"), ({"max_attack_ms": 900.0}, "attack_ms"), ({"min_release_ms": 2000.0, "max_release_ms": 100.0}, "release_ms")],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=f"Compressor.*{match}"):
        Compressor(**kwargs)


def test_peak_reference_squeezes_a_quiet_capture_as_hard_as_a_loud_one():
    """Re full scale a -34 dBFS capture passes under a -30 dB threshold; re its own peak it is compressed like a loud one."""
    quiet_tail, loud_tail = tone(440.0, 1.0, amplitude=0.002), tone(440.0, 1.0, amplitude=0.02)  # -54 / -34 dBFS peak
    x = np.concatenate([quiet_tail, loud_tail])
    loud_x = x * 25.0  # the same capture 28 dB hotter: -26 / -6 dBFS

    def spread(y):
        return level_db(y[SR + SR // 2 :]) - level_db(y[SR // 2 : SR])

    full_scale = _compressor().apply(x, SR)
    assert spread(full_scale) == pytest.approx(spread(x), abs=0.5)  # under the threshold: untouched
    quiet = sane(_compressor("peak").apply(x, SR), len(x))
    loud = _compressor("peak").apply(loud_x, SR)
    assert spread(quiet) < spread(x) - 12  # the loud half is 20 dB over a threshold 30 dB below the peak: 15 dB off
    assert spread(quiet) == pytest.approx(spread(loud), abs=0.2)  # level-independent
    assert np.max(np.abs(quiet)) == pytest.approx(np.max(np.abs(x)), rel=1e-3)


def test_unknown_threshold_reference_raises():
    with pytest.raises(ValueError, match="Compressor.*threshold_reference"):
        Compressor(threshold_reference="lufs")

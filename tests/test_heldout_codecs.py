"""Held-out codecs: kinds and ranges checked, deterministic draws, each codec really applied."""

import shutil

import numpy as np
import pytest

from heldout.codecs import Codec
from tests.heldout_signals import energy_fraction_above, white

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ffmpeg command is not installed")


def test_kinds_and_ranges_are_checked():
    with pytest.raises(ValueError, match="codec kinds"):
        Codec(kinds=("speex",))
    with pytest.raises(ValueError, match="opus_kbps"):
        Codec(kinds=("none",), opus_kbps=(2, 16))


def test_draw_is_deterministic_and_in_range():
    codec = Codec()
    assert codec.draw(np.random.default_rng(2)) == codec.draw(np.random.default_rng(2))
    drawn = [codec.draw(np.random.default_rng(s)) for s in range(60)]
    assert {d["kind"] for d in drawn} == {"none", "gsm", "mp3", "opus", "aac"}
    assert all(12 <= d["kbps"] <= 32 for d in drawn if d["kind"] == "opus")


def test_gsm_keeps_only_the_phone_band():
    x = white()
    assert energy_fraction_above(x, 4_000.0) > 0.4
    y = Codec(kinds=("gsm",)).apply(x, {"kind": "gsm"})
    assert len(y) == len(x) and energy_fraction_above(y, 4_000.0) < 0.02


def test_mp3_is_lossy_but_close():
    x = white()
    y = Codec(kinds=("mp3",)).apply(x, {"kind": "mp3", "vbr_quality": 9.0})
    assert len(y) == len(x) and not np.allclose(x, y, atol=1e-3)
    assert np.corrcoef(x, y)[0, 1] > 0.5


@needs_ffmpeg
@pytest.mark.parametrize("kind, kbps", [("opus", 12), ("aac", 24)])
def test_ffmpeg_codecs_round_trip_at_the_same_length(kind, kbps):
    t = np.arange(32_000) / 16_000
    x = (0.3 * np.sin(2 * np.pi * 700 * t)).astype(np.float32)
    codec = Codec(kinds=(kind,))
    y = codec.apply(x, {"kind": kind, "kbps": kbps})
    assert len(y) == len(x) and not np.array_equal(x, y)
    assert np.array_equal(y, codec.apply(x, {"kind": kind, "kbps": kbps}))  # deterministic encoders
    assert np.corrcoef(x[4000:-4000], y[4000:-4000])[0, 1] > 0.9  # aligned: no encoder delay left

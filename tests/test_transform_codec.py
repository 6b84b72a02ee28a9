"""Codec: each codec changes the samples but keeps the tone, deterministically; draws and settings are checked."""

import numpy as np
import pytest
from spectral import peak_frequency
from synthetic import fake_cry, tone
from transform_helpers import fixed, sane

from dataset_builder.augment import Codec, encode_decode
from frontend.audio import SAMPLE_RATE as SR


@pytest.mark.parametrize("codec, kbps", [("mp3", 32), ("opus", 16), ("aac", 48)])
def test_changes_the_samples_but_keeps_the_tone(codec, kbps):
    x = tone(1000.0, 1.0, amplitude=0.5)
    y = sane(encode_decode(x, codec, kbps), len(x))
    assert not np.array_equal(x, y)
    assert abs(peak_frequency(y) - 1000.0) < 1.0
    assert np.corrcoef(x[SR // 10 : -SR // 10], y[SR // 10 : -SR // 10])[0, 1] > 0.95  # aligned, same tone
    assert y.tobytes() == encode_decode(x, codec, kbps).tobytes()  # deterministic


def test_draws_codecs_and_bitrates_and_records_them():
    codec = Codec(probability=0.9)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(60):
        codec.randomize_parameters(rng)
        seen.add(codec.parameters["codec"])
        if codec.parameters["codec"] != "none":
            assert codec.parameters["bitrate_kbps"] in codec.bitrates_kbps[codec.parameters["codec"]]
    assert seen == {"mp3", "opus", "aac", "none"}


def test_none_is_identity_and_bad_settings_raise():
    codec = fixed(Codec(), codec="none", bitrate_kbps=None)
    x = fake_cry(0, 0.3)
    assert np.array_equal(codec.apply(x, SR), x)
    with pytest.raises(ValueError, match="unknown codec"):
        Codec(codecs=("mp3", "flac"))
    with pytest.raises(ValueError, match="bitrates"):
        Codec(bitrates_kbps={"mp3": (1000,)})
    with pytest.raises(ValueError, match="Codec.*probability"):
        Codec(probability=2.0)


def _band_energy_db(y, low_hz, high_hz):
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    return 10 * np.log10(spectrum[(freqs >= low_hz) & (freqs < high_hz)].sum() + 1e-20)


@pytest.mark.parametrize("codec, kbps", [("gsm", 13), ("g711", 64)])
def test_phone_band_paths_remove_everything_above_4_khz_but_keep_the_voice_band(codec, kbps):
    x = (tone(1000.0, 1.0, amplitude=0.3) + tone(6000.0, 1.0, amplitude=0.3)).astype(np.float32)
    y = sane(encode_decode(x, codec, kbps), len(x))
    assert _band_energy_db(y, 5500, 6500) < _band_energy_db(x, 5500, 6500) - 30  # the 6 kHz tone is gone
    assert _band_energy_db(y, 900, 1100) > _band_energy_db(x, 900, 1100) - 3  # the 1 kHz tone is kept
    assert y.tobytes() == encode_decode(x, codec, kbps).tobytes()


def test_g711_quantises_on_a_log_scale():
    x = tone(1000.0, 0.5, amplitude=0.5)
    quiet = tone(1000.0, 0.5, amplitude=0.005)
    error = lambda s: 20 * np.log10(np.std(encode_decode(s, "g711", 64)[800:-800] - s[800:-800]) / np.std(s))  # noqa: E731
    assert error(x) < -30 and error(quiet) < -20  # about the same relative error 40 dB apart (linear 8 bits: ~-5 dB)


def test_double_encoding_is_drawn_and_applied_in_order():
    codec = Codec(codecs=("mp3", "opus"), probability=1.0, double_probability=0.5)
    rng, doubled = np.random.default_rng(3), []
    for _ in range(100):
        codec.randomize_parameters(rng)
        doubled.append("second_codec" in codec.parameters)
    assert 0.35 < np.mean(doubled) < 0.65
    x = fake_cry(0, 0.5)
    twice = fixed(codec, codec="mp3", bitrate_kbps=32, second_codec="opus", second_bitrate_kbps=16)
    expected = encode_decode(encode_decode(x, "mp3", 32), "opus", 16)
    assert twice.apply(x, SR).tobytes() == expected.tobytes()
    assert not np.array_equal(expected, encode_decode(x, "mp3", 32))
    with pytest.raises(ValueError, match="double_probability"):
        Codec(double_probability=1.5)

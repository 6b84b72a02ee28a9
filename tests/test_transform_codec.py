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

"""The shared audio I/O: every format and rate decodes to mono float32 at SAMPLE_RATE."""

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE, AudioDecodeError, decode_audio, int_to_float, to_mono
from frontend.levels import rms_dbfs
from tests.synthetic import audio_bytes, tone, write_audio


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "mp3"])
@pytest.mark.parametrize("sr", [11025, 22050, 44100])
def test_decode_formats_and_rates(tmp_path, fmt, sr):
    path = write_audio(tmp_path / f"x.{fmt}", tone(440, 1.0, sr), sr, channels=2)
    out = decode_audio(path)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(len(out) - SAMPLE_RATE) < 0.1 * SAMPLE_RATE  # mp3 adds encoder delay/padding
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(out) - 440) < 5


def test_decode_errors_name_the_item():
    with pytest.raises(AudioDecodeError, match="cry.ogg.*empty"):
        decode_audio(b"", name="cry.ogg")
    with pytest.raises(AudioDecodeError, match="notes.txt.*could not decode"):
        decode_audio(b"this is not audio at all" * 50, name="notes.txt")


def test_decode_bytes_matches_file(tmp_path):
    data = audio_bytes(tone(300, 0.5), fmt="wav")
    (tmp_path / "a.wav").write_bytes(data)
    np.testing.assert_allclose(decode_audio(data), decode_audio(tmp_path / "a.wav"), atol=1e-6)


def test_helpers():
    assert rms_dbfs(np.zeros(10)) == float("-inf")
    assert abs(rms_dbfs(tone(100, 1.0, amplitude=1.0)) + 3.01) < 0.05
    assert to_mono(np.ones((2, 100))).shape == (100,)
    assert to_mono(np.ones((100, 2))).shape == (100,)
    assert int_to_float(np.array([16384], dtype=np.int16))[0] == pytest.approx(0.5)

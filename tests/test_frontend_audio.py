"""The shared audio I/O: every format and rate decodes to mono float32 at SAMPLE_RATE."""

import subprocess

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


def _stereo(sr=22050):
    left, right = tone(440, 0.5, sr, amplitude=0.5), tone(660, 0.5, sr, amplitude=0.2)
    return np.stack([left, right], axis=1)


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg"])
def test_channels_are_averaged_by_either_decoder(tmp_path, fmt):
    """One downmix for every format: the mean of the channels (FFmpeg's own matrix would give 0.707 (L + R))."""
    import soundfile as sf

    stereo = _stereo()
    sf.write(tmp_path / f"s.{fmt}", stereo, 22050)
    expected = decode_audio(_write_mono(tmp_path / f"m.{fmt}", stereo.mean(axis=1)))
    out = decode_audio(tmp_path / f"s.{fmt}")
    assert rms_dbfs(out) == pytest.approx(rms_dbfs(expected), abs=0.1)
    np.testing.assert_allclose(out, expected, atol=2e-2 if fmt == "ogg" else 1e-4)


def _write_mono(path, samples):
    import soundfile as sf

    sf.write(path, samples, 22050)
    return path


def test_wav_and_flac_are_read_without_ffmpeg(tmp_path, monkeypatch):
    """The fast path: browsers upload WAV, and FFmpeg's set-up costs ~12 ms a file; libsndfile's samples are the same."""
    import torchcodec.decoders

    wav = write_audio(tmp_path / "x.wav", tone(440, 1.0, 44100), 44100, channels=2)
    flac = write_audio(tmp_path / "y.flac", tone(440, 1.0, 44100), 44100, channels=1)
    ffmpeg = {p: decode_audio(p) for p in (wav, flac)}

    def refuse(*args, **kwargs):
        raise RuntimeError("FFmpeg must not be asked for a WAV or FLAC")

    monkeypatch.setattr(torchcodec.decoders, "AudioDecoder", refuse)
    for path, expected in ffmpeg.items():
        np.testing.assert_array_equal(decode_audio(path), expected)
    # the choice comes from the file's first bytes, never its name
    renamed = tmp_path / "really_a_wav.mp3"
    renamed.write_bytes(wav.read_bytes())
    np.testing.assert_array_equal(decode_audio(renamed), ffmpeg[wav])


def test_the_fast_path_is_bounded_and_falls_back(tmp_path):
    """max_seconds bounds libsndfile too; a WAV libsndfile refuses still goes to FFmpeg."""
    long = write_audio(tmp_path / "long.wav", tone(300, 5.0, 16000), 16000, channels=1)
    assert len(decode_audio(long, max_seconds=1.0)) == SAMPLE_RATE
    # G.726 in a WAV: libsndfile calls its fmt chunk malformed, FFmpeg decodes it
    g726 = tmp_path / "g726.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", "-ar", "8000",
                    "-c:a", "adpcm_g726", "-f", "wav", str(g726)], check=True)
    out = decode_audio(g726)
    assert abs(len(out) - SAMPLE_RATE) < 0.02 * SAMPLE_RATE and rms_dbfs(out) > -30
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + b"\0" * 400)
    with pytest.raises(AudioDecodeError, match="broken.wav.*could not decode"):
        decode_audio(broken)

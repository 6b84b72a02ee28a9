"""The "no cry-like sound" heuristics on synthetic noise, tones, calls and (when espeak-ng is installed) speech."""

import shutil
import subprocess

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE, decode_audio
from frontend.levels import normalise_loudness
from recognizer.detect import CRY, NOISE, SPEECH, check_sound
from tests.synthetic import fake_cry


def _colored_noise(rng, seconds: float, alpha: float) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    return normalise_loudness(np.fft.irfft(spectrum / f ** (alpha / 2), n).astype(np.float32))


@pytest.mark.parametrize("alpha", [0.0, 1.0, 2.0], ids=["white", "pink", "brown"])
def test_stationary_noise_is_noise(rng, alpha):
    assert check_sound(_colored_noise(rng, 3.0, alpha)).kind == NOISE


def test_mains_hum_is_noise(rng):
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 8)) + 0.05 * rng.standard_normal(len(t))
    assert check_sound(normalise_loudness(hum.astype(np.float32))).kind == NOISE


@pytest.mark.parametrize("class_index", [3, 5, 6, 9, 11])
def test_cry_like_calls_are_cries(class_index):
    assert check_sound(normalise_loudness(fake_cry(class_index, 1.5))).kind == CRY


def test_a_call_in_loud_noise_is_still_a_cry(rng):
    noise = _colored_noise(rng, 3.0, 1.0)
    call = np.zeros_like(noise)
    call[SAMPLE_RATE : 2 * SAMPLE_RATE] = fake_cry(6, 1.0)
    mix = noise * 0.1 + call * (np.sqrt(np.mean(noise**2)) * 0.1 / np.sqrt(np.mean(call**2)))  # 0 dB SNR
    assert check_sound(normalise_loudness(mix)).kind == CRY


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
@pytest.mark.parametrize("voice", ["en-us", "fr-fr+f2", "de+m3"])
def test_speech_is_speech(tmp_path, voice):
    path = tmp_path / "speech.wav"
    text = "Hold the phone a little closer to the television and try once more."
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(path), text], check=True, capture_output=True)
    speech = decode_audio(path)[: 4 * SAMPLE_RATE]
    assert check_sound(normalise_loudness(speech)).kind == SPEECH

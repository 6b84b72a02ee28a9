"""Babble: several espeak-ng voices talking at once, in several languages (formant synthesis, not recordings).

espeak-ng's WAV output (22.05 kHz) is resampled to 16 kHz. Talkers are cached per (voice, sentence,
speed, pitch), so a few hundred captures synthesise only a few dozen utterances.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess

import numpy as np

from .parts import SAMPLE_RATE

VOICES = ("en-us", "en-gb", "fr-fr", "de", "es", "it", "pt-br", "nl")
SENTENCES = (
    "Did you see where I left the keys this morning",
    "We could take the train if the weather gets worse",
    "Turn it up a little, I can barely hear the game",
    "The shop on the corner closes early on Sundays",
    "Honestly I think the second one was better",
    "Wait, which level are you on right now",
    "She said the meeting moved to Thursday afternoon",
    "Pass me the remote, the sound is way too loud",
)
SPEEDS = (150, 180)
"""words per minute"""
PITCHES = (30, 65)
"""espeak-ng pitch (0-99)"""


class BabbleUnavailable(RuntimeError):
    """espeak-ng is not installed."""


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@functools.lru_cache(maxsize=512)
def utterance(voice: str, sentence: int, speed: int, pitch: int) -> np.ndarray:
    """One sentence spoken by one espeak-ng voice, 16 kHz float32 (cached)."""
    import soundfile as sf
    from scipy import signal

    if not espeak_available():
        raise BabbleUnavailable("babble needs the espeak-ng command (apt-get install espeak-ng)")
    command = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", SENTENCES[sentence]]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0 or not done.stdout:
        raise BabbleUnavailable(f"espeak-ng voice {voice!r} failed: {done.stderr.decode(errors='replace').strip()}")
    audio, rate = sf.read(io.BytesIO(done.stdout), dtype="float32")
    return signal.resample_poly(audio, SAMPLE_RATE, rate).astype(np.float32)


def talker(rng: np.random.Generator, n: int) -> np.ndarray:
    """One voice saying random sentences with short pauses, ``n`` samples long."""
    voice = str(rng.choice(VOICES))
    speed, pitch = int(rng.choice(SPEEDS)), int(rng.choice(PITCHES))
    out = np.zeros(n, dtype=np.float32)
    pos = -int(rng.integers(0, SAMPLE_RATE))  # start mid-sentence
    while pos < n:
        said = utterance(voice, int(rng.integers(len(SENTENCES))), speed, pitch)
        start, end = max(pos, 0), min(pos + len(said), n)
        if end > start:
            out[start:end] += said[start - pos : end - pos]
        pos += len(said) + int(rng.uniform(0.1, 0.6) * SAMPLE_RATE)
    return out


def babble(rng: np.random.Generator, n: int, talkers=(3, 6)) -> np.ndarray:
    """``n`` samples of several talkers at different levels, unit RMS."""
    count = int(rng.integers(talkers[0], talkers[1] + 1))
    out = sum(talker(rng, n) * float(rng.uniform(0.4, 1.0)) for _ in range(count))
    return (out / (np.sqrt(np.mean(out**2)) or 1.0)).astype(np.float32)

"""Backgrounds that need no download: chiptune-like music, coloured noise, babble-like sound.

Each generator is a pure function of its ``numpy.random.Generator``: the same seed gives the same
recording in any process, so a background bank can regenerate a recording instead of shipping it.
All return mono float32 at ``sample_rate`` with a peak of about 0.5.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from frontend.audio import SAMPLE_RATE

from .dsp import butterworth_sos

PROCEDURAL_KINDS = ("chiptune", "noise", "babble")

_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 10])
_PENTATONIC = np.array([0, 2, 4, 7, 9])


def generate(kind: str, rng: np.random.Generator, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """One recording of ``kind`` (one of :data:`PROCEDURAL_KINDS`)."""
    makers = {"chiptune": chiptune, "noise": coloured_noise, "babble": babble}
    if kind not in makers:
        raise ValueError(f"unknown procedural background kind {kind!r}; expected one of {PROCEDURAL_KINDS}")
    out = makers[kind](rng, seconds, sample_rate)
    peak = float(np.max(np.abs(out))) or 1.0
    return (0.5 * out / peak).astype(np.float32)


def _notes_to_signal(freqs: np.ndarray, note_samples: int, n: int, wave: str, duty: float, sample_rate: int) -> np.ndarray:
    """A monophonic line: one frequency per note (0 = rest), each note with a short attack/decay envelope."""
    f = np.repeat(freqs, note_samples)[:n]
    f = np.pad(f, (0, n - len(f)))
    phase = np.cumsum(f / sample_rate)
    frac = phase - np.floor(phase)
    if wave == "pulse":
        tone = np.where(frac < duty, 1.0, -1.0)
    elif wave == "triangle":
        tone = 4 * np.abs(frac - 0.5) - 1
    else:
        tone = 2 * frac - 1
    pos = (np.arange(n) % note_samples) / note_samples
    envelope = np.minimum(1.0, pos * 40) * np.exp(-3.0 * pos)
    return tone * envelope * (f > 0)


def chiptune(rng: np.random.Generator, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Game-console-like music: pulse-wave melody, triangle bass, arpeggio and noise drums on a tempo grid."""
    n = int(seconds * sample_rate)
    bpm = rng.uniform(90, 180)
    step = int(sample_rate * 60 / bpm / 4)  # sixteenth notes
    steps = n // step + 1
    scale = [_MAJOR, _MINOR, _PENTATONIC][int(rng.integers(3))]
    root = 48 + int(rng.integers(12))  # MIDI note of the key

    def midi_to_hz(m: np.ndarray) -> np.ndarray:
        return 440.0 * 2 ** ((m - 69) / 12)

    # Melody: a random walk on the scale, held for 1-4 sixteenths, with rests.
    degrees = np.cumsum(rng.integers(-2, 3, size=steps)) % (2 * len(scale))
    melody = root + 12 + scale[degrees % len(scale)] + 12 * (degrees // len(scale))
    hold = rng.choice([1, 2, 2, 4], size=steps)
    for i in range(1, steps):
        if (i % hold[i]) != 0:
            melody[i] = melody[i - 1]
    melody_hz = np.where(rng.random(steps) < 0.15, 0.0, midi_to_hz(melody.astype(float)))
    # Bass: chord roots changing every bar, eighth-note pulse.
    bar_roots = root - 12 + scale[rng.integers(len(scale), size=steps // 16 + 1)]
    bass_hz = midi_to_hz(np.repeat(bar_roots, 16)[:steps].astype(float))
    bass_hz[1::2] *= rng.choice([1.0, 2.0])
    # Arpeggio: root/third/fifth cycling fast on a quieter channel.
    arp = np.repeat(bar_roots, 16)[:steps] + 12 + np.tile([0, 4, 7, 12], steps // 4 + 1)[:steps]
    arp_hz = midi_to_hz(arp.astype(float))

    duty = float(rng.choice([0.125, 0.25, 0.5]))
    out = 0.5 * _notes_to_signal(melody_hz, step, n, "pulse", duty, sample_rate)
    out += 0.45 * _notes_to_signal(bass_hz, step, n, "triangle", 0.5, sample_rate)
    out += 0.15 * _notes_to_signal(arp_hz, max(1, step // 2), n, "pulse", 0.25, sample_rate)
    # Noise drums: kick on beats, hats on off-beats.
    drums = np.zeros(n)
    hit_len = min(step, int(0.08 * sample_rate))
    decay = np.exp(-np.linspace(0, 8, hit_len))
    for s in range(steps):
        start = s * step
        if start + hit_len > n:
            break
        if s % 4 == 0:
            drums[start : start + hit_len] += 0.6 * decay * rng.standard_normal(hit_len).cumsum() / 20
        elif s % 2 == 0 and rng.random() < 0.8:
            drums[start : start + hit_len] += 0.25 * decay * rng.standard_normal(hit_len)
    out += drums
    # The consoles' output stage: a gentle low-pass.
    return sps.sosfilt(butterworth_sos("lowpass", 6000.0, 2, sample_rate), out)


def coloured_noise(rng: np.random.Generator, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """White, pink, brown or blue noise (spectral slope −3 dB/oct steps), sometimes with mains hum, slowly varying."""
    n = int(seconds * sample_rate)
    exponent = float(rng.choice([0.0, 1.0, 2.0, -1.0]))  # power ∝ f^-exponent
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    freqs[0] = freqs[1]
    out = np.fft.irfft(spectrum / freqs ** (exponent / 2), n)
    out /= np.std(out) or 1.0
    if rng.random() < 0.3:  # a fan, a fridge, a ground loop: 50/60 Hz and harmonics
        mains = float(rng.choice([50.0, 60.0]))
        t = np.arange(n) / sample_rate
        hum = sum(np.sin(2 * np.pi * k * mains * t + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3, 5))
        out += rng.uniform(0.3, 1.5) * hum
    slow = 1 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * np.arange(n) / sample_rate + rng.uniform(0, 6.3))
    return out * slow


# Rough (F1, F2, F3) formants of a few vowels, Hz.
_VOWELS = np.array(
    [[730, 1090, 2440], [270, 2290, 3010], [530, 1840, 2480], [300, 870, 2240], [660, 1720, 2410], [570, 840, 2410]],
    dtype=float,
)


def _talker(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """One babble voice: syllables of a glottal pulse train through vowel formants, with pauses."""
    out = np.zeros(n)
    f0 = rng.uniform(90, 240)
    pos = int(rng.integers(0, sample_rate // 2))
    while pos < n:
        if rng.random() < 0.15:  # a pause between phrases
            pos += int(rng.uniform(0.2, 0.8) * sample_rate)
            continue
        length = int(rng.uniform(0.12, 0.3) * sample_rate)
        length = min(length, n - pos)
        if length < 32:
            break
        t = np.arange(length) / sample_rate
        pitch = f0 * (1 + 0.08 * rng.standard_normal()) * (1 + rng.uniform(-0.15, 0.1) * t / t[-1])
        phase = np.cumsum(pitch / sample_rate)
        source = (phase - np.floor(phase)) ** 3 - 0.25  # a crude glottal pulse, rich in harmonics
        source += 0.05 * rng.standard_normal(length)
        formants = _VOWELS[int(rng.integers(len(_VOWELS)))] * rng.uniform(0.9, 1.15)
        voiced = np.zeros(length)
        for k, fc in enumerate(formants):
            bw = 80 + 40 * k
            band = (round(max(50.0, fc - bw), -1), round(min(sample_rate / 2 - 100, fc + bw), -1))
            sos = butterworth_sos("bandpass", band, 1, sample_rate)
            voiced += sps.sosfilt(sos, source) / (k + 1)
        envelope = np.sin(np.pi * np.arange(length) / length) ** 0.7
        voiced /= np.sqrt(np.mean(voiced**2)) or 1.0
        out[pos : pos + length] += voiced * envelope * rng.uniform(0.5, 1.0)
        if rng.random() < 0.3:  # a fricative after the vowel, much weaker than the vowel
            flen = min(int(0.06 * sample_rate), n - pos - length)
            if flen > 32:
                hiss = sps.sosfilt(butterworth_sos("highpass", 3000.0, 2, sample_rate), rng.standard_normal(flen))
                out[pos + length : pos + length + flen] += 0.08 * hiss * np.hanning(flen)
                length += flen
        pos += length + int(rng.uniform(0.0, 0.08) * sample_rate)
    return out / (np.std(out) or 1.0)


def babble(rng: np.random.Generator, seconds: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Several simultaneous babble voices at different levels: a room of people talking, a TV in the next room."""
    n = int(seconds * sample_rate)
    talkers = int(rng.integers(3, 9))
    out = sum(rng.uniform(0.3, 1.0) * _talker(rng, n, sample_rate) for _ in range(talkers))
    return out + 0.02 * rng.standard_normal(n)

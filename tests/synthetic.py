"""Synthetic audio for tests: tones and cry-like calls that differ per class, written in any format."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from frontend.audio import SAMPLE_RATE


def tone(freq_hz: float, seconds: float = 1.0, sample_rate: int = SAMPLE_RATE, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def fake_cry(class_index: int, seconds: float = 1.0, sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """A cry-like call: a harmonic sweep whose pitch, direction and rhythm depend on ``class_index``.

    Classes are trivially separable by a spectrogram model; ``seed`` adds a little noise.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    f0 = 220.0 * 2 ** ((class_index % 12) / 4.0)
    direction = 1.0 if class_index % 2 == 0 else -1.0
    f = f0 * (1.0 + 0.3 * direction * t / seconds)
    phase = 2 * np.pi * np.cumsum(f) / sample_rate
    signal = sum(np.sin(k * phase) / k for k in (1, 2, 3))
    rate = 3 + class_index % 5
    envelope = 0.5 * (1 + np.sin(2 * np.pi * rate * t)) * np.hanning(n)
    out = 0.4 * envelope * signal / 1.8 + 0.002 * rng.standard_normal(n)
    return out.astype(np.float32)


def audio_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, fmt: str = "ogg", channels: int = 1) -> bytes:
    """Encode with libsndfile (wav, flac, ogg) or FFmpeg via torchcodec (mp3, and anything else)."""
    samples = np.asarray(samples, dtype=np.float32)
    data = np.stack([samples] * channels, axis=1) if channels > 1 else samples
    if fmt in ("wav", "flac", "ogg"):
        import soundfile as sf

        buf = io.BytesIO()
        sf.write(buf, data, sample_rate, format=fmt.upper(), subtype={"ogg": "VORBIS"}.get(fmt))
        return buf.getvalue()
    import torch
    from torchcodec.encoders import AudioEncoder

    tensor = torch.as_tensor(data.T if channels > 1 else data[None, :])
    return AudioEncoder(tensor, sample_rate=sample_rate).to_tensor(format=fmt).numpy().tobytes()


def write_audio(path: str | Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, channels: int = 1) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(audio_bytes(samples, sample_rate, path.suffix.lstrip("."), channels))
    return path

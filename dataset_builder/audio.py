"""Audio constants and I/O shared by every stage (builder, trainer, app).

Every constant is declared once, here, with its unit. Everything downstream works on
mono float32 NumPy arrays at :data:`SAMPLE_RATE`.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
"""Hz. What the Audio Spectrogram Transformer's feature extractor expects; every clip is stored at it."""

MIN_CRY_SECONDS = 0.1
"""s. A downloaded cry shorter than this is rejected as corrupt."""

MAX_CRY_SECONDS = 10.0
"""s. A downloaded cry longer than this is rejected as implausible (real cries last 0.2-3.4 s)."""

SILENCE_DBFS = -60.0
"""dBFS. A clip whose RMS is below this is treated as silent."""

MAX_RECORDING_SECONDS = 30.0
"""s. The longest recording the app accepts."""

CLIP_SECONDS = 4.0
"""s. Length of a stored variant: the cry placed inside a short recording with sound before and after."""

AUDIO_EXTENSIONS = (".ogg", ".mp3", ".wav", ".flac")


class AudioDecodeError(ValueError):
    """Raised when bytes or a file cannot be decoded as audio."""


def decode_audio(source: str | os.PathLike | bytes, sample_rate: int = SAMPLE_RATE, name: str | None = None) -> np.ndarray:
    """Decode any format FFmpeg reads to mono float32 at ``sample_rate``.

    ``source`` is a path or the file's bytes; ``name`` is used in error messages.
    """
    label = name or (str(source) if not isinstance(source, bytes) else "<bytes>")
    if isinstance(source, bytes) and not source:
        raise AudioDecodeError(f"{label}: the file is empty (0 bytes); expected an audio file (ogg, mp3, wav, flac)")
    try:
        from torchcodec.decoders import AudioDecoder

        src = source if isinstance(source, bytes) else str(Path(source))
        decoder = AudioDecoder(src, sample_rate=sample_rate, num_channels=1)
        samples = decoder.get_all_samples().data.numpy()
    except Exception as err:  # torchcodec raises RuntimeError/ValueError with FFmpeg's text
        try:
            samples = _decode_with_soundfile(source, sample_rate)
        except Exception:
            raise AudioDecodeError(
                f"{label}: could not decode as audio ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                "expected a file FFmpeg can read (ogg, mp3, wav, flac, webm, m4a)"
            ) from err
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2:
        samples = samples.mean(axis=0)
    if samples.size == 0:
        raise AudioDecodeError(f"{label}: decoded to 0 samples; expected a non-empty recording")
    return np.ascontiguousarray(samples)


def _decode_with_soundfile(source: str | os.PathLike | bytes, sample_rate: int) -> np.ndarray:
    import soundfile as sf

    data, sr = sf.read(io.BytesIO(source) if isinstance(source, bytes) else source, dtype="float32", always_2d=True)
    return resample(data.mean(axis=1), sr, sample_rate)


def resample(samples: np.ndarray, orig_sr: int, target_sr: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limited resampling (torchaudio's sinc interpolation)."""
    if orig_sr == target_sr:
        return np.asarray(samples, dtype=np.float32)
    import torch
    import torchaudio.functional as F

    out = F.resample(torch.as_tensor(np.asarray(samples, dtype=np.float32)), orig_sr, target_sr)
    return out.numpy()


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average channels; accepts (n,), (n, channels) or (channels, n) with channels <= 8."""
    samples = np.asarray(samples)
    if samples.ndim == 1:
        return samples.astype(np.float32)
    if samples.ndim != 2:
        raise ValueError(f"expected a 1-D or 2-D audio array, got shape {samples.shape}")
    axis = 0 if samples.shape[0] <= 8 and samples.shape[0] < samples.shape[1] else 1
    return samples.mean(axis=axis).astype(np.float32)


def int_to_float(samples: np.ndarray) -> np.ndarray:
    """Integer PCM (as Gradio returns it) to float32 in [-1, 1]."""
    samples = np.asarray(samples)
    if np.issubdtype(samples.dtype, np.integer):
        return (samples.astype(np.float32) / float(np.iinfo(samples.dtype).max + 1)).astype(np.float32)
    return samples.astype(np.float32)


def rms_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level in dB relative to full scale (-inf for digital silence)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.size == 0:
        return float("-inf")
    rms = float(np.sqrt(np.mean(samples**2)))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def encode_wav(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM WAV bytes: lossless enough for storage and byte-reproducible."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()

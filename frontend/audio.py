"""Audio constants and I/O: decode any file to mono float32 at :data:`SAMPLE_RATE`, with one resampler.

Every constant is declared once, here, with its unit. Everything downstream works on mono float32 NumPy
arrays at :data:`SAMPLE_RATE`.
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
"""dBFS. A clip (or frame) whose RMS is below this is treated as silent."""

MAX_RECORDING_SECONDS = 30.0
"""s. The longest recording the app accepts."""

CLIP_SECONDS = 4.0
"""s. Length of a stored variant: the cry placed inside a short recording with sound before and after."""

AUDIO_EXTENSIONS = (".ogg", ".mp3", ".wav", ".flac")
"""File name endings read as audio by the folder sources."""


class AudioDecodeError(ValueError):
    """Raised when bytes or a file cannot be decoded as audio."""


def decode_audio(
    source: str | os.PathLike | bytes,
    sample_rate: int = SAMPLE_RATE,
    name: str | None = None,
    max_seconds: float | None = None,
) -> np.ndarray:
    """Decode any format FFmpeg reads to mono float32 at ``sample_rate``.

    ``source`` is a path or the file's bytes; ``name`` is used in error messages (never the server's path
    unless no name is given). With ``max_seconds``, decoding stops there, so memory and time are bounded by
    the limit and not by what the file claims, for every container (streamed WebM and piped FLAC carry no
    duration; ``benchmarks/bench_hostile.py`` measures a 9.6 h WebM bomb). NaN/Inf samples become 0.
    Channels are averaged (:func:`to_mono`) whichever decoder reads the file: WAV, FLAC and AIFF go to
    libsndfile first (what browsers upload; about 1 ms against FFmpeg's 12 ms of set-up per file, the same
    samples), everything else to FFmpeg (torchcodec); each falls back to the other. Both decode at the file's
    own rate; :func:`resample` does the rest.
    """
    label = name or (Path(source).name if not isinstance(source, bytes) else "<bytes>")
    if isinstance(source, bytes) and not source:
        raise AudioDecodeError(f"{label}: the file is empty (0 bytes); expected an audio file (ogg, mp3, wav, flac)")
    decoders = (_decode_with_soundfile, _decode_with_torchcodec)
    if not _is_pcm_container(source):
        decoders = decoders[::-1]
    try:
        samples, file_rate = _first_that_decodes(decoders, source, max_seconds)
    except Exception as err:  # torchcodec raises RuntimeError/ValueError with FFmpeg's text
        reason = _first_line(err, source)
        raise AudioDecodeError(
            f"{label}: could not decode as audio ({type(err).__name__}{': ' + reason if reason else ''}); "
            "expected a file FFmpeg can read (ogg, mp3, wav, flac, webm, m4a)"
        ) from err
    if samples.size == 0:
        raise AudioDecodeError(f"{label}: decoded to 0 samples; expected a non-empty recording")
    # a float file may hold NaN/Inf samples: zero them before the resampler smears them over their neighbours
    samples = np.nan_to_num(samples, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return np.ascontiguousarray(resample(samples, file_rate, sample_rate))


def _decode_with_torchcodec(source, max_seconds: float | None) -> tuple[np.ndarray, int]:
    from torchcodec.decoders import AudioDecoder

    decoder = AudioDecoder(source if isinstance(source, bytes) else str(Path(source)))
    rate = int(decoder.metadata.sample_rate)
    if max_seconds is None:
        data = decoder.get_all_samples().data
    else:
        data = decoder.get_samples_played_in_range(0.0, float(max_seconds)).data
    return data.numpy().mean(axis=0, dtype=np.float32), rate  # (channels, samples): the average, as to_mono


def _decode_with_soundfile(source, max_seconds: float | None) -> tuple[np.ndarray, int]:
    import soundfile as sf

    with sf.SoundFile(io.BytesIO(source) if isinstance(source, bytes) else source) as f:
        frames = -1 if max_seconds is None else int(max_seconds * f.samplerate)
        data = f.read(frames, dtype="float32", always_2d=True)
        return data.mean(axis=1, dtype=np.float32), int(f.samplerate)


PCM_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"FORM")
"""File signatures (WAV, big-endian WAV, RF64, FLAC, AIFF) that libsndfile decodes without FFmpeg."""


def _is_pcm_container(source) -> bool:
    """True when the first bytes say WAV, FLAC or AIFF (never trusts the file name)."""
    if isinstance(source, bytes):
        head = source[:4]
    else:
        try:
            with open(source, "rb") as f:
                head = f.read(4)
        except OSError:
            return False
    return head in PCM_MAGIC


def _first_that_decodes(decoders, source, max_seconds: float | None) -> tuple[np.ndarray, int]:
    """The first decoder's result; when every one fails, FFmpeg's error (its text is the clearest)."""
    errors = {}
    for decode in decoders:
        try:
            return decode(source, max_seconds)
        except Exception as err:
            errors[decode] = err
    raise errors.get(_decode_with_torchcodec) or next(iter(errors.values()))


def _first_line(err: Exception, source) -> str:
    """FFmpeg's reason without the server's path (a client must never see where its upload lies)."""
    text = str(err).splitlines()[0] if str(err) else ""
    if not isinstance(source, bytes):
        text = text.replace(str(Path(source)), Path(source).name).replace(str(source), Path(source).name)
    return text


def resample(samples: np.ndarray, orig_sr: float, target_sr: float = SAMPLE_RATE) -> np.ndarray:
    """The project's one resampler: band-limited (soxr, high quality), any rate ratio, float32 out."""
    samples = np.asarray(samples, dtype=np.float32)
    if orig_sr == target_sr or samples.size == 0:
        return samples
    import soxr

    return soxr.resample(samples, float(orig_sr), float(target_sr), quality="HQ").astype(np.float32)


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


def encode_wav(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM WAV bytes: lossless enough for storage and byte-reproducible."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0), sample_rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()

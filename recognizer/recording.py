"""Read a user's recording safely: size and length limits checked before the expensive work.

Every message names the file by its own name, never by the server's path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from frontend.audio import MAX_RECORDING_SECONDS, SAMPLE_RATE, AudioDecodeError, decode_audio
from frontend.fbank import MIN_SAMPLES

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
"""bytes. Largest file accepted (30 s of 48 kHz stereo 16-bit WAV is 5.8 MB)."""

LENGTH_TOLERANCE_SECONDS = 0.5
"""s. Browser recorders overshoot a 30 s stop by a few frames."""


class RecordingError(ValueError):
    """The recording cannot be used; the message says what to do."""


def read_recording(path: str | os.PathLike, max_bytes: int = MAX_UPLOAD_BYTES) -> np.ndarray:
    """Mono float32 at SAMPLE_RATE from any file FFmpeg reads; RecordingError when empty, too big, too long or too short.

    Decoding stops just past the length limit (:func:`frontend.audio.decode_audio`'s ``max_seconds``), so a
    file that claims nothing about its length (streamed WebM, piped FLAC) costs no more than a 31 s one.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise RecordingError(f"{name}: no such file; expected an audio recording")
    size = path.stat().st_size
    if size == 0:
        raise RecordingError(f"{name}: the file is empty; record again or upload an audio file")
    if size > max_bytes:
        raise RecordingError(
            f"{name}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit; "
            f"upload a shorter recording (up to {MAX_RECORDING_SECONDS:.0f} s)"
        )
    header_seconds = probe_duration(path)
    if header_seconds is not None and header_seconds > MAX_RECORDING_SECONDS + LENGTH_TOLERANCE_SECONDS:
        raise _too_long(name, header_seconds)
    try:
        # decode a little past the limit and no further: memory is bounded by the limit, not by the file
        samples = decode_audio(path, name=name, max_seconds=MAX_RECORDING_SECONDS + LENGTH_TOLERANCE_SECONDS + 0.5)
    except AudioDecodeError as err:
        raise RecordingError(str(err)) from err
    seconds = len(samples) / SAMPLE_RATE
    if seconds > MAX_RECORDING_SECONDS + LENGTH_TOLERANCE_SECONDS:
        raise _too_long(name, seconds)
    check_length(samples, name)
    return samples


def check_length(samples: np.ndarray, name: str = "the recording") -> None:
    """RecordingError when ``samples`` (16 kHz) is shorter than the model's shortest input (MIN_SAMPLES)."""
    if len(samples) < MIN_SAMPLES:
        raise RecordingError(
            f"{name}: {1000 * len(samples) / SAMPLE_RATE:.1f} ms is too short; the shortest recording the model "
            f"can hear is {1000 * MIN_SAMPLES / SAMPLE_RATE:.0f} ms (record a second or more around the cry)"
        )


def probe_duration(path: str | os.PathLike) -> float | None:
    """Duration in seconds from the container header, without decoding; None when unknown or unreadable."""
    try:  # libsndfile reads WAV/FLAC/Ogg headers in microseconds (browser recordings are WAV)
        import soundfile as sf

        info = sf.info(str(path))
        if info.frames > 0 and info.samplerate > 0 and info.frames < 2**40:
            return info.frames / info.samplerate
    except Exception:
        pass
    try:
        from torchcodec.decoders import AudioDecoder

        metadata = AudioDecoder(str(path)).metadata
        seconds = metadata.duration_seconds_from_header
        return float(seconds) if seconds is not None else None
    except Exception:
        return None  # decode_audio reports unreadable files with FFmpeg's reason


def _too_long(name: str, seconds: float) -> RecordingError:
    return RecordingError(
        f"{name}: {seconds:.1f} s is longer than {MAX_RECORDING_SECONDS:.0f} s; "
        "record or trim just the cry (a few seconds is enough)"
    )

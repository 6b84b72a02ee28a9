"""Checks a downloaded cry before it is used: it decodes, is not silent, and lasts a plausible time."""

from __future__ import annotations

import numpy as np

from frontend.audio import (
    MAX_CRY_SECONDS,
    MIN_CRY_SECONDS,
    SAMPLE_RATE,
    SILENCE_DBFS,
    AudioDecodeError,
    decode_audio,
)
from frontend.levels import frame_samples, loudest_frame_dbfs

FRAME_SECONDS = 0.05
"""s. Loudness is judged on the loudest frame of this length, so a quiet tail does not make a cry 'silent'."""


class CryError(ValueError):
    """A cry file is unusable; the message says what was expected."""


def load_cry(data: bytes, name: str) -> np.ndarray:
    """Decode ``data`` to mono float32 at :data:`SAMPLE_RATE` and check it; raises :class:`CryError`."""
    try:
        samples = decode_audio(data, name=name)
    except AudioDecodeError as err:
        raise CryError(str(err)) from err
    seconds = samples.size / SAMPLE_RATE
    if not np.all(np.isfinite(samples)):
        raise CryError(f"{name}: decoded audio holds NaN or Inf values; expected a valid recording")
    if seconds < MIN_CRY_SECONDS or seconds > MAX_CRY_SECONDS:
        raise CryError(
            f"{name}: lasts {seconds:.2f} s; expected a cry of {MIN_CRY_SECONDS:g}-{MAX_CRY_SECONDS:g} s"
        )
    level = loudest_frame_dbfs(samples, frame_samples(FRAME_SECONDS))
    if level < SILENCE_DBFS:
        raise CryError(f"{name}: silent (loudest {FRAME_SECONDS * 1000:.0f} ms at {level:.1f} dBFS); expected a cry louder than {SILENCE_DBFS:g} dBFS")
    return samples

"""The model's features: Kaldi log-mel filterbanks as ``ASTFeatureExtractor`` computes them, and their geometry.

Frames and samples convert here and nowhere else: :func:`num_frames` and :func:`window_samples` are
inverses, so a window the recogniser cuts fills exactly the frames the model was trained on.
"""

from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE, to_mono

FBANK_WINDOW_SAMPLES = 400
"""samples. Length of one fbank frame (25 ms at 16 kHz; Kaldi's default, as ASTFeatureExtractor uses)."""

FBANK_HOP_SAMPLES = 160
"""samples. Step between fbank frames (10 ms at 16 kHz)."""

FRAMES_PER_SECOND = SAMPLE_RATE / FBANK_HOP_SAMPLES
"""frames/s. 100 fbank frames per second of audio."""

AUDIOSET_MEAN = -4.2677393
"""log-mel. AudioSet's fbank mean (ASTFeatureExtractor's default), used until a dataset's own is measured."""

AUDIOSET_STD = 4.5689974
"""log-mel. AudioSet's fbank standard deviation (ASTFeatureExtractor's default)."""


def num_frames(n_samples: int) -> int:
    """Fbank frames Kaldi produces for ``n_samples`` (``snip_edges=True``); 0 when under one frame."""
    return 0 if n_samples < FBANK_WINDOW_SAMPLES else 1 + (n_samples - FBANK_WINDOW_SAMPLES) // FBANK_HOP_SAMPLES


def window_samples(frames: int) -> int:
    """Samples that fill exactly ``frames`` fbank frames (the inverse of :func:`num_frames`)."""
    if frames < 1:
        raise ValueError(f"window_samples: expected at least 1 frame, got {frames}")
    return (int(frames) - 1) * FBANK_HOP_SAMPLES + FBANK_WINDOW_SAMPLES


def frames_to_seconds(frames: int) -> float:
    """Seconds of audio that ``frames`` fbank frames cover."""
    return window_samples(frames) / SAMPLE_RATE


MIN_SAMPLES = FBANK_WINDOW_SAMPLES
"""samples. The shortest audio that yields one fbank frame (25 ms)."""


def make_extractor(num_mel_bins: int, max_length: int = 1024, mean: float = AUDIOSET_MEAN, std: float = AUDIOSET_STD):
    """The ``ASTFeatureExtractor`` saved beside a model (defaults: AudioSet statistics)."""
    from transformers import ASTFeatureExtractor

    return ASTFeatureExtractor(
        num_mel_bins=int(num_mel_bins),
        max_length=int(max_length),
        mean=float(mean),
        std=float(std),
        sampling_rate=SAMPLE_RATE,
        do_normalize=True,
        return_attention_mask=False,
    )


def compute_fbank(waveform: np.ndarray, extractor) -> np.ndarray:
    """Unpadded log-mel fbank ``(frames, num_mel_bins)`` of a 16 kHz mono clip, as the extractor computes it."""
    waveform = np.ascontiguousarray(to_mono(waveform), dtype=np.float32)
    frames = num_frames(waveform.shape[0])
    if frames == 0:
        return np.zeros((0, extractor.num_mel_bins), dtype=np.float32)
    return np.asarray(extractor._extract_fbank_features(waveform, max_length=frames), dtype=np.float32)


def pad_and_normalize(fbanks: list[np.ndarray], max_length: int, mean: float, std: float) -> np.ndarray:
    """Batch ``(n, max_length, mels)``: zero-pad or cut raw fbanks, then AST's ``(x - mean) / (2 std)``."""
    n_mels = fbanks[0].shape[1]
    out = np.zeros((len(fbanks), max_length, n_mels), dtype=np.float32)
    for i, fb in enumerate(fbanks):
        n = min(len(fb), max_length)
        out[i, :n] = fb[:n]
    return (out - np.float32(mean)) / np.float32(2.0 * std)

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

BAND_NORMALISATIONS = ("none", "mean", "floor")
"""Per-band normalisation of a window's log-mel before the global one. "mean" subtracts each mel band's mean over
the window's frames (cepstral mean normalisation on the filterbank): a static filter (a loudspeaker's or a
microphone's response) adds a constant to a band's log energy, so it cancels. "floor" subtracts each band's noise
floor (its level in the NOISE_FLOOR_QUANTILE of the frames) from every frame, in power, lowering no frame by more
than FLOOR_MAX_ATTENUATION_DB (spectral subtraction on the filterbank): a steady background, and one a phone's AGC
pumps up around the cry, falls toward silence while the cry stays. Stored in the feature extractor's config as
``band_normalisation``; ``transformers.pipeline`` ignores the key, so only "none" models are
``pipeline()``-compatible."""

NOISE_FLOOR_QUANTILE = 0.1
"""share of a window's frames. "floor" takes a band's noise floor from its quietest tenth (the stretches around a cry)."""

FLOOR_MAX_ATTENUATION_DB = 12.0
"""dB. "floor" lowers no frame of a band by more than this (spectral subtraction's floor: no holes, no musical noise)."""


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


def make_extractor(
    num_mel_bins: int,
    max_length: int = 1024,
    mean: float = AUDIOSET_MEAN,
    std: float = AUDIOSET_STD,
    band_normalisation: str = "none",
    onset_below_peak_db: float | None = None,
):
    """The ``ASTFeatureExtractor`` saved beside a model (defaults: AudioSet statistics, no band normalisation).

    ``onset_below_peak_db`` is stored with it (``frontend.windows.find_windows``): the windows start at the onset.
    """
    from transformers import ASTFeatureExtractor

    extra = {} if check_band_normalisation(band_normalisation) == "none" else {"band_normalisation": band_normalisation}
    if onset_below_peak_db is not None:
        extra["onset_below_peak_db"] = float(onset_below_peak_db)
    return ASTFeatureExtractor(
        num_mel_bins=int(num_mel_bins),
        max_length=int(max_length),
        mean=float(mean),
        std=float(std),
        sampling_rate=SAMPLE_RATE,
        do_normalize=True,
        return_attention_mask=False,
        **extra,
    )


def check_band_normalisation(mode: str) -> str:
    """``mode`` when it is one of :data:`BAND_NORMALISATIONS`, else a ValueError naming them."""
    if mode not in BAND_NORMALISATIONS:
        raise ValueError(f"band normalisation {mode!r}: expected one of {', '.join(BAND_NORMALISATIONS)}")
    return mode


def band_normalisation(extractor) -> str:
    """The extractor's per-band normalisation (``band_normalisation`` in its config; "none" when absent)."""
    return check_band_normalisation(getattr(extractor, "band_normalisation", "none"))


def normalise_bands(fbank: np.ndarray, mode: str, level: float) -> np.ndarray:
    """``fbank`` ``(frames, mels)``, natural-log mel power, with each band's mean over the frames moved to ``level``
    ("mean"), its noise floor subtracted ("floor"), or as is."""
    if check_band_normalisation(mode) == "none" or len(fbank) == 0:
        return fbank
    if mode == "mean":
        return (fbank - fbank.mean(axis=0, keepdims=True) + np.float32(level)).astype(np.float32)
    log_power = fbank.astype(np.float64)
    noise = np.exp(np.quantile(log_power, NOISE_FLOOR_QUANTILE, axis=0, keepdims=True))
    power = np.exp(log_power)
    kept = np.maximum(power - noise, power * 10.0 ** (-FLOOR_MAX_ATTENUATION_DB / 10.0))
    return np.log(kept).astype(np.float32)


def compute_fbank(waveform: np.ndarray, extractor) -> np.ndarray:
    """Unpadded log-mel fbank ``(frames, num_mel_bins)`` of a 16 kHz mono clip, as the extractor computes it."""
    waveform = np.ascontiguousarray(to_mono(waveform), dtype=np.float32)
    frames = num_frames(waveform.shape[0])
    if frames == 0:
        return np.zeros((0, extractor.num_mel_bins), dtype=np.float32)
    return np.asarray(extractor._extract_fbank_features(waveform, max_length=frames), dtype=np.float32)


def pad_and_normalize(
    fbanks: list[np.ndarray], max_length: int, mean: float, std: float, bands: str = "none"
) -> np.ndarray:
    """Batch ``(n, max_length, mels)``: cut raw fbanks, normalise their bands (:func:`normalise_bands`, to the
    global ``mean``), zero-pad, then AST's ``(x - mean) / (2 std)``. With ``bands="none"``, what the extractor does."""
    n_mels = fbanks[0].shape[1]
    out = np.zeros((len(fbanks), max_length, n_mels), dtype=np.float32)
    for i, fb in enumerate(fbanks):
        n = min(len(fb), max_length)
        out[i, :n] = normalise_bands(fb[:n], bands, mean)
    return (out - np.float32(mean)) / np.float32(2.0 * std)


def model_inputs(windows: list[np.ndarray], extractor) -> np.ndarray:
    """The model's ``input_values`` for 16 kHz windows: the extractor's features plus its band normalisation.

    The recogniser and enrolment call this; the trainer's collator applies :func:`pad_and_normalize` to the same
    cached fbanks, so training and the app share every step.
    """
    fbanks = [compute_fbank(w, extractor) for w in windows]
    return pad_and_normalize(
        fbanks, int(extractor.max_length), float(extractor.mean), float(extractor.std), band_normalisation(extractor)
    )

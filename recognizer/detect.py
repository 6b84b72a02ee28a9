"""Is there a cry-like sound at all? Cheap signal heuristics that catch stationary noise and speech.

The model names one of its species for anything it hears, so the app needs another opinion before it
trusts a guess. These rules only flag what they are confident about and leave everything else to the
model's calibrated threshold (a cry in loud noise still counts as a cry):

- **noise**: almost no time-frequency bin rises well above its own noise floor. Stationary noise
  (white, pink, brown, hum, fans) has none; a cry even at 0 dB SNR has some.
- **speech**: voiced frames with a pitch in the human range, syllable-rate (3-8 Hz) loudness
  modulation, and — when the band is wide enough to hear them — voiced/fricative alternation.

``benchmarks/bench_cry_detector.py`` measures them on noise, espeak speech and cries (synthetic, and the
real cries in ``../shared`` when present); thresholds live in :class:`DetectorConfig` to tune there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from frontend.audio import SAMPLE_RATE
from frontend.fbank import FBANK_HOP_SAMPLES, FBANK_WINDOW_SAMPLES

CRY = "cry"
NOISE = "noise"
SPEECH = "speech"

_HOP = FBANK_HOP_SAMPLES  # the model's frames: 10 ms
_WIN = FBANK_WINDOW_SAMPLES  # 25 ms
_N_FFT = 512
_PITCH_WIN = 640  # 40 ms: two periods of the lowest pitch searched
_PITCH_HOP = 320  # 20 ms


@dataclass(frozen=True)
class DetectorConfig:
    """Thresholds of the heuristics (defaults measured with benchmarks/bench_cry_detector.py)."""

    active_below_peak_db: float = 30.0
    """dB. Frames within this of the loudest frame are the ones described."""
    salient_rise_db: float = 15.0
    """dB. A time-frequency bin this far above its band's 20th-percentile level is "salient"."""
    noise_max_salient: float = 0.005
    """Fraction of salient bins under which the sound is stationary noise (Gaussian noise: ~0.001)."""
    speech_min_modulation: float = 0.3
    """Share of the loudness-envelope modulation energy at syllable rate (3-8 Hz) over 0.5-20 Hz."""
    speech_min_switches: float = 2.0
    """Voiced/fricative alternations per 100 frames."""
    speech_fricative_range: tuple[float, float] = (0.03, 0.4)
    """Share of frames whose 4-8 kHz energy exceeds their 0.1-1 kHz energy."""
    speech_pitch_range_hz: tuple[float, float] = (70.0, 320.0)
    speech_min_pitch_share: float = 0.6
    """Share of voiced frames whose pitch lies in ``speech_pitch_range_hz`` (with fricatives)."""
    speech_min_pitch_share_alone: float = 0.85
    """Same, when fricatives are not heard (phone bandwidth): then also needs the two below."""
    speech_min_voiced_alone: float = 0.55
    speech_min_modulation_alone: float = 0.35


@dataclass(frozen=True)
class SoundCheck:
    """What a window sounds like: ``kind`` is CRY (cry-like, or not sure), NOISE or SPEECH."""

    kind: str
    salient: float
    modulation: float
    switches: float
    fricative: float
    voiced: float
    pitch_share: float

    def as_dict(self) -> dict:
        return asdict(self)


def check_sound(samples: np.ndarray, config: DetectorConfig = DetectorConfig()) -> SoundCheck:
    """Describe a 16 kHz mono window and say whether it is noise, speech, or possibly a cry."""
    x = np.asarray(samples, dtype=np.float64)
    power = _frames_power(x)
    freqs = np.fft.rfftfreq(_N_FFT, 1.0 / SAMPLE_RATE)
    band = power[:, (freqs >= 100) & (freqs <= 7000)] + 1e-12
    level = 10.0 * np.log10(band.sum(axis=1))
    active = level >= level.max() - config.active_below_peak_db

    bins_db = 10.0 * np.log10(band)
    floor = np.percentile(bins_db, 20, axis=0)
    salient = float(np.mean((bins_db - floor)[active] > config.salient_rise_db))

    envelope = 10.0 ** (level / 20.0)
    envelope = (envelope - envelope.mean()) * np.hanning(len(envelope))
    spectrum = np.abs(np.fft.rfft(envelope)) ** 2
    mod_freqs = np.fft.rfftfreq(len(envelope), _HOP / SAMPLE_RATE)
    total = spectrum[(mod_freqs >= 0.5) & (mod_freqs <= 20)].sum()
    modulation = float(spectrum[(mod_freqs >= 3) & (mod_freqs <= 8)].sum() / (total + 1e-12))

    high = power[:, (freqs >= 4000) & (freqs <= 7800)].sum(axis=1)
    low = power[:, (freqs >= 100) & (freqs <= 1000)].sum(axis=1)
    tilt = 10.0 * np.log10((high + 1e-12) / (low + 1e-12))
    fricative_frames = (tilt > 0) & active
    voiced_frames = (tilt < -15) & active
    fricative = float(fricative_frames.sum() / max(1, active.sum()))
    labels = np.where(fricative_frames, 1, np.where(voiced_frames, 2, 0))[active]
    labels = labels[labels > 0]
    switches = float(np.sum(labels[1:] != labels[:-1]) / max(1, len(labels)) * 100)

    voiced, pitch_share = _pitch_stats(x, config)
    values = dict(salient=salient, modulation=modulation, switches=switches, fricative=fricative,
                  voiced=voiced, pitch_share=pitch_share)

    if salient < config.noise_max_salient:
        return SoundCheck(NOISE, **values)
    lo, hi = config.speech_fricative_range
    with_fricatives = (
        modulation > config.speech_min_modulation and switches > config.speech_min_switches
        and lo < fricative < hi and pitch_share > config.speech_min_pitch_share
    )
    voiced_only = (
        pitch_share > config.speech_min_pitch_share_alone and voiced > config.speech_min_voiced_alone
        and modulation > config.speech_min_modulation_alone
    )
    return SoundCheck(SPEECH if with_fricatives or voiced_only else CRY, **values)


def _frames(x: np.ndarray, win: int, hop: int = _HOP) -> np.ndarray:
    if len(x) < win:
        x = np.pad(x, (0, win - len(x)))
    return np.lib.stride_tricks.sliding_window_view(x, win)[::hop]


def _frames_power(x: np.ndarray) -> np.ndarray:
    return np.abs(np.fft.rfft(_frames(x, _WIN) * np.hanning(_WIN), _N_FFT)) ** 2


def _pitch_stats(x: np.ndarray, config: DetectorConfig) -> tuple[float, float]:
    """(share of sounding frames that are periodic, share of those whose pitch is in the speech range)."""
    frames = _frames(x, _PITCH_WIN, _PITCH_HOP)
    frames = frames - frames.mean(axis=1, keepdims=True)
    energy = np.sum(frames**2, axis=1)
    spectrum = np.fft.rfft(frames, 2 * _PITCH_WIN)
    autocorr = np.fft.irfft(np.abs(spectrum) ** 2)[:, :_PITCH_WIN]
    autocorr = autocorr / (autocorr[:, :1] + 1e-12)
    lo_lag, hi_lag = SAMPLE_RATE // 1000, SAMPLE_RATE // 60
    lag = lo_lag + np.argmax(autocorr[:, lo_lag:hi_lag], axis=1)
    peak = autocorr[np.arange(len(lag)), lag]
    level = 10.0 * np.log10(energy + 1e-12)
    active = level >= level.max() - config.active_below_peak_db
    periodic = active & (peak > 0.5)
    if not periodic.any():
        return 0.0, 0.0
    pitch = SAMPLE_RATE / lag[periodic]
    lo, hi = config.speech_pitch_range_hz
    return float(periodic.sum() / max(1, active.sum())), float(np.mean((pitch >= lo) & (pitch <= hi)))

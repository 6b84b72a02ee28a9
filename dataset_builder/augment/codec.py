"""Codec: a lossy codec round trip through FFmpeg (mp3, Opus in WebM, AAC, GSM) or a G.711 phone path.

The phone-band paths (``gsm``: 8 kHz GSM 06.10 full rate as libgsm encodes it; ``g711``: 8 kHz mu-law or
A-law companding) resample to 8 kHz and back, so everything above 4 kHz is gone as on a phone call. A
second, different round trip (double encoding: a clip re-encoded by a messaging app) is drawn with
``double_probability``.
"""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from .base import Transform, check_probability

CODEC_FORMATS = {"mp3": "mp3", "opus": "webm", "aac": "mp4", "gsm": "gsm", "g711": ""}
"""Codec → container FFmpeg muxes it in (Opus in WebM is what browsers' MediaRecorder produces; G.711 is numpy)."""

PHONE_BAND_CODECS = ("gsm", "g711")
"""The 8 kHz telephone paths."""

DEFAULT_BITRATES_KBPS = {
    "mp3": (16, 24, 32, 48, 64, 96),
    "opus": (12, 16, 24, 32),
    "aac": (24, 32, 48, 64, 96),
    "gsm": (13,),  # GSM full rate has one bitrate
    "g711": (64,),  # 8 bits at 8 kHz
}

PHONE_RATE = 8000
_MU = 255.0
_A = 87.6


def encode_decode(samples: np.ndarray, codec: str, bitrate_kbps: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Round-trip through a lossy codec (torchcodec's FFmpeg encoder and decoder, or G.711 in numpy); same length out."""
    if codec not in CODEC_FORMATS:
        raise ValueError(f"encode_decode: unknown codec {codec!r}; expected one of {tuple(CODEC_FORMATS)}")
    x = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    if codec == "g711":
        out = g711_round_trip(x, sample_rate, law="mu")
    else:
        out = _ffmpeg_round_trip(x, codec, bitrate_kbps, sample_rate)
    out = out[: len(x)]
    if len(out) < len(x):
        out = np.pad(out, (0, len(x) - len(out)))
    return np.ascontiguousarray(out, dtype=np.float32)


def _ffmpeg_round_trip(x: np.ndarray, codec: str, bitrate_kbps: int, sample_rate: int) -> np.ndarray:
    import torch
    from torchcodec.decoders import AudioDecoder
    from torchcodec.encoders import AudioEncoder

    options: dict = {"format": CODEC_FORMATS[codec]}
    if codec == "gsm":
        options["sample_rate"] = PHONE_RATE  # FFmpeg resamples down; the decoder resamples back up
    else:
        options["bit_rate"] = int(bitrate_kbps * 1000)
    try:
        data = AudioEncoder(torch.from_numpy(x[None, :]), sample_rate=sample_rate).to_tensor(**options)
        return AudioDecoder(data, sample_rate=sample_rate).get_all_samples().data.numpy()[0]
    except Exception as err:
        raise RuntimeError(
            f"codec {codec} at {bitrate_kbps} kbps failed in FFmpeg ({type(err).__name__}: {err}); "
            "expected an FFmpeg build with libmp3lame, libopus, aac and libgsm (apt-get install ffmpeg)"
        ) from err


def g711_round_trip(samples: np.ndarray, sample_rate: int = SAMPLE_RATE, law: str = "mu") -> np.ndarray:
    """8 kHz G.711: resample to 8 kHz, compand (mu-law or A-law), quantise to 8 bits, expand, resample back."""
    from scipy.signal import resample_poly

    if law not in ("mu", "a"):
        raise ValueError(f"g711_round_trip: law={law!r}; expected 'mu' or 'a'")
    g = np.gcd(int(sample_rate), PHONE_RATE)
    narrow = np.clip(resample_poly(np.asarray(samples, dtype=np.float64), PHONE_RATE // g, sample_rate // g), -1, 1)
    if law == "mu":
        y = np.sign(narrow) * np.log1p(_MU * np.abs(narrow)) / np.log1p(_MU)
    else:
        a = np.abs(narrow)
        y = np.sign(narrow) * np.where(a < 1 / _A, _A * a, 1 + np.log(np.maximum(_A * a, 1.0))) / (1 + np.log(_A))
    y = np.round(y * 127) / 127  # 8 bits: sign + 7-bit magnitude
    if law == "mu":
        z = np.sign(y) * np.expm1(np.abs(y) * np.log1p(_MU)) / _MU
    else:
        b = np.abs(y) * (1 + np.log(_A))
        z = np.sign(y) * np.where(b < 1, b / _A, np.exp(b - 1) / _A)
    return resample_poly(z, sample_rate // g, PHONE_RATE // g).astype(np.float32)


class Codec(Transform):
    """A lossy codec round trip at a drawn bitrate, sometimes twice (double encoding); none with ``1 - probability``."""

    name = "codec"

    def __init__(
        self,
        codecs: tuple[str, ...] = ("mp3", "opus", "aac"),
        probability: float = 0.9,
        bitrates_kbps: dict[str, tuple[int, ...]] | None = None,
        double_probability: float = 0.0,
    ):
        super().__init__()
        unknown = [c for c in codecs if c not in CODEC_FORMATS]
        if unknown or not codecs:
            raise ValueError(f"Codec: unknown codec(s) {unknown or codecs}; expected some of {tuple(CODEC_FORMATS)}")
        check_probability("Codec", probability)
        check_probability("Codec (double_probability)", double_probability)
        bitrates = {c: tuple(DEFAULT_BITRATES_KBPS[c]) for c in codecs}
        bitrates.update({c: tuple(v) for c, v in (bitrates_kbps or {}).items()})
        for c, rates in bitrates.items():
            if c not in codecs:
                raise ValueError(f"Codec: bitrates given for {c!r}, which is not among codecs={codecs}")
            if not rates or any(not 6 <= r <= 320 for r in rates):
                raise ValueError(f"Codec: bitrates for {c} = {rates}; expected kbps values in 6-320")
        self.codecs, self.probability, self.bitrates_kbps = tuple(codecs), probability, bitrates
        self.double_probability = double_probability

    def _draw_one(self, rng: np.random.Generator) -> tuple[str, int]:
        codec = self.codecs[int(rng.integers(len(self.codecs)))]
        rates = self.bitrates_kbps[codec]
        return codec, int(rates[int(rng.integers(len(rates)))])

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        if rng.random() >= self.probability:
            self.parameters = {"codec": "none", "bitrate_kbps": None}
            return
        codec, kbps = self._draw_one(rng)
        self.parameters = {"codec": codec, "bitrate_kbps": kbps}
        if self.double_probability > 0 and rng.random() < self.double_probability:
            second, second_kbps = self._draw_one(rng)
            self.parameters.update(second_codec=second, second_bitrate_kbps=second_kbps)

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        p = self.parameters
        if p["codec"] == "none":
            return np.asarray(samples, dtype=np.float32)
        out = encode_decode(samples, p["codec"], p["bitrate_kbps"], sample_rate)
        if "second_codec" in p:
            out = encode_decode(out, p["second_codec"], p["second_bitrate_kbps"], sample_rate)
        return out

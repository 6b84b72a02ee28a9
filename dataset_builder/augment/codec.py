"""Codec: a lossy codec round trip (mp3, Opus in WebM as browsers record, AAC) through FFmpeg."""

from __future__ import annotations

import numpy as np

from frontend.audio import SAMPLE_RATE

from .base import Transform, check_probability

CODEC_FORMATS = {"mp3": "mp3", "opus": "webm", "aac": "mp4"}
"""Codec → container FFmpeg muxes it in (Opus in WebM is what browsers' MediaRecorder produces)."""

DEFAULT_BITRATES_KBPS = {"mp3": (24, 32, 48, 64, 96), "opus": (12, 16, 24, 32, 48), "aac": (24, 32, 48, 64, 96)}


def encode_decode(samples: np.ndarray, codec: str, bitrate_kbps: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Round-trip through a lossy codec with torchcodec's FFmpeg encoder and decoder; same length out."""
    import torch
    from torchcodec.decoders import AudioDecoder
    from torchcodec.encoders import AudioEncoder

    x = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    try:
        data = AudioEncoder(torch.from_numpy(x[None, :]), sample_rate=sample_rate).to_tensor(
            format=CODEC_FORMATS[codec], bit_rate=int(bitrate_kbps * 1000)
        )
        out = AudioDecoder(data, sample_rate=sample_rate).get_all_samples().data.numpy()[0]
    except Exception as err:
        raise RuntimeError(
            f"codec {codec} at {bitrate_kbps} kbps failed in FFmpeg ({type(err).__name__}: {err}); "
            "expected an FFmpeg build with libmp3lame, libopus and aac (apt-get install ffmpeg)"
        ) from err
    out = out[: len(x)]
    if len(out) < len(x):
        out = np.pad(out, (0, len(x) - len(out)))
    return np.ascontiguousarray(out, dtype=np.float32)


class Codec(Transform):
    """A lossy codec round trip (mp3, Opus, AAC) at a drawn bitrate; none with probability ``1 - probability``."""

    name = "codec"

    def __init__(
        self,
        codecs: tuple[str, ...] = ("mp3", "opus", "aac"),
        probability: float = 0.9,
        bitrates_kbps: dict[str, tuple[int, ...]] | None = None,
    ):
        super().__init__()
        unknown = [c for c in codecs if c not in CODEC_FORMATS]
        if unknown or not codecs:
            raise ValueError(f"Codec: unknown codec(s) {unknown or codecs}; expected some of {tuple(CODEC_FORMATS)}")
        check_probability("Codec", probability)
        bitrates = {c: tuple(DEFAULT_BITRATES_KBPS[c]) for c in codecs}
        bitrates.update({c: tuple(v) for c, v in (bitrates_kbps or {}).items()})
        for c, rates in bitrates.items():
            if c not in codecs:
                raise ValueError(f"Codec: bitrates given for {c!r}, which is not among codecs={codecs}")
            if not rates or any(not 6 <= r <= 320 for r in rates):
                raise ValueError(f"Codec: bitrates for {c} = {rates}; expected kbps values in 6-320")
        self.codecs, self.probability, self.bitrates_kbps = tuple(codecs), probability, bitrates

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        if rng.random() >= self.probability:
            self.parameters = {"codec": "none", "bitrate_kbps": None}
            return
        codec = self.codecs[int(rng.integers(len(self.codecs)))]
        rates = self.bitrates_kbps[codec]
        self.parameters = {"codec": codec, "bitrate_kbps": int(rates[int(rng.integers(len(rates)))])}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        if self.parameters["codec"] == "none":
            return np.asarray(samples, dtype=np.float32)
        return encode_decode(samples, self.parameters["codec"], self.parameters["bitrate_kbps"], sample_rate)

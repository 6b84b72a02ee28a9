"""What a phone or a messaging app does to the sound: GSM full rate, MP3 (pedalboard), Opus and AAC (FFmpeg CLI)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .parts import SAMPLE_RATE, Part, check_kinds, check_range, run_board

CODEC_KINDS = ("none", "gsm", "mp3", "opus", "aac")
FFMPEG_CODECS = {"opus": ("libopus", ".ogg"), "aac": ("aac", ".m4a")}
"""codec kind → (FFmpeg encoder, container suffix); the MP4 container trims AAC's encoder delay."""


class CodecError(RuntimeError):
    """FFmpeg is missing or failed; the message says which codec and what FFmpeg said."""


def ffmpeg_round_trip(samples: np.ndarray, kind: str, kbps: int) -> np.ndarray:
    """Encode ``samples`` with FFmpeg's ``kind`` encoder at ``kbps`` and decode back to 16 kHz mono float32."""
    encoder, suffix = FFMPEG_CODECS[kind]
    base = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    raw = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "1"]
    with tempfile.TemporaryDirectory(prefix="heldout-codec-") as tmp:
        coded = Path(tmp) / f"coded{suffix}"
        steps = (
            (base + raw + ["-i", "pipe:0", "-c:a", encoder, "-b:a", f"{kbps}k", str(coded)], samples.tobytes()),
            (base + ["-i", str(coded)] + raw + ["pipe:1"], None),
        )
        out = b""
        for command, stdin in steps:
            done = subprocess.run(command, input=stdin, capture_output=True, check=False)
            if done.returncode != 0:
                raise CodecError(f"{kind} at {kbps} kb/s: FFmpeg failed: {done.stderr.decode(errors='replace').strip()}")
            out = done.stdout
    decoded = np.frombuffer(out, dtype=np.float32)
    return np.pad(decoded, (0, max(0, len(samples) - len(decoded))))[: len(samples)].copy()


class Codec(Part):
    """One codec per capture (or none), at a drawn bit rate or quality."""

    def __init__(self, kinds=CODEC_KINDS, mp3_vbr_quality=(3.0, 9.0), opus_kbps=(12, 32), aac_kbps=(24, 64)):
        self.kinds = check_kinds("codec kinds", kinds, CODEC_KINDS)
        self.mp3_vbr_quality = check_range("mp3_vbr_quality", mp3_vbr_quality, 0.0, 9.999)
        self.opus_kbps = tuple(int(v) for v in check_range("opus_kbps", opus_kbps, 6, 256, " kb/s"))
        self.aac_kbps = tuple(int(v) for v in check_range("aac_kbps", aac_kbps, 8, 320, " kb/s"))
        if any(k in FFMPEG_CODECS for k in self.kinds) and shutil.which("ffmpeg") is None:
            raise CodecError("opus and aac need the ffmpeg command (apt-get install ffmpeg), or leave them out of kinds")

    def draw(self, rng: np.random.Generator) -> dict:
        kind = str(rng.choice(self.kinds))
        params = {"kind": kind}
        if kind == "mp3":
            params["vbr_quality"] = float(rng.uniform(*self.mp3_vbr_quality))
        elif kind in FFMPEG_CODECS:
            low, high = self.opus_kbps if kind == "opus" else self.aac_kbps
            params["kbps"] = int(rng.integers(low, high + 1))
        return params

    def apply(self, samples: np.ndarray, params: dict) -> np.ndarray:
        kind = params["kind"]
        samples = np.asarray(samples, dtype=np.float32)
        if kind == "none":
            return samples
        if kind in FFMPEG_CODECS:
            return ffmpeg_round_trip(samples, kind, params["kbps"])
        from pedalboard import GSMFullRateCompressor, MP3Compressor

        plugin = GSMFullRateCompressor() if kind == "gsm" else MP3Compressor(params["vbr_quality"])
        return run_board([plugin], samples)

"""The capture chain of the real use: a cry played by a loudspeaker in a room and recorded by a phone.

Order of the chain (see :class:`dataset_builder.variants.VariantMaker`): the cry is placed inside a
``CLIP_SECONDS`` recording with background before and after → :class:`Loudspeaker` (band-limit, cone
resonance, amplifier distortion) → :class:`RoomReverb` (simulated room impulse responses, one bank of
rooms per split) → :class:`Microphone` (self-noise, coloration) → :class:`Gain` and :class:`Clipping`
(the preamp and the converter) → :class:`AutomaticGainControl` (the browser's) → :class:`Codec` (mp3,
Opus in WebM as browsers record, AAC). Same conventions as :mod:`dataset_builder.transforms`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal as sps

from common.files import atomic_write_with
from frontend.audio import CLIP_SECONDS, SAMPLE_RATE
from frontend.levels import frame_power

from .transforms import Transform, butterworth_sos, check_range, draw, peaking_sos, signal_level, sosfilt32

# ---------------------------------------------------------------------------------------------- placement


class PlaceInRecording(Transform):
    """Put the cry at a random time inside a ``clip_seconds`` recording of silence (a background fills it next).

    A cry longer than the clip minus the margins is cut, with a 20 ms fade.
    """

    name = "place"

    def __init__(self, clip_seconds: float = CLIP_SECONDS, min_margin_seconds: float = 0.25):
        super().__init__()
        if not 0.5 <= clip_seconds <= 60:
            raise ValueError(f"PlaceInRecording: clip_seconds={clip_seconds}; expected 0.5-60 s")
        if not 0 <= min_margin_seconds < clip_seconds / 4:
            raise ValueError(f"PlaceInRecording: min_margin_seconds={min_margin_seconds}; expected 0 to clip_seconds/4")
        self.clip_seconds, self.min_margin_seconds = clip_seconds, min_margin_seconds

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"offset_fraction": draw(rng, 0.0, 1.0, 4)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        n = int(round(self.clip_seconds * sample_rate))
        margin = int(round(self.min_margin_seconds * sample_rate))
        cry = np.asarray(samples, dtype=np.float32)
        if len(cry) > n - 2 * margin:
            cry = cry[: n - 2 * margin].copy()
            fade = min(len(cry), int(0.02 * sample_rate))
            cry[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        start = margin + int(round(self.parameters["offset_fraction"] * (n - 2 * margin - len(cry))))
        out = np.zeros(n, dtype=np.float32)
        out[start : start + len(cry)] = cry
        self.parameters.update(start_s=round(start / sample_rate, 4), cry_s=round(len(cry) / sample_rate, 4))
        return out


# ---------------------------------------------------------------------------------------------- loudspeaker


class Loudspeaker(Transform):
    """A TV, laptop or phone speaker: amplifier soft clipping (tanh), then band-limit and a cone resonance."""

    name = "loudspeaker"

    def __init__(
        self,
        min_low_cut_hz: float = 100.0,
        max_low_cut_hz: float = 800.0,
        min_high_cut_hz: float = 4000.0,
        max_high_cut_hz: float = 7500.0,
        min_resonance_db: float = 0.0,
        max_resonance_db: float = 8.0,
        min_drive_db: float = 0.0,
        max_drive_db: float = 18.0,
    ):
        super().__init__()
        check_range("Loudspeaker", "low_cut_hz", min_low_cut_hz, max_low_cut_hz, 20.0, 2000.0)
        check_range("Loudspeaker", "high_cut_hz", min_high_cut_hz, max_high_cut_hz, 1000.0, SAMPLE_RATE / 2 * 0.95)
        if max_low_cut_hz >= min_high_cut_hz:
            raise ValueError(
                f"Loudspeaker: max_low_cut_hz={max_low_cut_hz} must be below min_high_cut_hz={min_high_cut_hz} (a pass band)"
            )
        check_range("Loudspeaker", "resonance_db", min_resonance_db, max_resonance_db, 0.0, 20.0)
        check_range("Loudspeaker", "drive_db", min_drive_db, max_drive_db, 0.0, 40.0)
        self.min_low_cut_hz, self.max_low_cut_hz = min_low_cut_hz, max_low_cut_hz
        self.min_high_cut_hz, self.max_high_cut_hz = min_high_cut_hz, max_high_cut_hz
        self.min_resonance_db, self.max_resonance_db = min_resonance_db, max_resonance_db
        self.min_drive_db, self.max_drive_db = min_drive_db, max_drive_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {
            "low_cut_hz": round(float(np.exp(rng.uniform(np.log(self.min_low_cut_hz), np.log(self.max_low_cut_hz)))), -1),
            "high_cut_hz": round(draw(rng, self.min_high_cut_hz, self.max_high_cut_hz), -1),
            "resonance_hz": round(float(np.exp(rng.uniform(np.log(500), np.log(3000)))), -1),
            "resonance_db": draw(rng, self.min_resonance_db, self.max_resonance_db, 1),
            "resonance_q": draw(rng, 1.0, 4.0, 1),
            "drive_db": draw(rng, self.min_drive_db, self.max_drive_db, 1),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        p = self.parameters
        x = np.asarray(samples, dtype=np.float64)
        peak = float(np.max(np.abs(x))) or 1.0
        drive = 10 ** (p["drive_db"] / 20) - 1  # 0 dB: linear; 18 dB: a hard-driven small amplifier
        if drive > 1e-3:
            x = np.tanh(drive * x / peak) / np.tanh(drive) * peak
        sos = np.concatenate(
            [
                butterworth_sos("highpass", p["low_cut_hz"], 4, sample_rate),
                butterworth_sos("lowpass", min(p["high_cut_hz"], sample_rate / 2 * 0.95), 4, sample_rate),
                peaking_sos(p["resonance_hz"], p["resonance_db"], p["resonance_q"], sample_rate),
            ]
        )
        return sosfilt32(sos, x)


# ---------------------------------------------------------------------------------------------- room


@dataclass
class RirBank:
    """Simulated room impulse responses of one split (its rooms are never used by another split)."""

    split: str
    rirs: list[np.ndarray]
    info: list[dict[str, Any]]
    """Per RIR: room id, room size, RT60 (target and measured), source-microphone distance."""

    def __len__(self) -> int:
        return len(self.rirs)

    @property
    def rooms(self) -> set[str]:
        return {i["room"] for i in self.info}


def _room_seed(seed: int, split_index: int, room: int) -> int:
    return int(np.random.SeedSequence(int(seed), spawn_key=(0x5EED, split_index, room)).generate_state(1, np.uint64)[0])


def simulate_room(
    rng: np.random.Generator,
    positions: int,
    min_rt60_s: float,
    max_rt60_s: float,
    sample_rate: int = SAMPLE_RATE,
    max_rir_seconds: float = 1.0,
) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """One shoebox living room with a loudspeaker near a wall and ``positions`` phone positions.

    pyroomacoustics' hybrid simulator (image sources up to order 3, ray tracing for the tail): a full
    image-source model of a 0.8 s room takes seconds, the hybrid a fraction of one.
    """
    import pyroomacoustics as pra

    for _ in range(100):
        dims = np.array([rng.uniform(3.0, 8.0), rng.uniform(2.5, 6.0), rng.uniform(2.3, 3.2)])
        rt60 = float(rng.uniform(min_rt60_s, max_rt60_s))
        try:
            absorption, _ = pra.inverse_sabine(rt60, dims)
        except ValueError:
            continue  # this room cannot be that dry; draw another
        if 0 < absorption < 1:
            break
    else:
        raise RuntimeError(f"could not draw a room with RT60 in [{min_rt60_s}, {max_rt60_s}] s")
    source = np.array([rng.uniform(0.3, 1.0), rng.uniform(0.5, dims[1] - 0.5), rng.uniform(0.6, 1.5)])
    mics, distances = [], []
    while len(mics) < positions:
        distance = rng.uniform(0.3, 3.0)
        angle = rng.uniform(-np.pi / 2.5, np.pi / 2.5)  # in front of the speaker
        mic = source + np.array([distance * np.cos(angle), distance * np.sin(angle), 0.0])
        mic[2] = rng.uniform(0.8, 1.6)
        if np.all(mic[:2] > 0.2) and np.all(mic[:2] < dims[:2] - 0.2):
            mics.append(mic)
            distances.append(float(np.linalg.norm(mic - source)))
    seed = int(rng.integers(2**32))
    pra.random.seed(numpy=seed, libroom=seed)  # the ray tracer's directions: fixed, so the bank is reproducible
    room = pra.ShoeBox(
        dims, fs=sample_rate, materials=pra.Material(float(absorption)), max_order=3, ray_tracing=True, air_absorption=True
    )
    room.set_ray_tracing(receiver_radius=0.5, n_rays=2000, energy_thres=1e-5)
    room.add_source(source)
    room.add_microphone(np.array(mics).T)
    room.compute_rir()
    rirs, info = [], []
    for m in range(positions):
        rir = np.asarray(room.rir[m][0], dtype=np.float64)
        start = max(0, int(np.argmax(np.abs(rir))) - 32)  # keep the direct path where the cry is placed
        rir = rir[start : start + int(max_rir_seconds * sample_rate)]
        energy = np.cumsum(rir[::-1] ** 2)[::-1]
        keep = int(np.searchsorted(-energy, -energy[0] * 1e-6))  # drop the tail 60 dB down
        rir = rir[: max(keep, 64)]
        rir /= np.max(np.abs(rir))
        measured = float(pra.experimental.measure_rt60(rir, fs=sample_rate, decay_db=30))
        rirs.append(rir.astype(np.float32))
        info.append(
            {
                "room_m": [round(float(d), 2) for d in dims],
                "rt60_s": round(rt60, 3),
                "measured_rt60_s": round(measured, 3),
                "distance_m": round(distances[m], 2),
            }
        )
    return rirs, info


def simulate_rir_banks(
    splits: dict[str, int],
    positions_per_room: int,
    min_rt60_s: float,
    max_rt60_s: float,
    seed: int,
    cache_dir: str | os.PathLike | None = None,
) -> dict[str, RirBank]:
    """One :class:`RirBank` per split, ``splits[split]`` rooms each, from split-specific seeds.

    With ``cache_dir``, the banks are saved (atomically) and reloaded by the next build with the same settings.
    """
    import pyroomacoustics as pra

    settings = {
        "splits": dict(splits),
        "positions": positions_per_room,
        "rt60": [min_rt60_s, max_rt60_s],
        "seed": int(seed),
        "sample_rate": SAMPLE_RATE,
        "pyroomacoustics": pra.__version__,
        "format": 1,
    }
    key = hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(cache_dir) / "rirs" / f"rirs-{key}.npz" if cache_dir else None
    if path is not None and path.exists():
        return _load_banks(path)
    banks = {}
    for s, (split, rooms) in enumerate(splits.items()):
        rirs, info = [], []
        for r in range(rooms):
            room_rirs, room_info = simulate_room(
                np.random.default_rng(_room_seed(seed, s, r)), positions_per_room, min_rt60_s, max_rt60_s
            )
            for p, item in enumerate(room_info):
                item.update(room=f"{split}-room{r:02d}", position=p)
            rirs += room_rirs
            info += room_info
        banks[split] = RirBank(split, rirs, info)
    if path is not None:
        _save_banks(path, banks)
    return banks


def _save_banks(path: Path, banks: dict[str, RirBank]) -> None:
    arrays: dict[str, np.ndarray] = {}
    meta = {split: bank.info for split, bank in banks.items()}
    for split, bank in banks.items():
        for i, rir in enumerate(bank.rirs):
            arrays[f"{split}/{i}"] = rir
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    atomic_write_with(path, lambda fh: np.savez(fh, **arrays))


def _load_banks(path: Path) -> dict[str, RirBank]:
    with np.load(path) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        return {
            split: RirBank(split, [data[f"{split}/{i}"] for i in range(len(info))], info) for split, info in meta.items()
        }


class RoomReverb(Transform):
    """Convolve with one of the split's simulated room impulse responses (length kept)."""

    name = "room"

    def __init__(self, bank: RirBank):
        super().__init__()
        if len(bank) == 0:
            raise ValueError(f"RoomReverb: the {bank.split!r} room bank is empty; expected at least one impulse response")
        self.bank = bank

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        index = int(rng.integers(len(self.bank)))
        self.parameters = {"index": index, **self.bank.info[index]}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        if sample_rate != SAMPLE_RATE:
            raise ValueError(f"RoomReverb: impulse responses are simulated at {SAMPLE_RATE} Hz, got {sample_rate} Hz")
        rir = self.bank.rirs[self.parameters["index"]]
        return sps.oaconvolve(samples, rir)[: len(samples)].astype(np.float32)


# ---------------------------------------------------------------------------------------------- microphone


class Microphone(Transform):
    """A phone microphone: self-noise at an SNR below the signal, a low cut and a couple of EQ bumps/dips."""

    name = "microphone"

    def __init__(
        self,
        min_low_cut_hz: float = 60.0,
        max_low_cut_hz: float = 250.0,
        min_eq_gain_db: float = -6.0,
        max_eq_gain_db: float = 6.0,
        eq_bands: int = 2,
        min_noise_snr_db: float = 25.0,
        max_noise_snr_db: float = 60.0,
    ):
        super().__init__()
        check_range("Microphone", "low_cut_hz", min_low_cut_hz, max_low_cut_hz, 20.0, 1000.0)
        check_range("Microphone", "eq_gain_db", min_eq_gain_db, max_eq_gain_db, -20.0, 20.0)
        check_range("Microphone", "noise_snr_db", min_noise_snr_db, max_noise_snr_db, 0.0, 100.0)
        if not (isinstance(eq_bands, int) and 0 <= eq_bands <= 6):
            raise ValueError(f"Microphone: eq_bands={eq_bands!r}; expected an integer 0-6")
        self.min_low_cut_hz, self.max_low_cut_hz = min_low_cut_hz, max_low_cut_hz
        self.min_eq_gain_db, self.max_eq_gain_db = min_eq_gain_db, max_eq_gain_db
        self.eq_bands = eq_bands
        self.min_noise_snr_db, self.max_noise_snr_db = min_noise_snr_db, max_noise_snr_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        bands = [
            [
                round(float(np.exp(rng.uniform(np.log(400), np.log(7000)))), -1),
                draw(rng, self.min_eq_gain_db, self.max_eq_gain_db, 1),
                draw(rng, 0.7, 3.0, 2),
            ]
            for _ in range(self.eq_bands)
        ]
        self.parameters = {
            "low_cut_hz": round(draw(rng, self.min_low_cut_hz, self.max_low_cut_hz), -1),
            "eq_bands_hz_db_q": bands,
            "noise_snr_db": draw(rng, self.min_noise_snr_db, self.max_noise_snr_db, 1),
            "noise_seed": int(rng.integers(2**31)),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        p = self.parameters
        x = np.asarray(samples, dtype=np.float64)
        level = signal_level(x, sample_rate)
        noise = np.random.default_rng(p["noise_seed"]).standard_normal(len(x))
        x = x + noise * np.sqrt(level / 10 ** (p["noise_snr_db"] / 10))
        sections = [butterworth_sos("highpass", p["low_cut_hz"], 2, sample_rate)]
        sections += [peaking_sos(min(f, sample_rate / 2 * 0.9), g, q, sample_rate) for f, g, q in p["eq_bands_hz_db_q"]]
        return sosfilt32(np.concatenate(sections), x)


# ---------------------------------------------------------------------------------------------- levels


class Gain(Transform):
    """The preamp: scale so that the recording's peak lands at ``peak_dbfs`` (above 0 dBFS → the converter clips)."""

    name = "gain"

    def __init__(self, min_peak_dbfs: float = -30.0, max_peak_dbfs: float = 6.0):
        super().__init__()
        check_range("Gain", "peak_dbfs", min_peak_dbfs, max_peak_dbfs, -60.0, 20.0)
        self.min_peak_dbfs, self.max_peak_dbfs = min_peak_dbfs, max_peak_dbfs

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"peak_dbfs": draw(rng, self.min_peak_dbfs, self.max_peak_dbfs, 2)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        peak = float(np.max(np.abs(samples)))
        if peak == 0:
            return np.asarray(samples, dtype=np.float32)
        gain = 10 ** (self.parameters["peak_dbfs"] / 20) / peak
        self.parameters["gain_db"] = round(20 * np.log10(gain), 2)
        return (np.asarray(samples, dtype=np.float64) * gain).astype(np.float32)


class Clipping(Transform):
    """The converter's hard limit at ``threshold_dbfs`` (0 dBFS by default): records the clipped fraction."""

    name = "clipping"

    def __init__(self, min_threshold_dbfs: float = 0.0, max_threshold_dbfs: float = 0.0):
        super().__init__()
        check_range("Clipping", "threshold_dbfs", min_threshold_dbfs, max_threshold_dbfs, -30.0, 0.0)
        self.min_threshold_dbfs, self.max_threshold_dbfs = min_threshold_dbfs, max_threshold_dbfs

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        self.parameters = {"threshold_dbfs": draw(rng, self.min_threshold_dbfs, self.max_threshold_dbfs, 2)}

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        limit = 10 ** (self.parameters["threshold_dbfs"] / 20)
        x = np.asarray(samples, dtype=np.float32)
        self.parameters["clipped_fraction"] = round(float(np.mean(np.abs(x) > limit)), 5)
        return np.clip(x, -limit, limit)


class AutomaticGainControl(Transform):
    """A browser-like AGC: per-10 ms level, gain toward a target (fast attack, slow release, capped), soft limiter.

    It pumps the background up before and after the cry, as phones do. Off with probability ``1 - probability``.
    """

    name = "agc"
    FRAME_SECONDS = 0.01

    def __init__(
        self,
        probability: float = 0.8,
        min_target_dbfs: float = -26.0,
        max_target_dbfs: float = -14.0,
        min_max_gain_db: float = 10.0,
        max_max_gain_db: float = 30.0,
    ):
        super().__init__()
        if not 0 <= probability <= 1:
            raise ValueError(f"AutomaticGainControl: probability={probability}; expected 0-1")
        check_range("AutomaticGainControl", "target_dbfs", min_target_dbfs, max_target_dbfs, -40.0, -3.0)
        check_range("AutomaticGainControl", "max_gain_db", min_max_gain_db, max_max_gain_db, 0.0, 60.0)
        self.probability = probability
        self.min_target_dbfs, self.max_target_dbfs = min_target_dbfs, max_target_dbfs
        self.min_max_gain_db, self.max_max_gain_db = min_max_gain_db, max_max_gain_db

    def randomize_parameters(self, rng: np.random.Generator) -> None:
        enabled = bool(rng.random() < self.probability)
        self.parameters = {
            "enabled": enabled,
            "target_dbfs": draw(rng, self.min_target_dbfs, self.max_target_dbfs, 1),
            "max_gain_db": draw(rng, self.min_max_gain_db, self.max_max_gain_db, 1),
            "attack_ms": draw(rng, 5.0, 30.0, 0),
            "release_ms": draw(rng, 200.0, 1000.0, 0),
        }

    def apply(self, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        self._require_parameters()
        x = np.asarray(samples, dtype=np.float64)
        p = self.parameters
        if not p["enabled"]:
            return x.astype(np.float32)
        frame = int(self.FRAME_SECONDS * sample_rate)
        level = frame_power(x, frame)
        n = len(level)
        level_db = 10 * np.log10(level + 1e-10)
        wanted = np.clip(p["target_dbfs"] - level_db, -30.0, p["max_gain_db"])
        attack = np.exp(-self.FRAME_SECONDS * 1000 / p["attack_ms"])
        release = np.exp(-self.FRAME_SECONDS * 1000 / p["release_ms"])
        gain_db = np.empty(n)
        g = float(wanted[0])
        for i in range(n):  # gain falls fast (attack) and rises slowly (release)
            coeff = attack if wanted[i] < g else release
            g = coeff * g + (1 - coeff) * float(wanted[i])
            gain_db[i] = g
        centres = (np.arange(n) + 0.5) * frame
        gain = 10 ** (np.interp(np.arange(len(x)), centres, gain_db) / 20)
        return soft_limit(x * gain).astype(np.float32)


def soft_limit(x: np.ndarray, knee: float = 0.9) -> np.ndarray:
    """Identity below ``knee``, then a tanh curve that approaches (never exceeds) full scale."""
    mag = np.abs(x)
    over = mag > knee
    out = np.array(x, dtype=np.float64, copy=True)
    out[over] = np.sign(x[over]) * (knee + (1 - knee) * np.tanh((mag[over] - knee) / (1 - knee)))
    return out


# ---------------------------------------------------------------------------------------------- codec

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
        if not 0 <= probability <= 1:
            raise ValueError(f"Codec: probability={probability}; expected 0-1")
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

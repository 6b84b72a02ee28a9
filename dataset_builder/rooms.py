"""Simulated rooms: one bank of room impulse responses per split, cached on disk.

Each split has its own rooms (split-specific seeds), so train and test never share a room. A bank is
simulated once per build settings with pyroomacoustics and saved atomically; the next build reloads it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common.files import atomic_write_with
from frontend.audio import SAMPLE_RATE


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


def _draw_shoebox(rng: np.random.Generator, min_rt60_s: float, max_rt60_s: float) -> tuple[np.ndarray, float, float]:
    """Room size (m), target RT60 (s) and the wall absorption that gives it (Sabine); redraws impossible rooms."""
    import pyroomacoustics as pra

    for _ in range(100):
        dims = np.array([rng.uniform(3.0, 8.0), rng.uniform(2.5, 6.0), rng.uniform(2.3, 3.2)])
        rt60 = float(rng.uniform(min_rt60_s, max_rt60_s))
        try:
            absorption, _ = pra.inverse_sabine(rt60, dims)
        except ValueError:
            continue  # this room cannot be that dry; draw another
        if 0 < absorption < 1:
            return dims, rt60, float(absorption)
    raise RuntimeError(f"could not draw a room with RT60 in [{min_rt60_s}, {max_rt60_s}] s")


def _draw_positions(rng: np.random.Generator, dims: np.ndarray, positions: int) -> tuple[np.ndarray, list, list]:
    """A loudspeaker near a wall and ``positions`` phone positions in front of it (0.3-3 m away)."""
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
    return source, mics, distances


def _trim_rir(rir: np.ndarray, sample_rate: int, max_rir_seconds: float) -> np.ndarray:
    """From just before the direct path to 60 dB down (at most ``max_rir_seconds``), peak 1."""
    start = max(0, int(np.argmax(np.abs(rir))) - 32)  # keep the direct path where the cry is placed
    rir = rir[start : start + int(max_rir_seconds * sample_rate)]
    energy = np.cumsum(rir[::-1] ** 2)[::-1]
    keep = int(np.searchsorted(-energy, -energy[0] * 1e-6))  # drop the tail 60 dB down
    rir = rir[: max(keep, 64)]
    return rir / np.max(np.abs(rir))


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

    dims, rt60, absorption = _draw_shoebox(rng, min_rt60_s, max_rt60_s)
    source, mics, distances = _draw_positions(rng, dims, positions)
    seed = int(rng.integers(2**32))
    pra.random.seed(numpy=seed, libroom=seed)  # the ray tracer's directions: fixed, so the bank is reproducible
    room = pra.ShoeBox(
        dims, fs=sample_rate, materials=pra.Material(absorption), max_order=3, ray_tracing=True, air_absorption=True
    )
    room.set_ray_tracing(receiver_radius=0.5, n_rays=2000, energy_thres=1e-5)
    room.add_source(source)
    room.add_microphone(np.array(mics).T)
    room.compute_rir()
    rirs, info = [], []
    for m in range(positions):
        rir = _trim_rir(np.asarray(room.rir[m][0], dtype=np.float64), sample_rate, max_rir_seconds)
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

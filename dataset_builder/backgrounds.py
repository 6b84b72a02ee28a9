"""Background recordings for the "background at an SNR" family, split so that none leaks across splits.

The original project mixed the same battle music into train and test. Here every recording belongs to
exactly one split:

- procedural backgrounds (chiptune-like music, coloured noise, babble; no download) are generated per
  split from split-specific seeds, so the test split's recordings are never heard in train;
- ``music_dir`` (the user's own files, any format FFmpeg reads) and ``youtube_playlist`` (downloaded with
  yt-dlp, an optional dependency) are split *by file* with the build's seed; byte-identical duplicates
  are merged first so a copy cannot land in two splits.

A bank pickles as its manifest (ids, paths, seeds); audio is decoded or regenerated lazily, per
process, deterministically. Decoded files are cached as ``.npy`` in ``cache_dir`` so workers memory-map
them and a rerun decodes nothing.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.files import atomic_write_with, default_cache_dir
from frontend.audio import AUDIO_EXTENSIONS, SAMPLE_RATE, SILENCE_DBFS, AudioDecodeError, decode_audio
from frontend.levels import rms_dbfs

from .procedural import PROCEDURAL_KINDS, generate
from .schema import SPLITS

MUSIC_EXTENSIONS = tuple(
    sorted(set(AUDIO_EXTENSIONS) | {".m4a", ".aac", ".opus", ".oga", ".webm", ".weba", ".mp4", ".mka", ".wma", ".aif", ".aiff"})
)
"""File extensions looked at in a music folder (anything FFmpeg decodes; other files are ignored)."""

MIN_BACKGROUND_SECONDS = 1.0
"""s. A music file shorter than this (after trimming silence) is skipped."""

_FILE_KINDS = ("music", "youtube")
_SEED_TAG = 0xB6  # separates the background streams from every other stream derived from the build seed


class BackgroundError(ValueError):
    """A background source is unusable (empty folder, nothing decodable, yt-dlp missing …)."""


@dataclass
class BackgroundConfig:
    """Where background recordings come from. Procedural ones are always available offline."""

    music_dir: str | None = None
    youtube_playlist: str | None = None
    procedural: bool = True
    cache_dir: str | None = None
    """Decoded music and downloaded playlists live here; default ``backgrounds/`` in the project's cache folder (``common.files.default_cache_dir``)."""
    procedural_per_split: dict[str, int] = field(default_factory=lambda: {"train": 12, "validation": 4, "test": 4})
    """Procedural recordings of each kind generated for each split."""
    procedural_seconds: float = 10.0
    split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    """Share of user/playlist files assigned to train, validation, test."""
    file_split_seed: int = 0
    """Seeds which split each music/playlist file goes to. Deliberately not the build's ``--seed``: a file's split
    must not change with it, or a supplement built with another seed (the low-SNR stage of
    ``scripts/train_default_model.sh`` uses seed + 1) trains on the test split's music."""
    max_file_seconds: float = 180.0
    """s. Longer music files are cut to this (memory), after trimming leading silence."""

    def __post_init__(self) -> None:
        if set(self.procedural_per_split) != set(SPLITS) or any(
            int(v) != v or v < 1 for v in self.procedural_per_split.values()
        ):
            raise ValueError(
                f"BackgroundConfig.procedural_per_split={self.procedural_per_split}: expected a positive integer for each of {SPLITS}"
            )
        if not 1.0 <= self.procedural_seconds <= 120.0:
            raise ValueError(f"BackgroundConfig.procedural_seconds={self.procedural_seconds}: expected 1-120 s")
        if len(self.split_fractions) != 3 or min(self.split_fractions) <= 0 or abs(sum(self.split_fractions) - 1) > 1e-6:
            raise ValueError(
                f"BackgroundConfig.split_fractions={self.split_fractions}: expected three positive shares (train, validation, test) summing to 1"
            )
        if self.max_file_seconds < MIN_BACKGROUND_SECONDS:
            raise ValueError(f"BackgroundConfig.max_file_seconds={self.max_file_seconds}: expected >= {MIN_BACKGROUND_SECONDS}")


@dataclass(frozen=True)
class BackgroundRecording:
    """One background recording, owned by exactly one split."""

    kind: str
    """``chiptune`` / ``noise`` / ``babble`` (procedural), ``music`` (music_dir) or ``youtube``."""
    id: str
    """Unique across the bank, e.g. ``chiptune/test-003`` or ``music/battle_theme``."""
    split: str
    source: str
    """Path of the cached ``.npy`` (files) or the decimal seed (procedural)."""


class BackgroundPool:
    """The recordings of one split, with the draw and the segment extraction the mixer needs."""

    def __init__(self, bank: BackgroundBank, split: str, exclude_kinds: tuple[str, ...] = ()):
        self.bank = bank
        self.split = split
        self.exclude_kinds = tuple(sorted(exclude_kinds))  # a family hold-out, e.g. no ``music`` in train
        self.recordings = [r for r in bank.recordings if r.split == split and r.kind not in self.exclude_kinds]
        self.kinds = sorted({r.kind for r in self.recordings})
        self._by_kind = {k: [r for r in self.recordings if r.kind == k] for k in self.kinds}
        self._by_id = {r.id: r for r in self.recordings}

    def __len__(self) -> int:
        return len(self.recordings)

    def choose(self, rng: np.random.Generator) -> BackgroundRecording:
        """A kind uniformly, then a recording of that kind uniformly (kinds stay balanced however many files)."""
        kind = self.kinds[int(rng.integers(len(self.kinds)))]
        items = self._by_kind[kind]
        return items[int(rng.integers(len(items)))]

    def segment(self, recording_id: str, offset_fraction: float, num_samples: int) -> np.ndarray:
        """``num_samples`` of the recording starting at ``offset_fraction`` of the usable range, looped if short.

        A near-silent stretch (a pause in a song) moves the start forward deterministically.
        """
        if recording_id not in self._by_id:
            raise KeyError(f"background {recording_id!r} is not in the {self.split!r} pool")
        audio = self.bank.load(self._by_id[recording_id])
        if len(audio) < num_samples:
            audio = np.tile(audio, num_samples // len(audio) + 1)
        span = len(audio) - num_samples
        start = int(round(offset_fraction * span))
        for attempt in range(8):
            seg = np.asarray(audio[start : start + num_samples], dtype=np.float32)
            if rms_dbfs(seg) > SILENCE_DBFS or span == 0:
                break
            start = (start + (attempt + 1) * max(1, span // 7)) % (span + 1)
        return seg


class BackgroundBank:
    """Every background recording of a build, each assigned to one split."""

    def __init__(self, config: BackgroundConfig, seed: int, recordings: list[BackgroundRecording]):
        self.config = config
        self.seed = int(seed)
        self.recordings = list(recordings)
        ids = [r.id for r in self.recordings]
        if len(ids) != len(set(ids)):
            raise ValueError("BackgroundBank: recording ids must be unique")
        self._cache: dict[str, np.ndarray] = {}
        self._pools: dict[tuple[str, tuple[str, ...]], BackgroundPool] = {}

    @classmethod
    def build(cls, config: BackgroundConfig, seed: int) -> BackgroundBank:
        """Collect procedural, music-folder and playlist recordings and assign each to one split."""
        recordings: list[BackgroundRecording] = []
        if config.procedural:
            recordings += _procedural_recordings(config, seed)
        cache = Path(config.cache_dir) if config.cache_dir else default_cache_dir("backgrounds")
        if config.music_dir:
            files = _music_files(Path(config.music_dir))
            _refuse_heldout_music(Path(config.music_dir), files)
            recordings += _split_files("music", files, cache, config, origin=f"--music-dir {config.music_dir}")
        if config.youtube_playlist:
            folder = download_playlist(config.youtube_playlist, cache)
            files = _music_files(folder, origin=f"--youtube-playlist {config.youtube_playlist}")
            recordings += _split_files("youtube", files, cache, config, origin=f"--youtube-playlist {config.youtube_playlist}")
        bank = cls(config, seed, recordings)
        empty = [s for s in SPLITS if len(bank.pool(s)) == 0]
        if empty:
            raise BackgroundError(
                f"no background recordings for split(s) {', '.join(empty)}: enable procedural backgrounds "
                "or give at least 3 music files (one per split)"
            )
        return bank

    def pool(self, split: str, exclude_kinds: tuple[str, ...] = ()) -> BackgroundPool:
        """The recordings of ``split``, less any kinds in ``exclude_kinds`` (which must leave some)."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
        key = (split, tuple(sorted(exclude_kinds)))
        if key not in self._pools:
            pool = BackgroundPool(self, split, key[1])
            if exclude_kinds and len(pool) == 0:
                raise BackgroundError(
                    f"holding out background kind(s) {', '.join(key[1])} leaves no {split!r} backgrounds; "
                    f"the {split!r} split has only {', '.join(BackgroundPool(self, split).kinds)}"
                )
            self._pools[key] = pool
        return self._pools[key]

    def load(self, recording: BackgroundRecording) -> np.ndarray:
        """The recording's samples (float32, 16 kHz): regenerated or memory-mapped, cached per process."""
        if recording.id not in self._cache:
            if recording.kind in PROCEDURAL_KINDS:
                rng = np.random.default_rng(int(recording.source))
                audio = generate(recording.kind, rng, self.config.procedural_seconds, SAMPLE_RATE)
            else:
                audio = np.load(recording.source, mmap_mode="r")
            self._cache[recording.id] = audio
        return self._cache[recording.id]

    def summary(self) -> dict[str, dict[str, int]]:
        """Recordings per split and kind (for logs and the dataset card)."""
        out: dict[str, dict[str, int]] = {s: {} for s in SPLITS}
        for r in self.recordings:
            out[r.split][r.kind] = out[r.split].get(r.kind, 0) + 1
        return out

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_cache"] = {}
        state["_pools"] = {}
        return state

    def __repr__(self) -> str:
        return f"BackgroundBank(seed={self.seed}, {self.summary()})"


def _split_seed(seed: int, *key: int) -> int:
    return int(np.random.SeedSequence(int(seed), spawn_key=(_SEED_TAG, *key)).generate_state(1, np.uint64)[0])


def _procedural_recordings(config: BackgroundConfig, seed: int) -> list[BackgroundRecording]:
    out = []
    for s, split in enumerate(SPLITS):
        for k, kind in enumerate(PROCEDURAL_KINDS):
            for i in range(int(config.procedural_per_split[split])):
                out.append(BackgroundRecording(kind, f"{kind}/{split}-{i:03d}", split, str(_split_seed(seed, s, k, i))))
    return out


def _music_files(folder: Path, origin: str | None = None) -> list[Path]:
    origin = origin or f"--music-dir {folder}"
    if not folder.is_dir():
        raise BackgroundError(f"{origin}: {folder} is not a folder; expected a folder of audio files ({', '.join(MUSIC_EXTENSIONS)})")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MUSIC_EXTENSIONS and not p.name.startswith("."))
    if not files:
        raise BackgroundError(
            f"{origin}: no audio files in {folder}; expected music files FFmpeg can read ({', '.join(MUSIC_EXTENSIONS)})"
        )
    return files


HELDOUT_MUSIC_DIR = "heldout"
"""scripts/fetch_music.sh writes the evaluation-only music (Frozen Bubble) under ``OUT/heldout/``."""


def _refuse_heldout_music(folder: Path, files: list[Path]) -> None:
    """The held-out background family must never reach a training set: refuse a folder that holds it."""
    inside = [p for p in files if HELDOUT_MUSIC_DIR in p.relative_to(folder).parts[:-1]]
    if HELDOUT_MUSIC_DIR in folder.resolve().parts or inside:
        raise BackgroundError(
            f"--music-dir {folder}: holds the evaluation-only music of scripts/fetch_music.sh "
            f"(a '{HELDOUT_MUSIC_DIR}' folder{', e.g. ' + str(inside[0]) if inside else ''}); "
            "expected its train folder, e.g. --music-dir data/music/train"
        )


def _decode_cached(path: Path, cache: Path, max_seconds: float) -> tuple[str, Path]:
    """Decode once to a 16 kHz ``.npy`` named by the file's content hash; returns (hash, npy path)."""
    digest = hashlib.sha1(path.read_bytes()).hexdigest()
    target = cache / "decoded" / f"{digest}-{int(max_seconds)}s.npy"
    if target.exists():
        return digest, target
    audio = decode_audio(path, SAMPLE_RATE, name=str(path))
    loud = np.flatnonzero(np.abs(audio) > 10 ** (SILENCE_DBFS / 20))
    audio = audio[loud[0] : loud[-1] + 1] if loud.size else audio[:0]
    if len(audio) < MIN_BACKGROUND_SECONDS * SAMPLE_RATE or rms_dbfs(audio) < SILENCE_DBFS:
        raise AudioDecodeError(f"{path}: silent or shorter than {MIN_BACKGROUND_SECONDS} s; expected a piece of music")
    audio = np.ascontiguousarray(audio[: int(max_seconds * SAMPLE_RATE)], dtype=np.float32)
    atomic_write_with(target, lambda fh: np.save(fh, audio))
    return digest, target


def _split_files(
    kind: str, files: list[Path], cache: Path, config: BackgroundConfig, origin: str
) -> list[BackgroundRecording]:
    """Decode, de-duplicate by content and assign whole files to splits with a shuffle seeded by
    ``config.file_split_seed`` (the same for every build seed)."""
    decoded: dict[str, tuple[Path, Path]] = {}
    failures: list[str] = []
    for path in files:
        try:
            digest, npy = _decode_cached(path, cache, config.max_file_seconds)
        except (AudioDecodeError, OSError) as err:
            failures.append(f"{path.name}: {str(err).splitlines()[0]}")
            continue
        decoded.setdefault(digest, (path, npy))  # a byte-identical copy must not land in two splits
    if not decoded:
        raise BackgroundError(
            f"{origin}: none of the {len(files)} audio file(s) could be used ({'; '.join(failures[:5])}); "
            "expected music files FFmpeg can read, at least 1 s long and not silent"
        )
    if failures:
        warnings.warn(f"{origin}: skipped {len(failures)} unusable file(s): {'; '.join(failures[:10])}", stacklevel=3)
    digests = sorted(decoded)
    order = np.random.default_rng(_split_seed(config.file_split_seed, 100 + _FILE_KINDS.index(kind))).permutation(len(digests))
    counts = _split_counts(len(digests), config.split_fractions)
    if len(digests) < len(SPLITS):
        warnings.warn(
            f"{origin}: only {len(digests)} usable file(s); splits without one use only the procedural backgrounds",
            stacklevel=3,
        )
    out, start = [], 0
    used: set[str] = set()
    for split, count in zip(SPLITS, counts, strict=True):
        for idx in order[start : start + count]:
            path, npy = decoded[digests[idx]]
            rid = f"{kind}/{path.stem}"
            if rid in used:
                rid = f"{rid}-{digests[idx][:8]}"
            used.add(rid)
            out.append(BackgroundRecording(kind, rid, split, str(npy)))
        start += count
    return out


def _split_counts(n: int, fractions: tuple[float, float, float]) -> list[int]:
    """Files per split: proportional, but each split gets one as soon as there are enough files."""
    if n < len(SPLITS):
        return [n, 0, 0] if n == 1 else [1, 0, 1]  # test is the split whose backgrounds matter most
    counts = [max(1, int(round(n * f))) for f in fractions[1:]]
    return [n - sum(counts), *counts]


def download_playlist(url: str, cache: Path) -> Path:
    """Download a playlist's audio with yt-dlp into ``cache/youtube/<hash of url>/``; reruns fetch only new items."""
    try:
        import yt_dlp
    except ImportError:
        raise BackgroundError(
            f"--youtube-playlist {url}: needs the optional dependency yt-dlp, which is not installed. "
            "Install it with `pip install yt-dlp`, or use --music-dir with your own files, "
            "or leave both out to use the built-in procedural backgrounds"
        ) from None
    target = cache / "youtube" / hashlib.sha1(url.encode()).hexdigest()[:16]
    target.mkdir(parents=True, exist_ok=True)
    options = {
        "format": "bestaudio/best",
        "outtmpl": str(target / "%(id)s.%(ext)s"),
        "download_archive": str(target / "downloaded.txt"),
        "ignoreerrors": True,
        "quiet": True,
        "noprogress": True,
        "noplaylist": False,
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            ydl.download([url])
    except Exception as err:  # yt-dlp's DownloadError and network errors
        raise BackgroundError(f"--youtube-playlist {url}: yt-dlp failed ({type(err).__name__}: {err})") from err
    if not any(p.suffix.lower() in MUSIC_EXTENSIONS for p in target.iterdir()):
        raise BackgroundError(
            f"--youtube-playlist {url}: yt-dlp downloaded no audio into {target}; expected a public playlist URL "
            "(is the network reachable?)"
        )
    return target

"""Background bank: every recording in exactly one split; music split by file; clear errors."""

import pickle
import sys
import types
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from synthetic import tone, write_audio

from dataset_builder.backgrounds import BackgroundBank, BackgroundConfig, BackgroundError
from dataset_builder.procedural import PROCEDURAL_KINDS, generate
from dataset_builder.schema import SPLITS
from frontend.audio import SAMPLE_RATE

SMALL = {"train": 3, "validation": 1, "test": 1}


def config(tmp_path, **kw):
    kw.setdefault("procedural_per_split", SMALL)
    kw.setdefault("procedural_seconds", 2.0)
    return BackgroundConfig(cache_dir=str(tmp_path / "cache"), **kw)


def test_procedural_splits_are_disjoint_and_differ_in_sound(tmp_path):
    bank = BackgroundBank.build(config(tmp_path), seed=0)
    ids = {s: {r.id for r in bank.pool(s).recordings} for s in SPLITS}
    assert not ids["train"] & ids["test"] and not ids["train"] & ids["validation"] and not ids["validation"] & ids["test"]
    assert bank.summary()["train"] == {k: 3 for k in PROCEDURAL_KINDS}
    for kind in PROCEDURAL_KINDS:
        train = bank.load(next(r for r in bank.pool("train").recordings if r.kind == kind))
        test = bank.load(next(r for r in bank.pool("test").recordings if r.kind == kind))
        assert not np.array_equal(train, test)


def test_procedural_recordings_depend_only_on_the_seed(tmp_path):
    a = BackgroundBank.build(config(tmp_path), seed=7)
    b = pickle.loads(pickle.dumps(BackgroundBank.build(config(tmp_path), seed=7)))
    c = BackgroundBank.build(config(tmp_path), seed=8)
    ra, rb, rc = (x.pool("test").recordings[0] for x in (a, b, c))
    assert a.load(ra).tobytes() == b.load(rb).tobytes()
    assert a.load(ra).tobytes() != c.load(rc).tobytes()


@pytest.mark.parametrize("kind", PROCEDURAL_KINDS)
def test_each_procedural_kind_is_finite_bounded_and_audible(kind):
    x = generate(kind, np.random.default_rng(1), 2.0)
    assert x.dtype == np.float32 and len(x) == 2 * SAMPLE_RATE
    assert np.all(np.isfinite(x)) and 0.4 < np.max(np.abs(x)) <= 0.5
    assert np.sqrt(np.mean(x**2)) > 0.02


def _music(folder: Path, n: int) -> list[Path]:
    return [write_audio(folder / f"song{i}.{['wav', 'ogg', 'flac'][i % 3]}", tone(200.0 + 50 * i, 1.5)) for i in range(n)]


def test_music_dir_is_split_by_file(tmp_path):
    _music(tmp_path / "music", 8)
    bank = BackgroundBank.build(config(tmp_path, music_dir=str(tmp_path / "music")), seed=0)
    music = [r for r in bank.recordings if r.kind == "music"]
    assert sorted(r.id for r in music) == sorted(f"music/song{i}" for i in range(8))  # each file once
    per_split = {s: [r.id for r in music if r.split == s] for s in SPLITS}
    assert all(per_split[s] for s in SPLITS)
    assert len(per_split["train"]) > len(per_split["test"])
    # a segment of a split's music comes from that split's file
    pool = bank.pool("test")
    rec = next(r for r in pool.recordings if r.kind == "music")
    seg = pool.segment(rec.id, 0.5, SAMPLE_RATE)
    assert seg.shape == (SAMPLE_RATE,) and np.sqrt(np.mean(seg**2)) > 0.1


def test_a_music_file_keeps_its_split_whatever_the_build_seed(tmp_path):
    """A supplement built with another seed (the low-SNR stage) must never train on the test split's music."""
    _music(tmp_path / "music", 9)
    cfg = config(tmp_path, music_dir=str(tmp_path / "music"))
    splits = [{r.id: r.split for r in BackgroundBank.build(cfg, seed=s).recordings if r.kind == "music"} for s in (0, 1, 7)]
    assert splits[0] == splits[1] == splits[2]
    assert set(splits[0].values()) == set(SPLITS)
    other = {r.id: r.split for r in BackgroundBank.build(replace(cfg, file_split_seed=5), seed=0).recordings if r.kind == "music"}
    assert other != splits[0], "file_split_seed does not reach the shuffle"


def test_music_split_is_reproducible_and_cached(tmp_path):
    _music(tmp_path / "music", 6)
    cfg = config(tmp_path, music_dir=str(tmp_path / "music"))
    a = {r.id: r.split for r in BackgroundBank.build(cfg, seed=3).recordings if r.kind == "music"}
    cached = sorted((tmp_path / "cache" / "decoded").glob("*.npy"))
    assert len(cached) == 6
    mtimes = [p.stat().st_mtime_ns for p in cached]
    b = {r.id: r.split for r in BackgroundBank.build(cfg, seed=3).recordings if r.kind == "music"}
    assert a == b
    assert [p.stat().st_mtime_ns for p in cached] == mtimes  # nothing decoded twice


def test_duplicate_files_cannot_land_in_two_splits(tmp_path):
    files = _music(tmp_path / "music", 4)
    (tmp_path / "music" / "copy_of_song0.wav").write_bytes(files[0].read_bytes())
    bank = BackgroundBank.build(config(tmp_path, music_dir=str(tmp_path / "music")), seed=0)
    assert len([r for r in bank.recordings if r.kind == "music"]) == 4


def test_empty_music_folder_names_the_folder_and_what_was_expected(tmp_path):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "cover.jpg").write_bytes(b"not audio")
    with pytest.raises(BackgroundError, match=r"music.*no audio files.*expected music files"):
        BackgroundBank.build(config(tmp_path, music_dir=str(tmp_path / "music")), seed=0)


def test_missing_music_folder_is_an_error(tmp_path):
    with pytest.raises(BackgroundError, match="not a folder"):
        BackgroundBank.build(config(tmp_path, music_dir=str(tmp_path / "nope")), seed=0)


def test_unreadable_music_files_are_named(tmp_path):
    (tmp_path / "music").mkdir()
    (tmp_path / "music" / "broken.mp3").write_bytes(b"\x00garbage" * 50)
    with pytest.raises(BackgroundError, match=r"broken\.mp3"):
        BackgroundBank.build(config(tmp_path, music_dir=str(tmp_path / "music")), seed=0)


def test_without_procedural_every_split_needs_a_file(tmp_path):
    _music(tmp_path / "music", 2)
    with pytest.warns(UserWarning, match="only 2 usable"):
        with pytest.raises(BackgroundError, match="validation"):
            BackgroundBank.build(config(tmp_path, music_dir=str(tmp_path / "music"), procedural=False), seed=0)


def test_yt_dlp_absent_gives_an_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yt_dlp", None)  # makes `import yt_dlp` fail
    with pytest.raises(BackgroundError, match=r"yt-dlp.*pip install yt-dlp"):
        BackgroundBank.build(config(tmp_path, youtube_playlist="https://example.invalid/playlist?list=x"), seed=0)


def test_youtube_playlist_goes_through_yt_dlp_and_is_split_by_video(tmp_path, monkeypatch):
    calls = []

    class FakeYoutubeDL:
        def __init__(self, options):
            self.options = options

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def download(self, urls):
            calls.append((urls, self.options))
            folder = Path(self.options["outtmpl"]).parent
            for i in range(4):
                write_audio(folder / f"vid{i}.ogg", tone(300.0 + 40 * i, 1.2))

    monkeypatch.setitem(sys.modules, "yt_dlp", types.SimpleNamespace(YoutubeDL=FakeYoutubeDL))
    url = "https://www.youtube.com/playlist?list=PLfake"
    bank = BackgroundBank.build(config(tmp_path, youtube_playlist=url), seed=0)
    (urls, options), = calls
    assert urls == [url] and options["format"].startswith("bestaudio")
    assert "download_archive" in options  # a rerun fetches only new videos
    videos = [r for r in bank.recordings if r.kind == "youtube"]
    assert sorted(r.id for r in videos) == [f"youtube/vid{i}" for i in range(4)]
    assert {r.split for r in videos} == set(SPLITS)


def test_bank_pickles_without_audio(tmp_path):
    bank = BackgroundBank.build(config(tmp_path), seed=0)
    for r in bank.recordings:
        bank.load(r)
    assert len(pickle.dumps(bank)) < 20_000


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="procedural_per_split"):
        BackgroundConfig(procedural_per_split={"train": 1})
    with pytest.raises(ValueError, match="split_fractions"):
        BackgroundConfig(split_fractions=(0.5, 0.5, 0.5))

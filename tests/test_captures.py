"""dataset_builder.captures: simulated phone captures of a recording, for enrolment; reproducible, bad input named."""

import json

import numpy as np
import pytest
import soundfile as sf
from synthetic import fake_cry

from dataset_builder.backgrounds import BackgroundConfig
from dataset_builder.captures import CaptureArguments, CaptureMaker, main, parse_args, write_captures
from dataset_builder.variants import AugmentConfig
from frontend.audio import CLIP_SECONDS, SAMPLE_RATE


@pytest.fixture(scope="module")
def maker(tmp_path_factory):
    """The builder's chain with few rooms and short procedural backgrounds (fast to simulate)."""
    cache = tmp_path_factory.mktemp("captures-cache")
    return CaptureMaker(augment=AugmentConfig(rooms_per_split={"train": 2, "validation": 1, "test": 1}, positions_per_room=2),
                        backgrounds=BackgroundConfig(cache_dir=str(cache), procedural_seconds=5.0,
                                                     procedural_per_split={"train": 2, "validation": 1, "test": 1}))


@pytest.fixture(scope="module")
def cry(tmp_path_factory):
    path = tmp_path_factory.mktemp("cry") / "newmon.wav"
    sf.write(path, fake_cry(4, 0.7), SAMPLE_RATE)
    return path


def test_captures_are_the_capture_chain_reproducible_and_keyed(maker):
    x = fake_cry(2, 0.6)
    a, b, other = maker.captures(x, 3, key=0), maker.captures(x, 3, key=0), maker.captures(x, 3, key=1)
    assert len(a) == 3 and all(len(audio) == int(CLIP_SECONDS * SAMPLE_RATE) for audio, _ in a)
    assert all(recipe["condition"] == "capture" for _, recipe in a)
    assert all(np.array_equal(p, q) for (p, _), (q, _) in zip(a, b, strict=True))
    assert not np.array_equal(a[0][0], other[0][0]) and not np.array_equal(a[0][0], a[1][0])
    steps = {s["name"] for s in a[0][1]["transforms"]}
    assert {"place", "background", "loudspeaker", "room", "microphone", "codec"} <= steps


def test_the_command_writes_wavs_and_their_recipes(maker, cry, tmp_path):
    out = write_captures(CaptureArguments(audio=[str(cry), str(cry)], output=str(tmp_path / "caps"), count=2), maker)
    wavs = sorted(p.name for p in out.glob("*.wav"))
    assert wavs == ["00-newmon-000.wav", "00-newmon-001.wav", "01-newmon-000.wav", "01-newmon-001.wav"]
    audio, rate = sf.read(out / wavs[0], dtype="float32")
    assert rate == SAMPLE_RATE and len(audio) == int(CLIP_SECONDS * SAMPLE_RATE) and np.max(np.abs(audio)) > 0.01
    index = json.loads((out / "captures.json").read_text())
    assert [e["file"] for e in index] == wavs and all(e["source"] == "newmon.wav" for e in index)
    assert index[0]["recipe"]["condition"] == "capture"


def test_audio_may_repeat_or_list_several(cry, tmp_path):
    args = parse_args(["--audio", str(cry), str(cry), "--audio", str(cry), "--output", str(tmp_path / "o"), "--count", "3"])
    assert args.audio == [str(cry)] * 3 and args.count == 3 and args.seed == 0


def test_bad_input_is_named(maker, cry, tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(ValueError, match="full: exists and is not an empty folder"):
        write_captures(CaptureArguments(audio=[str(cry)], output=str(tmp_path / "full")), maker)
    with pytest.raises(ValueError, match="--count 0: expected 1-1000"):
        CaptureArguments(audio=[str(cry)], output=str(tmp_path / "o"), count=0)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SAMPLE_RATE, np.float32), SAMPLE_RATE)
    with pytest.raises(ValueError, match="silent.wav: .*silent"):
        write_captures(CaptureArguments(audio=[str(silent)], output=str(tmp_path / "s")), maker)
    assert not (tmp_path / "s").exists()  # nothing half-written
    assert main(["--audio", str(tmp_path / "missing.ogg"), "--output", str(tmp_path / "m")]) == 2
    assert "--audio " + str(tmp_path / "missing.ogg") + ": no such file" in capsys.readouterr().err

"""Live listening (recognizer/live.py) with the tiny trained model: streamed chunks in, a name when a cry is heard."""

import shutil
import subprocess

import numpy as np
import pytest

from dataset_builder.procedural import chiptune
from frontend.audio import SAMPLE_RATE, decode_audio, resample
from recognizer.live import IDLE, LISTENING, STOPPED, LiveConfig, LiveListener
from recognizer.predict import Recognizer
from tests.live_model import trained_live_model
from tests.tiny_model import LABELS, species_cry

RATE = 48_000  # what a browser's microphone usually records at
CHUNK = 0.1  # s: what the browser sends at a time


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.from_pretrained(str(trained_live_model()), threads=1)


def talk(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Speech at RATE: espeak-ng when installed, else syllable-rate modulated formant-like noise."""
    if shutil.which("espeak-ng"):
        wav = subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "160", "--stdout", "Who is that Pokemon? Listen closely now."],
            check=True, capture_output=True,
        ).stdout
        speech = resample(decode_audio(wav), SAMPLE_RATE, RATE)
        speech = np.tile(speech, int(np.ceil(seconds * RATE / len(speech))))
    else:
        n = int(seconds * RATE)
        speech = rng.standard_normal(n) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * np.arange(n) / RATE))
    speech = speech[: int(seconds * RATE)]
    return (0.3 * speech / (np.max(np.abs(speech)) or 1.0)).astype(np.float32)


def music(seconds: float, seed: int) -> np.ndarray:
    return 0.6 * chiptune(np.random.default_rng(seed), seconds, RATE).astype(np.float32)


def stream(listener: LiveListener, samples: np.ndarray, chunk: float = CHUNK, as_int16: bool = True):
    """Feed ``samples`` in browser-sized chunks (int16 like Gradio's numpy audio); yields each update."""
    step = int(chunk * RATE)
    for start in range(0, len(samples), step):
        part = samples[start : start + step]
        if as_int16:
            part = np.clip(part * 32767, -32768, 32767).astype(np.int16)
        yield listener.feed(part, RATE)


@pytest.mark.parametrize("label", LABELS)
def test_talk_then_cry_then_music_names_the_cry_soon_after_it_ends(recognizer, label):
    rng = np.random.default_rng(3)
    cry = species_cry(label, 1.2, RATE, seed=11)
    audio = np.concatenate([talk(2.0, rng), np.zeros(RATE // 4, np.float32), cry, music(4.0, seed=5)])
    cry_end = (len(audio) - 4.0 * RATE) / RATE
    listener = LiveListener(recognizer)
    named_at = None
    for update in stream(listener, audio):
        if update.current is not None and named_at is None:
            named_at = update.elapsed
            assert update.current.label == label
            assert cry_end - 1.2 <= update.current.heard_at <= update.elapsed, "heard_at should point at the cry"
    assert named_at is not None, f"{label}: never named; last analysis {listener.last}"
    assert named_at - cry_end <= 2.0, f"named {named_at - cry_end:.2f} s after the cry ended (goal <= 2 s)"
    assert [d.label for d in listener.detections] == [label], "the same cry must be one detection"
    assert listener.detections[0].probability >= recognizer.threshold


def test_cryless_stream_never_names_a_species(recognizer):
    rng = np.random.default_rng(4)
    noise = 0.05 * rng.standard_normal(3 * RATE).astype(np.float32)
    audio = np.concatenate([talk(4.0, rng), music(8.0, seed=1), noise, np.zeros(RATE, np.float32), music(5.0, seed=2)])
    listener = LiveListener(recognizer)
    updates = list(stream(listener, audio))
    assert all(u.current is None for u in updates)
    assert listener.detections == []
    assert listener.analyses == pytest.approx(len(audio) / RATE / 0.5, abs=1), "one analysis per half second"


def test_two_cries_are_two_detections_latest_first_in_history(recognizer):
    gap = np.zeros(4 * RATE, np.float32)
    first, second = LABELS[0], LABELS[2]
    audio = np.concatenate([species_cry(first, 1.0, RATE, seed=1), gap, species_cry(second, 1.0, RATE, seed=2), gap])
    listener = LiveListener(recognizer)
    last = list(stream(listener, audio))[-1]
    assert [d.label for d in listener.detections] == [first, second]
    assert last.current.label == second and [d.label for d in last.earlier] == [first]
    assert last.earlier[0].heard_at < 1.0 and 4.5 <= last.current.heard_at <= 6.0


def test_a_single_confident_window_is_not_enough(recognizer):
    """With confirmations=2, a cry heard by only one analysis is not named (it stays honest on flukes)."""
    cry = species_cry(LABELS[1], 1.0, RATE, seed=4)
    audio = np.concatenate([cry, np.zeros(3 * RATE, np.float32)])
    once = LiveListener(recognizer, LiveConfig(hop_seconds=10.0, confirmations=2, time_limit_seconds=2.0))
    list(stream(once, audio))
    assert once.analyses == 1 and once.detections == []
    single = LiveListener(recognizer, LiveConfig(hop_seconds=10.0, confirmations=1, time_limit_seconds=2.0))
    list(stream(single, audio))
    assert [d.label for d in single.detections] == [LABELS[1]]


def test_time_limit_stops_listening_and_bounds_the_work(recognizer):
    listener = LiveListener(recognizer, LiveConfig(time_limit_seconds=3.0))
    assert listener.state == IDLE
    audio = np.concatenate([np.zeros(2 * RATE, np.float32), species_cry(LABELS[0], 1.0, RATE), music(3.0, 0)])
    updates = list(stream(listener, audio, as_int16=False))
    assert updates[0].state == LISTENING
    assert updates[-1].state == STOPPED and listener.elapsed == pytest.approx(3.0)
    assert listener.analyses == 6
    assert [u.analysed for u in updates].count(True) == 6
    assert listener.feed(np.ones(RATE, np.float32), RATE).analysed is False


def test_stop_keeps_the_answer(recognizer):
    listener = LiveListener(recognizer)
    list(stream(listener, np.concatenate([species_cry(LABELS[2], 1.0, RATE), np.zeros(RATE, np.float32)])))
    update = listener.stop()
    assert update.state == STOPPED and update.current.label == LABELS[2]
    assert listener.feed(np.zeros(RATE, np.int16), RATE).state == STOPPED


def test_silence_is_quiet_and_costs_no_model_call(recognizer, monkeypatch):
    listener = LiveListener(recognizer)
    calls = []
    monkeypatch.setattr(recognizer, "batcher", lambda input_values: calls.append(input_values))
    updates = list(stream(listener, np.zeros(3 * RATE, np.float32)))
    assert calls == [] and listener.analyses == 6
    assert all(u.level_dbfs < -60 for u in updates) and listener.last.reason == "silence"


def test_level_follows_the_chunk_and_stereo_is_mixed_down(recognizer):
    listener = LiveListener(recognizer)
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(int(0.1 * RATE)) / RATE).astype(np.float32)
    loud = listener.feed(np.stack([tone, tone], axis=1), RATE)
    assert loud.level_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.5)
    quiet = listener.feed(tone / 100, RATE)
    assert quiet.level_dbfs == pytest.approx(loud.level_dbfs - 40, abs=0.5)


def test_bad_config_and_input_say_what_was_expected(recognizer):
    with pytest.raises(ValueError, match="hop_seconds"):
        LiveConfig(hop_seconds=0)
    with pytest.raises(ValueError, match="buffer_seconds"):
        LiveConfig(hop_seconds=1.0, buffer_seconds=0.5)
    with pytest.raises(ValueError, match="confirmations"):
        LiveConfig(confirmations=0)
    with pytest.raises(ValueError, match="sample rate"):
        LiveListener(recognizer).feed(np.zeros(100, np.float32), 0)


def test_wall_clock_limit_stops_a_slow_stream(recognizer):
    """Chunks lost on the way (a slow network or server) must not keep the microphone open past the limit."""
    now = [100.0]
    listener = LiveListener(recognizer, LiveConfig(time_limit_seconds=5.0), clock=lambda: now[0])
    for _ in range(4):
        assert listener.feed(np.zeros(RATE // 10, np.float32), RATE).state == LISTENING
        now[0] += 1.5
    assert listener.feed(np.zeros(RATE // 10, np.float32), RATE).state == STOPPED
    assert listener.elapsed == pytest.approx(0.5)

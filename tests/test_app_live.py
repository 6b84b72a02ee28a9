"""The Live tab's server side (app_live.py) in-process: sessions by token, PCM decoding, limits, rendering."""

import gradio as gr
import numpy as np
import pytest

import app_live
from app_live import LiveSessions, clock, decode_pcm
from recognizer.predict import Recognizer
from tests.live_model import trained_live_model
from tests.tiny_model import species_cry


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.from_pretrained(str(trained_live_model()), threads=1)


def _card(prediction, language):
    return f'<div class="who-name">{prediction.top.name(language)}</div>'


def _pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def test_a_cry_sent_in_half_seconds_is_named_in_the_chosen_language(recognizer):
    sessions = LiveSessions(lambda: recognizer, _card)
    audio = np.concatenate([np.zeros(8000, np.float32), species_cry("Squirtle", 1.2, seed=2), np.zeros(32000, np.float32)])
    answers = [sessions.chunk("page-0001", _pcm(audio[i : i + 8000]), 16000, "fr", False) for i in range(0, len(audio), 8000)]
    named = [a for a in answers if "who-name" in a["card"]]
    assert named and "Carapuce" in named[0]["card"] and "Heard at 0:0" in named[0]["card"]
    assert all("Carapuce" not in a["card"] for a in answers[:2]), "named before the cry was heard"
    assert 'data-elapsed="3.70"' in answers[-1]["status"] and not answers[-1]["stopped"]
    stopped = sessions.chunk("page-0001", b"", 16000, "fr", True)
    assert stopped["stopped"] and "Stopped after 0:03" in stopped["status"] and "Carapuce" in stopped["card"]


def test_each_token_has_its_own_listener_and_idle_ones_are_forgotten(recognizer, monkeypatch):
    sessions = LiveSessions(lambda: recognizer, _card)
    sessions.chunk("page-aaaa", _pcm(np.zeros(8000)), 16000, "en", False)
    sessions.chunk("page-bbbb", _pcm(np.zeros(16000)), 16000, "en", False)
    assert {t: s.listener.elapsed for t, s in sessions.sessions.items()} == {"page-aaaa": 0.5, "page-bbbb": 1.0}
    monkeypatch.setattr(app_live, "IDLE_SECONDS", 0.0)
    sessions.chunk("page-cccc", _pcm(np.zeros(800)), 16000, "en", False)
    assert list(sessions.sessions) == ["page-cccc"]


def test_too_many_listeners_get_a_busy_message(recognizer, monkeypatch):
    monkeypatch.setattr(app_live, "LIVE_MAX_LISTENERS", 2)
    sessions = LiveSessions(lambda: recognizer, _card)
    for token in ("page-0001", "page-0002"):
        sessions.chunk(token, _pcm(np.zeros(800)), 16000, "en", False)
    with pytest.raises(gr.Error, match="2 people are listening"):
        sessions.chunk("page-0003", _pcm(np.zeros(800)), 16000, "en", False)
    sessions.chunk("page-0001", b"", 16000, "en", True)  # a listener stops: room for one more
    sessions.chunk("page-0003", _pcm(np.zeros(800)), 16000, "en", False)


@pytest.mark.parametrize(
    "token,pcm,rate,match",
    [("x", b"", 16000, "session token"), ("page-0001", b"abc", 16000, "expected an even number"),
     ("page-0001", b"", 4000, "sample rate 4000 Hz"), ("page-0001", b"", 384000, "expected 8000-192000 Hz")],
)
def test_bad_requests_say_what_was_expected(recognizer, token, pcm, rate, match):
    with pytest.raises(gr.Error, match=match):
        LiveSessions(lambda: recognizer, _card).chunk(token, pcm, rate, "en", False)


def test_decode_pcm_limits_the_chunk_length():
    assert decode_pcm(_pcm(np.array([0.5, -0.5]))).tolist() == [16383, -16383]
    with pytest.raises(gr.Error, match="at most 10 s"):
        decode_pcm(bytes(2 * 16000 * 11), 16000)


def test_clock():
    assert [clock(0), clock(7.9), clock(65), clock(-1)] == ["0:00", "0:07", "1:05", "0:00"]

"""The plain HTTP routes (app_rest.py): POST /api/identify and /api/live_chunk, in-process and in the running app."""

import logging
import re
import time
from pathlib import Path

import gradio as gr
import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app_live import MAX_CHUNK_BYTES, LiveSessions
from app_rest import rest_routes, safe_name
from recognizer.predict import Recognizer
from recognizer.recording import MAX_UPLOAD_BYTES
from tests.app_server import running_app
from tests.synthetic import write_audio
from tests.tiny_model import SPECIES, species_cry, trained_tiny_model


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer.from_pretrained(str(trained_tiny_model()), threads=1)


class Calls:
    """A stand-in verdict: records what it was given (the file's name and bytes, the language)."""

    def __init__(self, error: gr.Error | None = None):
        self.seen: list[tuple[str, bytes, str]] = []
        self.error = error

    def __call__(self, path: str, language: str) -> dict:
        self.seen.append((Path(path).name, Path(path).read_bytes(), language))
        if self.error is not None:
            raise self.error
        return {"label": "Squirtle", "language": language}


def _client(verdict, recognizer, folder, health=lambda: {"status": "ready", "labels": 3}) -> TestClient:
    sessions = LiveSessions(lambda: recognizer, lambda prediction, language: prediction.top.name(language))
    return TestClient(FastAPI(routes=rest_routes(verdict, sessions, lambda: folder, health)))


def test_health_is_503_until_the_model_is_ready(recognizer, tmp_path):
    states = iter([{"status": "loading"}, {"status": "ready", "labels": 3}, {"status": "no model", "error": "gone"}])
    client = _client(Calls(), recognizer, tmp_path, health=lambda: next(states))
    loading = client.get("/api/health")
    assert loading.status_code == 503 and loading.headers["Retry-After"] == "1" and loading.json() == {"status": "loading"}
    ready = client.get("/api/health")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "labels": 3}
    broken = client.get("/api/health")
    assert broken.status_code == 503 and "Retry-After" not in broken.headers and broken.json()["error"] == "gone"


def test_identify_takes_the_raw_body_or_a_form_field_and_cleans_up(recognizer, tmp_path):
    calls = Calls()
    client = _client(calls, recognizer, tmp_path)
    assert client.post("/api/identify?language=fr", content=b"RIFF1234").json() == {"label": "Squirtle", "language": "fr"}
    answer = client.post("/api/identify", files={"file": ("../../etc/cry one.wav", b"RIFF5678")}, data={"language": "de"})
    assert answer.status_code == 200 and answer.json()["language"] == "de"
    assert calls.seen == [("recording", b"RIFF1234", "fr"), ("cry one.wav", b"RIFF5678", "de")]
    assert list(tmp_path.iterdir()) == [], "the recording was left in the upload folder"


@pytest.mark.parametrize(
    "title,status", [("Cannot use this recording", 400), ("Busy", 503), ("Server error", 500), ("No model", 503)]
)
def test_identify_errors_are_json_with_the_right_status(recognizer, tmp_path, title, status):
    client = _client(Calls(gr.Error("cry.wav: the file is empty", title=title)), recognizer, tmp_path)
    answer = client.post("/api/identify", files={"file": ("cry.wav", b"")})
    assert answer.status_code == status
    assert answer.json() == {"error": "cry.wav: the file is empty", "title": title}
    assert (answer.headers.get("retry-after") == "5") == (status == 503)


def test_identify_refuses_an_oversize_body_and_a_form_without_the_file(recognizer, tmp_path, caplog):
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    app_log = logging.getLogger("who_tf_screamin")
    app_log.addHandler(handler)  # the app's own logger, whether or not it propagates (app.configure_logging)
    caplog.set_level(logging.INFO, logger="who_tf_screamin")
    calls = Calls()
    client = _client(calls, recognizer, tmp_path)
    big = client.post("/api/identify", content=bytes(MAX_UPLOAD_BYTES + 1))
    assert big.status_code == 413 and "10 MB limit" in big.json()["error"]
    streamed = client.post("/api/identify", content=iter([bytes(MAX_UPLOAD_BYTES // 2)] * 3))  # chunked, no length
    assert streamed.status_code == 413
    no_file = client.post("/api/identify", data={"language": "fr"}, files={"other": ("a.wav", b"x")})
    assert no_file.status_code == 400 and "field 'file'" in no_file.json()["error"]
    assert calls.seen == []
    app_log.removeHandler(handler)
    assert len(lines) == 3 and all(line.startswith("api/identify refused file='-'") for line in lines)
    assert "10 MB limit" in lines[0] and "field 'file'" in lines[2]


def test_live_chunk_takes_raw_pcm(recognizer, tmp_path):
    client = _client(Calls(), recognizer, tmp_path)
    pcm = np.zeros(8000, "<i2").tobytes()
    first = client.post("/api/live_chunk?token=page-0001&rate=16000&language=en&stop=0", content=pcm).json()
    assert 'data-elapsed="0.50"' in first["status"] and not first["stopped"]
    assert 'data-elapsed="1.00"' in client.post("/api/live_chunk?token=page-0001&rate=16000", content=pcm).json()["status"]
    assert client.post("/api/live_chunk?token=page-0001&rate=16000&stop=1", content=b"").json()["stopped"]
    bad = [
        ("token=x&rate=16000", pcm, 400, "session token"),
        ("token=page-0002&rate=fast", pcm, 400, "expected a number of Hz"),
        ("token=page-0002&rate=16000", b"abc", 400, "even number"),
        ("token=page-0002&rate=16000", bytes(MAX_CHUNK_BYTES + 2), 413, "at most 10 s"),
    ]
    for query, body, status, message in bad:
        answer = client.post(f"/api/live_chunk?{query}", content=body)
        assert answer.status_code == status and message in answer.json()["error"], query


def test_safe_name_keeps_the_last_part_only():
    assert [safe_name(n) for n in ["cry.wav", "../../etc/passwd", "C:\\a\\b.ogg", "..", None, "a<b>.mp3"]] == [
        "cry.wav", "passwd", "b.ogg", "recording", "recording", "a_b_.mp3"]


def test_the_running_app_serves_the_routes_in_front_of_gradio(tmp_path):
    log = tmp_path / "app.log"
    cry = write_audio(tmp_path / "squirtle.ogg", species_cry("Squirtle", 1.5, 44100, seed=12), 44100)
    with running_app(trained_tiny_model(), log_path=log) as url, httpx.Client(timeout=30) as http:
        health = http.get(url + "api/health")  # running_app waited for it
        assert health.status_code == 200 and health.json() == {"status": "ready", "labels": len(SPECIES)}
        verdict = http.post(url + "api/identify?language=fr", files={"file": ("squirtle.ogg", cry.read_bytes())}).json()
        assert verdict["label"] == "Squirtle" and verdict["name"] == "Carapuce" and verdict["not_sure"] is False
        junk = http.post(url + "api/identify", content=b"definitely not audio" * 50)
        assert junk.status_code == 400 and junk.json()["error"].startswith("recording: could not decode")
        assert "/tmp" not in junk.text
        live = http.post(url + "api/live_chunk?token=page-0001&rate=16000", content=np.zeros(8000, "<i2").tobytes())
        assert live.status_code == 200 and "who-live-card-body" in live.json()["card"]
        deadline = time.monotonic() + 5
        while "api/identify answer file='squirtle.ogg'" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert re.search(r"api/identify answer file='squirtle.ogg' \d+ ms reason=Squirtle", log.read_text())

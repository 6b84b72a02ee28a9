"""app.py through gradio_client: /predict's label dict, /identify's verdict, clear errors on bad input, log lines."""

import glob
import re
import time
from pathlib import Path

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from recognizer.predict import NOT_SURE_MESSAGE, Guess, Prediction
from tests.app_server import running_app
from tests.synthetic import write_audio
from tests.tiny_model import LABELS, SPECIES, species_cry, trained_tiny_model


@pytest.fixture(scope="module")
def app_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app") / "app.log"


@pytest.fixture(scope="module")
def client(app_log):
    from gradio_client import Client

    with running_app(trained_tiny_model(), log_path=app_log) as url:
        yield Client(url, verbose=False)


def _log_lines(app_log: Path, file_name: str, timeout: float = 5.0) -> list[str]:
    """The app's request log lines that name ``file_name`` (they are written right after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in app_log.read_text().splitlines() if f"file='{file_name}'" in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def _predict(client, path):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)) if path else None, api_name="/predict")


def test_api_page_shows_predict_and_identify(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/predict", "/identify"]
    (parameter,) = endpoints["/predict"]["parameters"]
    assert parameter["component"] == "Audio"
    assert endpoints["/predict"]["returns"][0]["component"] == "Label"
    audio, language = endpoints["/identify"]["parameters"]
    assert audio["component"] == "Audio" and not audio["parameter_has_default"]
    assert language["parameter_name"] == "language" and language["parameter_default"] == "en"
    assert endpoints["/identify"]["returns"][0]["component"] == "Json"


def _identify(client, path, *language):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)), *language, api_name="/identify")


def test_identify_returns_the_verdict(client, tmp_path, rng):
    path = write_audio(tmp_path / "squirtle.ogg", species_cry("Squirtle", 1.5, 44100, seed=12), 44100)
    verdict = _identify(client, path)
    assert set(verdict) >= {"label", "confidence", "not_sure", "reason", "guesses"}
    assert verdict["label"] == "Squirtle" and verdict["not_sure"] is False and verdict["reason"] == ""
    assert verdict["guesses"][0] == {"label": "Squirtle", "name": "Squirtle", "confidence": verdict["confidence"]}
    assert _identify(client, path, "fr")["name"] == "Carapuce" and _identify(client, path, "fr")["label"] == "Squirtle"
    noise = _identify(client, write_audio(tmp_path / "noise.wav", 0.2 * rng.standard_normal(3 * SAMPLE_RATE)))
    assert noise["not_sure"] is True and noise["reason"] == "noise" and noise["message"]
    silent = _identify(client, write_audio(tmp_path / "quiet.wav", np.zeros(SAMPLE_RATE, np.float32)))
    assert silent["not_sure"] is True and silent["reason"] == "silence" and silent["label"] is None


@pytest.mark.parametrize("label,fmt,rate,channels", [("Charmander", "ogg", 44100, 2), ("Squirtle", "mp3", 22050, 1)])
def test_predict_returns_the_top_label_dict(client, tmp_path, label, fmt, rate, channels):
    path = write_audio(tmp_path / f"cry.{fmt}", species_cry(label, 1.5, rate, seed=11), rate, channels)
    result = _predict(client, path)
    assert result["label"] == label
    confidences = [c["confidence"] for c in result["confidences"]]
    assert [c["label"] for c in result["confidences"]][0] == label
    assert {c["label"] for c in result["confidences"]} == set(LABELS)  # top-5 of a 3-species model: all 3
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) == pytest.approx(1.0, abs=1e-4)


def _bad_inputs(tmp_path):
    (tmp_path / "notes.txt").write_text("definitely not audio\n" * 200)
    (tmp_path / "empty.wav").write_bytes(b"")
    write_audio(tmp_path / "silence.wav", np.zeros(2 * SAMPLE_RATE, np.float32))
    write_audio(tmp_path / "long.flac", np.full(31 * 8000, 0.05, np.float32), 8000)
    write_audio(tmp_path / "huge.wav", np.zeros(60 * 48000, np.float32) + 0.01, 48000, channels=2)  # 11.5 MB
    return [
        (tmp_path / "notes.txt", "could not decode"),
        (tmp_path / "empty.wav", "empty"),
        (tmp_path / "silence.wav", "silent"),
        (tmp_path / "long.flac", "longer than 30 s"),
        (tmp_path / "huge.wav", "(?i)size|large|limit"),
        (None, "No recording yet"),
    ]


def test_bad_inputs_raise_clear_errors_and_the_app_keeps_serving(client, tmp_path):
    good = write_audio(tmp_path / "good.wav", species_cry("Bulbasaur", 1.2, seed=4))
    for path, message in _bad_inputs(tmp_path):
        with pytest.raises(Exception, match=message) as caught:
            _predict(client, path)
        if path is None or path.name != "huge.wav":  # gradio_client refuses that one itself, naming its own path
            assert str(tmp_path) not in str(caught.value) and "/tmp" not in str(caught.value)
        assert _predict(client, good)["label"] == "Bulbasaur", f"the app stopped answering after {path}"


def test_odd_recordings_get_a_specific_answer_and_a_log_line(client, tmp_path, app_log):
    import soundfile as sf

    write_audio(tmp_path / "blip.wav", species_cry("Bulbasaur", 1.0)[:200])
    with pytest.raises(Exception, match="blip.wav: 12.5 ms is too short.*25 ms"):
        _identify(client, tmp_path / "blip.wav")
    broken = species_cry("Charmander", 1.2, 48000, seed=6)
    broken[[10, 5000]] = [np.nan, np.inf]
    sf.write(tmp_path / "nan.wav", broken, 48000, subtype="FLOAT")
    assert _identify(client, tmp_path / "nan.wav")["label"] == "Charmander"
    fragment = write_audio(tmp_path / "fragment.wav", species_cry("Squirtle", 1.0)[8000:8640])  # 40 ms
    assert _identify(client, fragment)["reason"] == "too_short"
    (line,) = _log_lines(app_log, "blip.wav")
    assert re.search(r"identify refused file='blip.wav' \d+ ms reason=blip.wav: 12.5 ms is too short", line)
    (line,) = _log_lines(app_log, "fragment.wav")
    assert re.search(r"identify not_sure file='fragment.wav' \d+ ms reason=too_short", line)
    assert "/tmp" not in "".join(_log_lines(app_log, "nan.wav"))


def test_uploads_live_in_a_private_folder_removed_at_shutdown(tmp_path):
    from gradio_client import Client, handle_file

    log = tmp_path / "app.log"
    path = write_audio(tmp_path / "cry.wav", species_cry("Bulbasaur", 1.0))
    with running_app(trained_tiny_model(), log_path=log) as url:
        client = Client(url, verbose=False)
        client.predict(handle_file(str(path)), api_name="/predict")
        client.close()
        (folder,) = re.findall(r"uploads go to (\S+)", log.read_text())
        assert glob.glob(f"{folder}/**/cry.wav", recursive=True), "the upload is not in the private folder"
    assert not Path(folder).exists(), "the upload folder survived SIGTERM"


def test_import_builds_the_demo_without_loading_the_model():
    import gradio as gr

    import app

    assert isinstance(app.demo, gr.Blocks) and app._recognizer is None


def test_species_card_and_not_sure_card():
    import app

    guesses = [Guess("Charmander", 0.93, SPECIES["Charmander"]), Guess("Squirtle", 0.05, SPECIES["Squirtle"])]
    sure = app.card_html(Prediction(guesses, False, "", 0.5), "fr").replace("\u00a0", " ")
    assert "Salamèche" in sure and "#0004" in sure and "Fire" in sure and "Generation I" in sure and "93 %" in sure
    assert 'src="https://raw.githubusercontent.com/' in sure and "onerror" in sure
    unsure = app.card_html(Prediction(guesses, True, "speech", 0.95), "en")
    assert NOT_SURE_MESSAGE in unsure and "talking" in unsure and "Charmander (93 %)" in unsure
    assert "Your answer" in app.card_html(None, "en")


def test_a_missing_model_is_a_clear_error_not_a_crash(tmp_path):
    from gradio_client import Client, handle_file

    path = write_audio(tmp_path / "cry.wav", species_cry("Bulbasaur", 1.0))
    with running_app(tmp_path / "no-model-here") as url:
        client = Client(url, verbose=False)
        for _ in range(2):  # still answering after the first failure
            with pytest.raises(Exception, match="model is not available.*no-model-here: no such folder"):
                client.predict(handle_file(str(path)), api_name="/predict")
        client.close()

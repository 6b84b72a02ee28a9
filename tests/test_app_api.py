"""app.py through gradio_client: the one /predict endpoint, its label dict, and clear errors on bad input."""

import numpy as np
import pytest

from frontend.audio import SAMPLE_RATE
from recognizer.predict import NOT_SURE_MESSAGE, Guess, Prediction
from tests.app_server import running_app
from tests.synthetic import write_audio
from tests.tiny_model import LABELS, SPECIES, species_cry, trained_tiny_model


@pytest.fixture(scope="module")
def client():
    from gradio_client import Client

    with running_app(trained_tiny_model()) as url:
        yield Client(url, verbose=False)


def _predict(client, path):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)) if path else None, api_name="/predict")


def test_api_page_shows_only_predict(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/predict"]
    (parameter,) = endpoints["/predict"]["parameters"]
    assert parameter["component"] == "Audio"
    assert endpoints["/predict"]["returns"][0]["component"] == "Label"


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
        with pytest.raises(Exception, match=message):
            _predict(client, path)
        assert _predict(client, good)["label"] == "Bulbasaur", f"the app stopped answering after {path}"


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

"""The Gradio Space: record or upload a Pokémon cry, get its name, sprite and an honest confidence.

``python app.py`` serves ``demo`` on 127.0.0.1:7860 (``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT``
override). The model is ``$MODEL_ID`` or the embedded ``models/default``, loaded on first use.
Two Gradio API endpoints: ``/predict`` (an audio file in, the top-5 ``{name: probability}`` out) and
``/identify`` (the verdict as JSON: label, confidence, not_sure, reason, guesses); and one plain HTTP route,
``POST /api/identify`` (the file as the body, the same verdict in one request; :mod:`app_rest`), with
``GET /api/health`` saying whether the model is loaded and warm.

Concurrent requests decode in their own threads and share the model's batches
(:mod:`recognizer.batching`); at most ``RUNNING`` work at once and ``WAITING`` more wait, the rest are told
the server is busy. Every request leaves one log line; uploads live in a private folder that is swept
periodically and removed at shutdown (:mod:`recognizer.serving`).
"""

from __future__ import annotations

import html
import logging
import os
import signal
import threading
import time
from pathlib import Path

import gradio as gr
import numpy as np

from app_live import LIVE_CSS, LIVE_HEAD, LiveSessions, build_live_tab
from app_rest import rest_routes
from frontend.audio import MAX_RECORDING_SECONDS, SAMPLE_RATE
from recognizer.batching import BusyError
from recognizer.loading import ModelNotFoundError, model_source
from recognizer.predict import NOT_SURE_MESSAGE, SILENCE, Prediction, Recognizer
from recognizer.recording import MAX_UPLOAD_BYTES, RecordingError
from recognizer.serving import Busy, Gate, UploadFolder, configure_logging, log_request

TOP_K = 5
RUNNING = 8
"""Recordings decoded and scored at once (their windows share the model's batches)."""
WAITING = 32
"""More recordings that may wait for a turn; beyond that a request is told the server is busy."""
UPLOAD_MAX_AGE_SECONDS = 3600
UPLOAD_SWEEP_SECONDS = 900
LANGUAGE_NAMES = {
    "en": "English", "fr": "Français", "ja": "日本語", "de": "Deutsch", "es": "Español", "it": "Italiano",
    "ko": "한국어", "zh-Hans": "简体中文", "zh-Hant": "繁體中文", "ja-Hrkt": "にほんご", "roomaji": "Rōmaji",
    "cs": "Čeština",
}
DEFAULT_LANGUAGES = ["en", "fr", "ja", "de", "es"]
NBSP = "\u00a0"
ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]

CSS = """
.gradio-container { max-width: 960px !important; margin: 0 auto !important; }
#who-title h1 { margin-bottom: 0.2em; }
.who-card { display: flex; gap: 1rem; align-items: center; padding: 0.5rem 0.25rem; }
.who-card img { width: 96px; height: 96px; image-rendering: pixelated; object-fit: contain; flex: none; }
.who-name { font-size: 1.6rem; font-weight: 700; line-height: 1.2; }
.who-meta { opacity: 0.8; margin-top: 0.2rem; }
.who-confidence { margin-top: 0.3rem; font-weight: 600; }
.who-not-sure { font-size: 1.3rem; font-weight: 700; }
.who-hint { opacity: 0.8; margin-top: 0.3rem; }
#who-go { font-size: 1.15rem; min-height: 3rem; }
"""

# Record what the microphone hears: the browser's voice processing (noise suppression, automatic gain,
# echo cancellation) is tuned for speech and distorts or removes cries. Gradio's recorder asks for
# getUserMedia({audio: ...}); this adds the constraints to that request.
HEAD = """<script>
(() => {
  const media = navigator.mediaDevices;
  if (!media || !media.getUserMedia || media.whoRawAudio) return;
  const getUserMedia = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) => {
    if (constraints && constraints.audio) {
      const audio = typeof constraints.audio === "object" ? constraints.audio : {};
      constraints = {...constraints, audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false, ...audio}};
    }
    return getUserMedia(constraints);
  };
  media.whoRawAudio = true;
})();
</script>"""

log = logging.getLogger("who_tf_screamin")
_recognizer: Recognizer | None = None
_recognizer_lock = threading.Lock()
_gate = Gate(RUNNING, WAITING)
_warm = threading.Event()
"""Set once the warm-up pass has run: ``GET /api/health`` answers "ready" from then on."""
_warm_error: str | None = None
ANALYTICS_EVERY = 1000
"""events. How often Gradio's queue recomputes its monitoring summary (its default: after every event)."""


def get_recognizer() -> Recognizer:
    """The model named by $MODEL_ID (default models/default), loaded once on first use."""
    global _recognizer
    with _recognizer_lock:
        if _recognizer is None:
            try:
                _recognizer = Recognizer.from_pretrained()
            except ModelNotFoundError as err:
                source = model_source()  # the folder's name only: a client never sees the server's paths
                message = str(err).replace(source, Path(source).name) if Path(source).name else str(err)
                log.error("%s", err)
                raise _error(f"The model is not available: {message}", "No model") from err
        return _recognizer


def recognize(audio_path: str | None, endpoint: str = "page", silence_is_error: bool = True) -> Prediction:
    """Run the recording through the recognizer and log one line; unusable input becomes a gr.Error.

    ``silence_is_error``: the page and ``/predict`` report a silent recording as an error (check the
    microphone); ``/identify`` answers it as "not sure" with reason ``silence``.
    """
    started, outcome, reason = time.perf_counter(), "error", ""
    try:
        prediction = _recognize(audio_path)
        if prediction.reason == SILENCE and silence_is_error:
            raise _error(
                "The recording is silent: check that the microphone is allowed and hold the phone close to the speaker.",
                "Silence",
            )
        outcome = "not_sure" if prediction.not_sure else "answer"
        reason = prediction.reason or (prediction.top.label if prediction.top else "")
        return prediction
    except gr.Error as err:
        outcome, reason = ("busy" if err.title == "Busy" else "refused"), err.message
        raise
    except Exception as err:  # a bug or an unforeseen file: logged with its traceback, never shown to the client
        reason = f"{type(err).__name__}: {err}"
        log.exception("%s failed on %s", endpoint, Path(audio_path).name if audio_path else "-")
        raise _error("Something went wrong while reading this recording; try another file.", "Server error") from err
    finally:
        log_request(endpoint, outcome, reason, time.perf_counter() - started, audio_path)


def _recognize(audio_path: str | None) -> Prediction:
    if not audio_path:
        raise _error("No recording yet: press the microphone to record the cry, or upload an audio file.", "No audio")
    recognizer = get_recognizer()
    try:
        with _gate:
            return recognizer.predict_file(audio_path)
    except RecordingError as err:
        raise _error(str(err), "Cannot use this recording") from err
    except (Busy, BusyError) as err:
        raise _error("The server is busy with other recordings: try again in a few seconds.", "Busy") from err


def _error(message: str, title: str) -> gr.Error:
    """A user-facing error: shown in the page (and to API clients), without a server traceback."""
    return gr.Error(message, title=title, print_exception=False)


def predict(audio: str | None) -> dict[str, float]:
    """API: one audio file in, the top-5 {English name: calibrated probability} out."""
    return recognize(audio, "predict").label_dict("en")


def identify_verdict(audio: str | None, language: str = "en") -> dict:
    """API ``/identify``: the verdict as JSON (``label`` in English, ``name`` in ``language``; see Prediction.verdict)."""
    return verdict(audio, language, "identify")


def verdict(audio: str | None, language: str, endpoint: str) -> dict:
    """The verdict JSON of Gradio's ``/identify`` and of ``POST /api/identify`` (``endpoint`` names it in the log)."""
    return recognize(audio, endpoint, silence_is_error=False).verdict((language or "en").strip() or "en")


def identify(audio: str | None, language: str):
    """UI: the label, the species card and the prediction (kept to re-render in another language)."""
    prediction = recognize(audio, "page")
    return prediction.label_dict(language), card_html(prediction, language), prediction


def rerender(prediction: Prediction | None, language: str):
    """UI: the same answer with names in another language (no new inference)."""
    if prediction is None:
        return None, card_html(None, language)
    return prediction.label_dict(language), card_html(prediction, language)


def language_choices() -> gr.Dropdown:
    """UI (on page load): the model's languages, the five main ones first."""
    try:
        available = get_recognizer().languages
    except gr.Error:
        available = ["en"]
    ordered = [c for c in DEFAULT_LANGUAGES if c in available] + [c for c in available if c not in DEFAULT_LANGUAGES]
    return gr.Dropdown(choices=[(LANGUAGE_NAMES.get(c, c), c) for c in ordered or ["en"]])


def card_html(prediction: Prediction | None, language: str) -> str:
    """The verdict: the species (sprite, dex number, types, generation, confidence) or "not sure"."""
    if prediction is None or prediction.top is None:
        return '<div class="who-card who-hint">Your answer will appear here.</div>'
    top = prediction.top
    name = html.escape(top.name(language))
    percent = f"{100 * top.probability:.0f} %"
    if prediction.not_sure:
        explanation = html.escape(prediction.explanation)
        return (
            f'<div class="who-card"><div><div class="who-not-sure">{html.escape(NOT_SURE_MESSAGE)}</div>'
            f'<div class="who-hint">{explanation} Best guess: {name} ({percent}).</div></div></div>'
        )
    species = top.species
    sprite = meta = ""
    if species is not None:
        if species.sprite_url:
            # The browser fetches the sprite; offline it is simply left out, the answer never waits for it.
            sprite = (
                f'<img src="{html.escape(species.sprite_url)}" alt="{name}" loading="lazy" '
                'referrerpolicy="no-referrer" onerror="this.style.display=\'none\'">'
            )
        parts = [f"#{species.pokedex_id:04d}"]
        if species.types:
            parts.append(" / ".join(t.capitalize() for t in species.types))
        if species.generation:
            parts.append(f"Generation {ROMAN[species.generation] if species.generation < len(ROMAN) else species.generation}")
        meta = f'<div class="who-meta">{html.escape(" · ".join(p.replace(" ", NBSP) for p in parts))}</div>'
    return (
        f'<div class="who-card">{sprite}<div><div class="who-name">{name}</div>{meta}'
        f'<div class="who-confidence">Confidence: {percent}</div></div></div>'
    )


live_sessions = LiveSessions(get_recognizer, card_html)

# delete_cache: uploads and recordings older than an hour are removed every 30 minutes (nothing is kept).
with gr.Blocks(title="who_tf_screamin — name the Pokémon from its cry", delete_cache=(1800, 3600)) as demo:
    gr.Markdown(
        "# who_tf_screamin\n"
        f"Hold your phone close to the game, TV or speaker and record the cry — or upload a recording (up to {MAX_RECORDING_SECONDS:.0f} s).\n\n"
        "Press **Who's that Pokémon?** to get the top 5 guesses; when the cry is unclear it honestly says it is not sure.",
        elem_id="who-title",
    )
    with gr.Tabs(elem_id="who-modes"):
        with gr.Tab("Record or upload", elem_id="who-record"):
            with gr.Row(equal_height=False):
                with gr.Column(min_width=300):
                    audio = gr.Audio(sources=["microphone", "upload"], type="filepath", label="Cry", elem_id="who-audio")
                    language = gr.Dropdown(
                        choices=[(LANGUAGE_NAMES[c], c) for c in DEFAULT_LANGUAGES], value="en", label="Names in",
                        elem_id="who-language",
                    )
                    go = gr.Button("Who's that Pokémon?", variant="primary", elem_id="who-go")
                with gr.Column(min_width=300):
                    card = gr.HTML(card_html(None, "en"), elem_id="who-card")
                    label = gr.Label(num_top_classes=TOP_K, label="Top 5 guesses", show_heading=False, elem_id="who-label")
        build_live_tab(live_sessions, language)
    last = gr.State(None)

    # The public API: one audio file in, the top-5 label dict out (a hidden trigger; the UI uses `go`).
    api_label = gr.Label(num_top_classes=TOP_K, visible=False)
    api_trigger = gr.Button(visible=False)
    api_trigger.click(
        predict, inputs=audio, outputs=api_label, api_name="predict", concurrency_id="model",
        concurrency_limit=RUNNING + WAITING,
    )
    # The verdict API: the audio file and an optional language code for display names, JSON out.
    api_language = gr.Textbox(value="en", visible=False, label="language")
    api_verdict = gr.JSON(visible=False, label="verdict")
    gr.Button(visible=False).click(
        identify_verdict, inputs=[audio, api_language], outputs=api_verdict, api_name="identify",
        concurrency_id="model", concurrency_limit=RUNNING + WAITING,
    )

    go.click(
        identify, inputs=[audio, language], outputs=[label, card, last],
        api_visibility="private", concurrency_id="model", concurrency_limit=RUNNING + WAITING, scroll_to_output=True,
    )
    language.change(rerender, inputs=[last, language], outputs=[label, card], api_visibility="private", queue=False)
    demo.load(language_choices, outputs=language, api_visibility="private")


def _warm_up() -> None:
    """Load the model and run one forward pass at launch: the first pass of a fresh process pays PyTorch's
    one-time set-up, which would otherwise land on the first user (or the first second of live listening)."""
    global _warm_error
    try:
        recognizer = get_recognizer()
    except gr.Error as err:
        _warm_error = err.message
        log.error("%s", err.message)
        return
    t = np.arange(SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
    recognizer.window_logits((0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32))
    _warm.set()
    log.info("model ready: %d labels", len(recognizer.head.labels))


def health() -> dict:
    """Readiness, for a container probe or a test harness: "loading" until the warm-up pass has run, then
    "ready" (with the number of labels), or "no model" with the reason the model could not load."""
    if _warm.is_set():
        return {"status": "ready", "labels": len(get_recognizer().head.labels)}
    if _warm_error is not None:
        return {"status": "no model", "error": _warm_error}
    return {"status": "loading"}


def _use_upload_folder() -> UploadFolder:
    """Uploads go to a private folder (or $GRADIO_TEMP_DIR), swept periodically, removed at shutdown.

    Gradio's ``delete_cache`` only knows the files of accepted uploads; the bytes of an upload it refuses
    (a bad file name) stay in its temporary folder, which the sweep empties too.
    """
    folder = UploadFolder.for_process(UPLOAD_MAX_AGE_SECONDS, UPLOAD_SWEEP_SECONDS)
    for block in [demo, *demo.blocks.values()]:  # components built at import read the folder then
        block.GRADIO_CACHE = str(folder.path)
    return folder.start()


def _stop_on_sigterm(uploads: UploadFolder) -> None:
    """SIGTERM (a container stop): remove the uploads, then shut down like Ctrl-C."""

    def interrupt(signum, frame):
        uploads.close()
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def main(**launch_kwargs) -> None:
    """Serve ``demo``; keyword arguments override the launch options (tests pass a port and prevent_thread_lock)."""
    # Idle OpenMP workers sleep instead of spinning (set before torch loads): on a shared or small CPU,
    # spinning workers fight the server's own threads (measured ad hoc on the 2-core dev machine under
    # load: the small model's forward p50 was 420 ms spinning, 14 ms passive). bench_app.py does the same.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Gradio's queue rebuilds a pandas summary of up to 10,000 past events (for its monitoring page) after every
    # event: 4 ms of CPU per request on a fresh server, 16 ms once 10,000 have been served (2-core dev machine,
    # benchmarks/bench_gradio_analytics.py). Once every 1,000 events keeps the page and gives the CPU back.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_EVERY))
    configure_logging()
    uploads = _use_upload_folder()
    log.info("uploads go to %s (swept every %d s, removed at shutdown)", uploads.path, UPLOAD_SWEEP_SECONDS)
    _stop_on_sigterm(uploads)
    threading.Thread(target=_warm_up, daemon=True).start()
    options = dict(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD_BYTES,
        css=CSS + LIVE_CSS,
        head=HEAD + LIVE_HEAD,
        theme=gr.themes.Soft(
            primary_hue="amber", secondary_hue="red", font=["ui-sans-serif", "system-ui", "sans-serif"],
            font_mono=["ui-monospace", "monospace"],
        ),
        footer_links=["api", "gradio"],
        max_threads=2 * (RUNNING + WAITING),
        # The plain routes go in front of Gradio's own (FastAPI matches routes in order).
        app_kwargs={"routes": rest_routes(
            lambda path, language: verdict(path, language, "api/identify"), live_sessions, lambda: uploads.path, health)},
    )
    options.update(launch_kwargs)
    if options.get("prevent_thread_lock"):
        import atexit

        atexit.register(uploads.close)
    try:
        demo.queue(default_concurrency_limit=1, max_size=32).launch(**options)
    finally:
        if not options.get("prevent_thread_lock"):
            uploads.close()
            log.info("stopped; upload folder cleaned")


if __name__ == "__main__":
    main()

"""The app's Live tab: the microphone streams, and the card names the Pokémon by itself when it cries.

``build_live_tab`` adds the tab inside ``app.demo``'s Blocks. The browser sends the microphone in chunks
(``gr.Audio(streaming=True)`` and its ``.stream`` event); each listener's :class:`recognizer.live.LiveListener`
(kept in a ``gr.State``) analyses the last few seconds every half second with the same recognizer,
detector and threshold as ``/predict``. Listening stops after ``LIVE_TIME_LIMIT`` seconds or on stop.
"""

from __future__ import annotations

import html
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import gradio as gr

from dataset_builder.audio import SILENCE_DBFS
from recognizer.live import STOPPED, Detection, LiveConfig, LiveListener, LiveUpdate
from recognizer.predict import LOW_CONFIDENCE, NO_CRY_LABEL, SILENCE, Prediction, Recognizer

LIVE_TIME_LIMIT = int(os.environ.get("WHO_LIVE_SECONDS", "60"))
"""s. A listening session stops by itself after this long (the server closes the stream 5 s later);
``$WHO_LIVE_SECONDS`` changes it (the browser tests listen for less)."""

LIVE_MAX_LISTENERS = 8
"""Listeners served at once; more wait in the queue (benchmarks/bench_live.py measures 8)."""

LIVE_WORKERS = 2
"""Threads that run the live analyses of all listeners (each listener has at most one in flight)."""

STREAM_EVERY = 0.5
"""s. How often the browser sends what the microphone heard."""

LIVE_CSS = """
#who-live-status [data-testid="status-tracker"], #who-live-card [data-testid="status-tracker"],
#who-live-history [data-testid="status-tracker"] { display: none !important; }
.who-meter { height: 0.6rem; border-radius: 0.3rem; background: rgba(128, 128, 128, 0.25); overflow: hidden; }
.who-meter > div { height: 100%; background: #f59e0b; transition: width 0.15s linear; }
.who-live-line { margin-top: 0.4rem; }
.who-heard-at { opacity: 0.8; margin-top: 0.2rem; }
.who-history { margin: 0.3rem 0 0 1.2rem; padding: 0; }
"""

HINTS = {
    SILENCE: "Quiet so far: hold the phone close to the speaker.",
    "speech": "I hear talking, no cry yet.",
    "noise": "I only hear noise, no cry yet.",
    NO_CRY_LABEL: "That does not sound like a cry.",
    LOW_CONFIDENCE: "Not sure: I hear a sound, but not clearly a cry I know.",
    "": "A cry, I think: checking…",
}

CardRenderer = Callable[[Prediction | None, str], str]


def build_live_tab(get_recognizer: Callable[[], Recognizer], card_html: CardRenderer, language: gr.Component) -> None:
    """Add the Live tab (elem_id ``who-live``) to the Blocks being built; ``card_html`` renders a species."""
    # render_children: the recorder loads its WAV encoder when it mounts; mounted with the page, it is ready
    # by the time Record is pressed (a press before that is lost in Gradio 6.31).
    with gr.Tab("Live", elem_id="who-live", render_children=True):
        gr.Markdown(
            "Press **Record**, then hold the phone to the game or TV: the name appears by itself when a Pokémon "
            f"cries. Listening stops after {LIVE_TIME_LIMIT} s, or when you press **Stop**."
        )
        with gr.Row(equal_height=False):
            with gr.Column(min_width=300):
                mic = gr.Audio(
                    sources=["microphone"], streaming=True, type="numpy", label="Microphone",
                    elem_id="who-live-mic",
                )
                status = gr.HTML(status_html(None), elem_id="who-live-status")
            with gr.Column(min_width=300):
                card = gr.HTML(live_card_html(None, None, card_html, "en"), elem_id="who-live-card")
                history = gr.HTML("", elem_id="who-live-history")
        session = gr.State(None)
        outputs = [session, status, card, history]

        def live_listen(chunk, live: LiveSession | None, lang: str):
            """One streamed chunk in; the listener's state out (the card only when it changed)."""
            if live is None:
                config = LiveConfig(time_limit_seconds=LIVE_TIME_LIMIT)
                live = LiveSession(LiveListener(get_recognizer(), config, executor=analysis_executor()))
            if chunk is None:
                return live, gr.skip(), gr.skip(), gr.skip()
            sample_rate, samples = chunk
            return live.render(live.listener.feed(samples, sample_rate), card_html, lang)

        def live_stop(live: LiveSession | None, lang: str):
            if live is None:
                return None, status_html(None), gr.skip(), gr.skip()
            return live.render(live.listener.stop(), card_html, lang)

        def live_rerender(live: LiveSession | None, lang: str):
            if live is None:
                return None, gr.skip(), live_card_html(None, None, card_html, lang), ""
            return live.render(live.listener.update(SILENCE_DBFS - 1.0, analysed=False), card_html, lang, force=True)

        private = dict(api_visibility="private", show_progress="hidden")
        mic.start_recording(live_start, outputs=outputs, queue=False, **private)
        mic.stream(
            live_listen, inputs=[mic, session, language], outputs=outputs, stream_every=STREAM_EVERY,
            time_limit=LIVE_TIME_LIMIT + 5, concurrency_limit=LIVE_MAX_LISTENERS, concurrency_id="live", **private,
        )
        mic.stop_recording(live_stop, inputs=[session, language], outputs=outputs, queue=False, **private)
        language.change(live_rerender, inputs=[session, language], outputs=outputs, queue=False, **private)


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def analysis_executor() -> ThreadPoolExecutor:
    """The threads shared by all listeners' analyses (created on first use)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=LIVE_WORKERS, thread_name_prefix="who-live")
        return _executor


@dataclass
class LiveSession:
    """One page's listener and what its card and history last showed (to send only what changed)."""

    listener: LiveListener
    shown: tuple[str, str, str] = ("", "", "")

    def render(self, update: LiveUpdate, card_html: CardRenderer, language: str, force: bool = False):
        """Outputs for (session, status, card, history); each only when it changed (less to send 10 times a second)."""
        shown = (status_html(update), live_card_html(self.listener, update, card_html, language),
                 history_html(update.earlier, language))
        outputs = [new if force or new != old else gr.skip() for new, old in zip(shown, self.shown, strict=True)]
        self.shown = shown
        return self, *outputs


def live_start():
    """A new listening session: forget the previous one."""
    return None, status_html(None, starting=True), '<div class="who-card who-hint">Listening…</div>', ""


def live_card_html(listener: LiveListener | None, update: LiveUpdate | None, card_html: CardRenderer, language: str) -> str:
    """The verdict: the latest named cry with the time it was heard, or an honest "listening…"."""
    if update is None or listener is None:
        return '<div class="who-card who-hint">Press Record to start listening.</div>'
    if update.current is not None:
        heard = f"Heard at {clock(update.current.heard_at)}"
        return card_html(listener.as_prediction(update.current), language) + f'<div class="who-heard-at">{heard}</div>'
    if update.state == STOPPED:
        headline, hint = "No cry named", "I did not hear a cry clearly enough to name it. Try again closer to the speaker."
    else:
        headline = "Listening…"
        hint = HINTS.get(update.last.reason, "") if update.last is not None else "Waiting for sound…"
    return (
        f'<div class="who-card"><div><div class="who-not-sure">{html.escape(headline)}</div>'
        f'<div class="who-hint">{html.escape(hint)}</div></div></div>'
    )


def status_html(update: LiveUpdate | None, starting: bool = False) -> str:
    """A level meter (what the microphone hears) and the listening time."""
    if update is None:
        text = "Starting the microphone…" if starting else "Not listening."
        return f'<div class="who-meter"><div style="width: 0%"></div></div><div class="who-live-line">{text}</div>'
    width = round(min(100.0, max(0.0, (update.level_dbfs - SILENCE_DBFS) / -SILENCE_DBFS * 100.0)), -1)
    if update.state == STOPPED:
        text, width = f"Stopped after {clock(update.elapsed)}.", 0.0
    else:
        text = f"Listening… {clock(update.elapsed)} / {clock(LIVE_TIME_LIMIT)}"
    return (
        f'<div class="who-meter" role="meter" data-elapsed="{update.elapsed:.0f}" aria-label="Microphone level" aria-valuenow="{width:.0f}" '
        f'aria-valuemin="0" aria-valuemax="100"><div style="width: {width:.0f}%"></div></div>'
        f'<div class="who-live-line">{html.escape(text)}</div>'
    )


def history_html(earlier: list[Detection], language: str) -> str:
    """Cries named earlier in this session, latest first."""
    if not earlier:
        return ""
    items = "".join(
        f"<li>{html.escape(d.guess.name(language))} ({100 * d.probability:.0f} %), heard at {clock(d.heard_at)}</li>"
        for d in earlier
    )
    return f'<div class="who-hint">Earlier:</div><ul class="who-history">{items}</ul>'


def clock(seconds: float) -> str:
    """m:ss."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"

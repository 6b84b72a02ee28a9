"""The app's Live tab: the microphone streams, and the card names the Pokémon by itself when it cries.

``build_live_tab`` adds the tab inside ``app.demo``'s Blocks; ``LIVE_HEAD`` (the recorder's script) and
``LIVE_CSS`` go into ``launch``. One press on **Start listening** opens the microphone in the browser at
16 kHz; every half second the page sends what it heard to ``/api/live_chunk`` (a plain route, :mod:`app_rest`)
and shows the answer it gets back.
Each listener's :class:`recognizer.live.LiveListener` analyses the last few seconds with the same
recognizer, detector and threshold as ``/predict``. Listening stops after ``LIVE_TIME_LIMIT`` seconds or on stop.

Why not ``gr.Audio(streaming=True)``: in Gradio 6.31 its recorder sends a chunk every 0.1 s (whatever
``stream_every`` says), each an upload plus a request, and the server keeps only the latest chunk that came
in while the handler was busy. On a busy CPU most of the audio was lost (a browser test heard 2 s of 11),
and the cry with it. This page's recorder sends the audio gathered since its last answer came back: slow
answers mean bigger chunks, never lost audio, and the work per listener stays bounded.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gradio as gr
import numpy as np

from frontend.audio import SAMPLE_RATE, SILENCE_DBFS
from recognizer.live import STOPPED, Detection, LiveConfig, LiveListener, LiveUpdate
from recognizer.predict import LOW_CONFIDENCE, NO_CRY_LABEL, SILENCE, Prediction, Recognizer

LIVE_TIME_LIMIT = float(os.environ.get("WHO_LIVE_SECONDS", "60"))
"""s. A listening session stops by itself after this long; ``$WHO_LIVE_SECONDS`` changes it (tests listen less)."""

LIVE_MAX_LISTENERS = 8
"""Listeners served at once; one more is told to try again in a minute (benchmarks/bench_live.py measures 8)."""

LIVE_WORKERS = 2
"""Chunks analysed at the same time (all listeners together); the others wait their turn."""

MAX_CHUNK_SECONDS = 10.0
"""s. The most audio one request may carry (the page sends about 0.5 s; more after a slow answer)."""

MAX_RATE = 192_000
"""Hz. The highest sample rate a chunk may come at (the page asks the browser for 16 kHz)."""

MAX_CHUNK_BYTES = int(2 * MAX_CHUNK_SECONDS * MAX_RATE)
"""bytes. The most one request may carry: MAX_CHUNK_SECONDS of 16-bit audio at MAX_RATE."""

IDLE_SECONDS = 30.0
"""s. A listener that sent nothing for this long is forgotten (the tab was closed)."""

TOKEN = re.compile(r"^[A-Za-z0-9-]{8,64}$")

LIVE_CSS = """
.who-meter { height: 0.6rem; border-radius: 0.3rem; background: rgba(128, 128, 128, 0.25); overflow: hidden; }
.who-meter > div { height: 100%; background: #f59e0b; transition: width 0.15s linear; }
.who-live-line { margin-top: 0.4rem; }
.who-heard-at { opacity: 0.8; margin-top: 0.2rem; }
.who-history { margin: 0.3rem 0 0 1.2rem; padding: 0; }
#who-live-start { font-size: 1.15rem; min-height: 3rem; }
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


def build_live_tab(sessions: LiveSessions, language: gr.Component) -> None:
    """Add the Live tab (elem_id ``who-live``); its recorder talks to ``sessions`` through ``/api/live_chunk``."""
    with gr.Tab("Live", elem_id="who-live"):
        gr.Markdown(
            "Press **Start listening**, then hold the phone to the game or TV: the name appears by itself when a "
            f"Pokémon cries. Listening stops after {LIVE_TIME_LIMIT:.0f} s, or when you press **Stop**."
        )
        with gr.Row(equal_height=False):
            with gr.Column(min_width=300):
                gr.Button("Start listening", variant="primary", elem_id="who-live-start").click(
                    None, js="() => window.whoLive && window.whoLive.toggle()"
                )
                gr.HTML(status_html(None), elem_id="who-live-status")
            with gr.Column(min_width=300):
                gr.HTML(live_card_html(None, None, sessions.card_html, "en"), elem_id="who-live-card")
                gr.HTML(history_html([], "en"), elem_id="who-live-history")
    language.change(None, inputs=language, js="(code) => { window.whoLiveLanguage = code; }")


@dataclass
class LiveSession:
    """One page's listener, when it last sent audio, and what its card last showed."""

    listener: LiveListener
    seen: float
    lock: threading.Lock = field(default_factory=threading.Lock)


class LiveSessions:
    """The listeners of all pages, by the token each page's recorder draws when it starts."""

    def __init__(self, get_recognizer: Callable[[], Recognizer], card_html: CardRenderer):
        self.get_recognizer = get_recognizer
        self.card_html = card_html
        self.sessions: dict[str, LiveSession] = {}
        self.lock = threading.Lock()
        self.workers = threading.BoundedSemaphore(LIVE_WORKERS)

    def chunk(self, token: str, pcm: bytes, rate: float, language: str, stop: bool) -> dict:
        """For the page's recorder: mono little-endian int16 PCM at ``rate`` Hz in; the status, card and history out.

        Errors are gr.Error with a message for the page (title "Busy" when the server is full).
        """
        session = self._session(token)
        rate = int(rate or 0)
        if not 8_000 <= rate <= MAX_RATE:
            raise gr.Error(f"live chunk: sample rate {rate} Hz; expected 8000-{MAX_RATE} Hz", print_exception=False)
        samples = decode_pcm(pcm, rate)
        language = language or "en"
        with session.lock, self.workers:
            session.seen = time.monotonic()
            listener = session.listener
            update = listener.stop() if stop else listener.feed(samples, rate)
        return {
            "status": status_html(update),
            "card": live_card_html(listener, update, self.card_html, language),
            "history": history_html(update.earlier, language),
            "stopped": update.state == STOPPED,
        }

    def _session(self, token: str) -> LiveSession:
        if not TOKEN.match(token or ""):
            raise gr.Error("The live recorder sent no valid session token; reload the page.", print_exception=False)
        now = time.monotonic()
        with self.lock:
            for stale in [t for t, s in self.sessions.items() if now - s.seen > IDLE_SECONDS]:
                del self.sessions[stale]
            if token not in self.sessions:
                active = sum(not s.listener.stopped for s in self.sessions.values())
                if active >= LIVE_MAX_LISTENERS:
                    raise gr.Error(
                        f"{active} people are listening live right now, the most this server serves; try again in a "
                        "minute, or record and press Who's that Pokémon?", title="Busy", print_exception=False,
                    )
                config = LiveConfig(time_limit_seconds=LIVE_TIME_LIMIT)
                self.sessions[token] = LiveSession(LiveListener(self.get_recognizer(), config), now)
            return self.sessions[token]


def decode_pcm(raw: bytes, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Little-endian int16 mono samples, as the page's recorder sends them (at most MAX_CHUNK_SECONDS)."""
    if len(raw) % 2 or len(raw) > 2 * MAX_CHUNK_SECONDS * rate:
        raise gr.Error(
            f"live chunk: {len(raw)} bytes; expected an even number, at most {MAX_CHUNK_SECONDS:.0f} s of 16-bit audio",
            print_exception=False,
        )
    return np.frombuffer(raw, dtype="<i2")


def live_card_html(listener: LiveListener | None, update: LiveUpdate | None, card_html: CardRenderer, language: str) -> str:
    """The verdict: the latest named cry with the time it was heard, or an honest "listening…"."""
    if update is None or listener is None:
        body = '<div class="who-card who-hint">Press Start listening, then hold the phone to the game.</div>'
    elif update.current is not None:
        heard = f"Heard at {clock(update.current.heard_at)}"
        body = card_html(listener.as_prediction(update.current), language) + f'<div class="who-heard-at">{heard}</div>'
    else:
        if update.state == STOPPED:
            headline, hint = "No cry named", "I did not hear a cry clearly enough to name it. Try again closer to the speaker."
        else:
            headline = "Listening…"
            hint = HINTS.get(update.last.reason, "") if update.last is not None else "Waiting for sound…"
        body = (
            f'<div class="who-card"><div><div class="who-not-sure">{html.escape(headline)}</div>'
            f'<div class="who-hint">{html.escape(hint)}</div></div></div>'
        )
    return f'<div id="who-live-card-body">{body}</div>'


def status_html(update: LiveUpdate | None) -> str:
    """A level meter (what the microphone hears) and the listening time."""
    width, text, elapsed = 0.0, "Not listening.", 0.0
    if update is not None:
        elapsed = update.elapsed
        width = round(min(100.0, max(0.0, (update.level_dbfs - SILENCE_DBFS) / -SILENCE_DBFS * 100.0)))
        if update.state == STOPPED:
            text, width = f"Stopped after {clock(update.elapsed)}.", 0.0
        else:
            text = f"Listening… {clock(update.elapsed)} / {clock(LIVE_TIME_LIMIT)}"
    return (
        f'<div id="who-live-status-body"><div class="who-meter" role="meter" aria-label="Microphone level" '
        f'aria-valuenow="{width:.0f}" aria-valuemin="0" aria-valuemax="100" data-elapsed="{elapsed:.2f}">'
        f'<div style="width: {width:.0f}%"></div></div><div class="who-live-line">{html.escape(text)}</div></div>'
    )


def history_html(earlier: list[Detection], language: str) -> str:
    """Cries named earlier in this session, latest first."""
    items = "".join(
        f"<li>{html.escape(d.guess.name(language))} ({100 * d.probability:.0f} %), heard at {clock(d.heard_at)}</li>"
        for d in earlier
    )
    body = f'<div class="who-hint">Earlier:</div><ul class="who-history">{items}</ul>' if earlier else ""
    return f'<div id="who-live-history-body">{body}</div>'


def clock(seconds: float) -> str:
    """m:ss."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# The recorder: the microphone at 16 kHz (the browser resamples), raw (no voice processing, see app.HEAD),
# sent to /api/live_chunk (raw int16 PCM) whenever 0.5 s have gathered and the previous answer is back.
LIVE_HEAD = """<script>
(() => {
  if (window.whoLive) return;
  const RATE = 16000, HOP = 0.5;
  const byId = (id) => document.getElementById(id);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const token = () => (crypto.randomUUID ? crypto.randomUUID() : Math.random().toString(36).slice(2) + Date.now().toString(36));
  let live = null;

  function show(answer) {
    for (const part of ["status", "card", "history"]) {
      const body = byId(`who-live-${part}-body`);
      if (body && body.outerHTML !== answer[part]) body.outerHTML = answer[part];
    }
  }

  function button(text) {
    const start = byId("who-live-start");
    if (start) start.textContent = text;
  }

  function pcm16(chunks) {
    const n = chunks.reduce((sum, c) => sum + c.length, 0);
    const view = new DataView(new ArrayBuffer(2 * n));
    let at = 0;
    for (const c of chunks) for (let i = 0; i < c.length; i++, at += 2) view.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(c[i] * 32767))), true);
    return view.buffer;
  }

  async function send(session, pcm, stop) {
    const url = new URL("api/live_chunk", document.baseURI);
    url.search = new URLSearchParams({token: session.token, rate: session.rate || RATE, language: window.whoLiveLanguage || "en", stop: stop ? "1" : "0"}).toString();
    const response = await fetch(url.href, {method: "POST", headers: {"Content-Type": "application/octet-stream"}, body: pcm});
    const payload = await response.json().catch(() => null);
    if (!response.ok) throw new Error(payload && payload.error ? payload.error : `live_chunk: HTTP ${response.status}`);
    return payload;
  }

  async function run(session) {
    while (!session.stopping) {
      const gathered = session.chunks.reduce((sum, c) => sum + c.length, 0);
      if (gathered < HOP * session.rate) { await sleep(50); continue; }
      const chunks = session.chunks; session.chunks = [];
      const answer = await send(session, pcm16(chunks), false);
      show(answer);
      if (answer.stopped) break;
    }
    if (session.stopping) show(await send(session, new ArrayBuffer(0), true));
  }

  async function start() {
    const session = {token: token(), chunks: [], stopping: false};
    live = session;
    button("Stop");
    try {
      session.stream = await navigator.mediaDevices.getUserMedia({audio: {echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
      try { session.context = new AudioContext({sampleRate: RATE}); } catch (err) { session.context = new AudioContext(); }
      session.rate = session.context.sampleRate;
      const source = session.context.createMediaStreamSource(session.stream);
      const node = session.context.createScriptProcessor(4096, 1, 1);
      node.onaudioprocess = (event) => { if (!session.stopping) session.chunks.push(new Float32Array(event.inputBuffer.getChannelData(0))); };
      source.connect(node);
      node.connect(session.context.destination);
      await run(session);
    } catch (err) {
      const status = byId("who-live-status-body");
      if (status) status.querySelector(".who-live-line").textContent = `Live listening stopped: ${err.message || err}`;
    } finally {
      if (session.stream) session.stream.getTracks().forEach((track) => track.stop());
      if (session.context) session.context.close();
      if (live === session) { live = null; button("Start listening"); }
    }
  }

  window.whoLive = {
    toggle() { if (live) { live.stopping = true; } else { start(); } },
    get listening() { return live !== null; },
  };
})();
</script>"""

"""Live listening: what it costs per listener, whether the server stays responsive, and whether it names cries.

Three measurements, with the embedded model (``models/default``):

1. **recogniser cost**: one :class:`recognizer.live.LiveListener` in this process, fed ``--seconds`` of
   talk, cries and music in 0.1 s chunks (what the browser sends) as fast as it takes them, on one torch
   thread: CPU seconds per second of listening.
2. **accuracy**: cries in context (2 s of espeak-ng talk, the cry, chiptune music), streamed through a
   listener: named right, wrong or not at all, and the delay from the cry's end to the name (audio time); the
   same files as one upload (``Recognizer.predict``) for comparison; and cry-less streams (talk, music,
   noise) of ``--seconds``: how many ever show a name. Real cries from ``../shared/pokeapi`` (skipped
   without it).
3. **server**: ``python app.py`` with ``OMP_NUM_THREADS=--threads``; ``--listeners`` simulated Live tabs
   send a file (talk, a real or synthetic cry, music) to ``/api/live_chunk`` at real-time pace, as the page's
   recorder does (what gathered since the last answer, every 0.5 s), while another client calls ``/predict``
   through the REST API in a loop: ``/predict`` p50/p95, the app process's CPU per listener (over the run
   without listeners), the share of the audio that reached each listener, the time each request took, and
   the time from the cry's end to the species in the card. Run for 0 and for N listeners.

    python benchmarks/bench_live.py [--listeners 1 8] [--seconds 60] [--server-seconds 20] [--cries 30]

Prints a table and writes ``benchmarks/results/live.json``. On a shared machine the load average
(recorded) inflates everything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.processes import app_pid, process_cpu_seconds  # noqa: E402

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as app.main() sets it: before torch loads

CRIES = ROOT.parent / "shared" / "pokeapi" / "cries" / "cries" / "pokemon" / "latest"
RATE = 44_100  # a browser microphone's rate, for the in-process cost (the page's recorder sends 16 kHz)
CHUNK_SECONDS = 0.1  # in-process feeding: the audio callback's granularity
HOP_SECONDS = 0.5  # the page's recorder sends every 0.5 s (more when an answer was slow)
TALK_SECONDS = 2.0
MUSIC_SECONDS = 6.0
RESULTS = ROOT / "benchmarks" / "results" / "live.json"


def talk(seconds: float, sentence: int = 0) -> np.ndarray:
    """espeak-ng speech at 16 kHz (pink-ish modulated noise when espeak-ng is absent), peak 0.3."""
    from frontend.audio import SAMPLE_RATE, decode_audio

    sentences = ["Who is that Pokemon? Listen closely now.", "And now the trainer sends out a new one!",
                 "What a battle, folks, this is incredible.", "Hold on, I think I hear something."]
    if shutil.which("espeak-ng"):
        wav = subprocess.run(["espeak-ng", "-s", "160", "--stdout", sentences[sentence % len(sentences)]],
                             check=True, capture_output=True).stdout
        speech = decode_audio(wav)
    else:
        n = int(seconds * SAMPLE_RATE)
        speech = np.random.default_rng(sentence).standard_normal(n) * (1 + np.sin(2 * np.pi * 4 * np.arange(n) / SAMPLE_RATE))
    speech = np.tile(speech, int(np.ceil(seconds * SAMPLE_RATE / len(speech))))[: int(seconds * SAMPLE_RATE)]
    return (0.3 * speech / np.max(np.abs(speech))).astype(np.float32)


def music(seconds: float, seed: int) -> np.ndarray:
    from dataset_builder.procedural import chiptune

    return (0.6 * chiptune(np.random.default_rng(seed), seconds)).astype(np.float32)


def in_context(cry: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    """Talk, a short pause, the cry (peak 0.4), music; returns the 16 kHz audio and where the cry ends (s)."""
    from frontend.audio import SAMPLE_RATE

    cry = 0.4 * cry / (np.max(np.abs(cry)) or 1.0)
    head = np.concatenate([talk(TALK_SECONDS, seed), np.zeros(SAMPLE_RATE // 4, np.float32), cry])
    return np.concatenate([head, music(MUSIC_SECONDS, seed)]), len(head) / SAMPLE_RATE


def cryless(seconds: float, seed: int) -> np.ndarray:
    """Talk, music and noise in turns, ``seconds`` long."""
    from frontend.audio import SAMPLE_RATE

    rng = np.random.default_rng(seed)
    parts, total, turn = [], 0, 0
    while total < seconds * SAMPLE_RATE:
        kind = turn % 3
        length = float(rng.uniform(3, 8))
        part = (talk(length, seed + turn) if kind == 0 else music(length, seed * 100 + turn) if kind == 1
                else (0.05 * rng.standard_normal(int(length * SAMPLE_RATE))).astype(np.float32))
        parts.append(part)
        total += len(part)
        turn += 1
    return np.concatenate(parts)[: int(seconds * SAMPLE_RATE)]


def stream_in_process(listener, samples: np.ndarray, rate: int) -> list:
    step = int(CHUNK_SECONDS * rate)
    return [listener.feed(samples[i : i + step], rate) for i in range(0, len(samples), step)]


def listener_cost(recognizer, seconds: float) -> dict:
    """CPU seconds per second of listening for the recogniser part (one listener, this process)."""
    from frontend.audio import SAMPLE_RATE, resample
    from recognizer.live import LiveConfig, LiveListener
    from tests.synthetic import fake_cry

    audio = cryless(seconds, seed=7)
    for k, at in enumerate(np.arange(5.0, seconds - 2, 10.0)):  # a cry every 10 s
        cry = 0.4 * fake_cry(k % 12, 1.0)
        start = int(at * SAMPLE_RATE)
        audio[start : start + len(cry)] += cry
    stereo = np.repeat(resample(audio, SAMPLE_RATE, RATE)[:, None], 2, axis=1)
    pcm = (np.clip(stereo, -1, 1) * 32767).astype(np.int16)
    listener = LiveListener(recognizer, LiveConfig(time_limit_seconds=seconds + 1))
    cpu, wall = time.process_time(), time.perf_counter()
    stream_in_process(listener, pcm, RATE)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {"audio_s": round(seconds, 1), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "cpu_per_listening_s": round(cpu / seconds, 4), "analyses": listener.analyses,
            "ms_per_analysis": round(1000 * cpu / max(1, listener.analyses), 1)}


def accuracy(recognizer, n_cries: int, seconds: float, n_cryless: int, seed: int = 0, min_confidence: float | None = None) -> dict:
    """Real cries in context streamed through a listener vs uploaded whole; cry-less streams."""
    from frontend.audio import SAMPLE_RATE, decode_audio
    from recognizer.live import LiveConfig, LiveListener

    strict = {} if min_confidence is None else {"min_confidence": min_confidence}
    out: dict = {"cryless": [], "cries": None, "min_confidence": LiveConfig(**strict).min_confidence}
    for k in range(n_cryless):
        listener = LiveListener(recognizer, LiveConfig(time_limit_seconds=seconds, **strict))
        stream_in_process(listener, cryless(seconds, seed=100 + 100 * seed + k), SAMPLE_RATE)
        out["cryless"].append({"seconds": seconds, "analyses": listener.analyses,
                               "named": [d.guess.name() for d in listener.detections]})
    if not CRIES.is_dir():
        return out
    files = sorted(CRIES.glob("*.ogg"), key=lambda p: int(p.stem))
    files = [f for f in files if int(f.stem) <= 151]
    picked = [files[i] for i in np.random.default_rng(seed).choice(len(files), min(n_cries, len(files)), replace=False)]
    rows = []
    for k, path in enumerate(picked):
        species = recognizer.bundle.pokedex
        truth = next((label for label, info in species.items() if info.pokedex_id == int(path.stem)), path.stem)
        audio, cry_end = in_context(decode_audio(path), seed=k + 100 * seed)
        listener = LiveListener(recognizer, LiveConfig(time_limit_seconds=len(audio) / SAMPLE_RATE + 1, **strict))
        first = next((u for u in stream_in_process(listener, audio, SAMPLE_RATE) if u.current), None)
        upload = recognizer.predict(audio)
        rows.append({
            "cry": path.name, "truth": truth,
            "live": first.current.label if first else None,
            "live_delay_s": round(first.elapsed - cry_end, 2) if first else None,
            "live_names": [d.label for d in listener.detections],
            "upload": None if upload.not_sure else upload.top.label,
        })
    named = [r for r in rows if r["live"]]
    delays = [r["live_delay_s"] for r in named]
    out["cries"] = {
        "n": len(rows), "source": str(CRIES.relative_to(ROOT.parent)),
        "live_right": sum(r["live"] == r["truth"] for r in rows),
        "live_wrong": sum(bool(r["live"]) and r["live"] != r["truth"] for r in rows),
        "live_unnamed": sum(not r["live"] for r in rows),
        "upload_right": sum(r["upload"] == r["truth"] for r in rows),
        "upload_wrong": sum(bool(r["upload"]) and r["upload"] != r["truth"] for r in rows),
        "delay_p50_s": round(float(np.median(delays)), 2) if delays else None,
        "delay_max_s": round(float(np.max(delays)), 2) if delays else None,
        "rows": rows,
    }
    return out


class BrowserListener(threading.Thread):
    """One simulated Live tab: sends ``samples`` (16 kHz) to ``/api/live_chunk`` as the page's recorder does.

    Audio "arrives" in real time; whenever 0.5 s have gathered and the previous answer is back, everything
    gathered is sent (raw int16 PCM, one POST). Afterwards: ``received_s`` (audio the
    server's listener got), ``names`` (species shown in the card, with the wall time since the start),
    ``answers`` (seconds each request took).
    """

    def __init__(self, url: str, samples: np.ndarray):
        super().__init__(daemon=True)
        self.url, self.samples = url, samples
        self.token = f"bench-{uuid.uuid4().hex[:12]}"
        self.names: list[tuple[float, str]] = []
        self.answers: list[float] = []
        self.received_s = 0.0
        self.error: str | None = None
        self.start_time = 0.0

    def run(self) -> None:
        import httpx

        from frontend.audio import SAMPLE_RATE

        sent = 0
        try:
            with httpx.Client(timeout=60) as http:
                self.start_time = time.perf_counter()
                while sent < len(self.samples):
                    now = time.perf_counter() - self.start_time
                    heard = min(len(self.samples), int(now * SAMPLE_RATE))
                    if heard - sent < HOP_SECONDS * SAMPLE_RATE and heard < len(self.samples):
                        time.sleep(0.05)
                        continue
                    pcm = (np.clip(self.samples[sent:heard], -1, 1) * 32767).astype("<i2").tobytes()
                    self.record(self.call(http, pcm, False), now)
                    sent = heard
                self.record(self.call(http, b"", True), time.perf_counter() - self.start_time)
        except Exception as err:  # reported in the results, not raised in a thread
            self.error = f"{type(err).__name__}: {err}"

    def call(self, http, pcm: bytes, stop: bool) -> dict:
        start = time.perf_counter()
        query = {"token": self.token, "rate": 16000, "language": "en", "stop": int(stop)}
        response = http.post(self.url + "api/live_chunk", params=query, content=pcm)
        if response.status_code != 200:
            raise RuntimeError(f"/api/live_chunk: HTTP {response.status_code}: {response.text[:200]}")
        self.answers.append(time.perf_counter() - start)
        return response.json()

    def record(self, answer: dict, now: float) -> None:
        import re

        if match := re.search(r'data-elapsed="([0-9.]+)"', answer["status"]):
            self.received_s = float(match.group(1))
        if match := re.search(r'class="who-name">([^<]+)<', answer["card"]):
            if not self.names or self.names[-1][1] != match.group(1):
                self.names.append((time.perf_counter() - self.start_time, match.group(1)))


def predict_loop(url: str, audio: str, stop: threading.Event, out: list[float]) -> None:
    """Call /predict through the REST API until ``stop``, with a 0.2 s pause between calls."""
    import httpx

    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            with open(audio, "rb") as f:
                start = time.perf_counter()
                path = http.post(url + "gradio_api/upload", files={"files": ("recording.wav", f, "audio/wav")}).json()[0]
            payload = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]}
            event = http.post(url + "gradio_api/call/predict", json=payload).json()["event_id"]
            with http.stream("GET", url + f"gradio_api/call/predict/{event}") as response:
                for line in response.iter_lines():
                    if line.startswith("event:") and line.split(":", 1)[1].strip() in ("complete", "error"):
                        break
            out.append(time.perf_counter() - start)
            stop.wait(0.2)


def server_run(model_dir: Path, listeners: int, seconds: float, threads: int, workdir: Path) -> dict:
    """``listeners`` simulated browsers on the Live tab while /predict is called in a loop."""
    from frontend.audio import SAMPLE_RATE, decode_audio, resample
    from tests.app_server import running_app
    from tests.synthetic import fake_cry, write_audio

    real = CRIES / "25.ogg"
    cry = decode_audio(real) if real.exists() else fake_cry(5, 1.2)
    head, cry_end = in_context(cry, seed=1)
    tail = cryless(max(0.0, seconds - len(head) / SAMPLE_RATE), seed=9)
    audio = np.concatenate([head, tail])[: int(seconds * SAMPLE_RATE)]
    recording = str(write_audio(workdir / "predict.wav", resample(head[-3 * SAMPLE_RATE :], SAMPLE_RATE, RATE), RATE))
    env = {"OMP_NUM_THREADS": str(threads), "WHO_LIVE_SECONDS": str(int(seconds) + 10)}
    with running_app(model_dir, env=env) as url:
        pid = app_pid(int(url.rstrip("/").rsplit(":", 1)[1]))
        warm: list[float] = []
        predict_loop_once(url, recording, warm, calls=3)
        latencies: list[float] = []
        stop = threading.Event()
        caller = threading.Thread(target=predict_loop, args=(url, recording, stop, latencies), daemon=True)
        crowd = [BrowserListener(url, audio) for _ in range(listeners)]
        cpu, wall = process_cpu_seconds(pid), time.perf_counter()
        caller.start()
        for browser in crowd:
            browser.start()
            time.sleep(0.05)
        if crowd:
            for browser in crowd:
                browser.join(seconds + 60)
        else:
            time.sleep(seconds)
        cpu, wall = process_cpu_seconds(pid) - cpu, time.perf_counter() - wall
        stop.set()
        caller.join(60)
    return summarize_server(listeners, seconds, threads, cpu, wall, latencies, crowd, cry_end, "real Pikachu cry" if real.exists() else "synthetic cry")


def predict_loop_once(url: str, audio: str, out: list[float], calls: int) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=predict_loop, args=(url, audio, stop, out), daemon=True)
    thread.start()
    while len(out) < calls and thread.is_alive():
        time.sleep(0.05)
    stop.set()
    thread.join(60)


def summarize_server(listeners, seconds, threads, cpu, wall, latencies, crowd, cry_end, cry_source) -> dict:
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    per = []
    for browser in crowd:
        first = browser.names[0] if browser.names else None
        answers = np.array(browser.answers or [np.nan]) * 1000
        per.append({"received_share": round(browser.received_s / seconds, 3), "names": [n for _, n in browser.names],
                    "delay_after_cry_s": round(first[0] - cry_end, 2) if first else None,
                    "answer_p50_ms": round(float(np.percentile(answers, 50)), 1),
                    "answer_p95_ms": round(float(np.percentile(answers, 95)), 1),
                    "requests": len(browser.answers), "error": browser.error})
    delays = [p["delay_after_cry_s"] for p in per if p["delay_after_cry_s"] is not None]
    return {
        "listeners": listeners, "seconds": seconds, "threads": threads, "cry": cry_source,
        "predict_p50_ms": round(float(np.percentile(ms, 50)), 1), "predict_p95_ms": round(float(np.percentile(ms, 95)), 1),
        "predict_calls": len(latencies),
        "app_cpu_share_of_one_core": round(cpu / wall, 3),
        "app_cpu_per_listener_share": round(cpu / wall / listeners, 3) if listeners else None,
        "received_share_min": min((p["received_share"] for p in per), default=None),
        "named_right": sum(p["names"][:1] == ["Pikachu"] for p in per) if "Pikachu" in cry_source else None,
        "delay_after_cry_max_s": max(delays) if delays else None,
        "per_listener": per,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--listeners", type=int, nargs="+", default=[1, 8], help="simulated browsers per server run")
    parser.add_argument("--seconds", type=float, default=60.0, help="cost and cry-less streams (s)")
    parser.add_argument("--server-seconds", type=float, default=20.0, help="each simulated browser streams this long")
    parser.add_argument("--cries", type=int, default=30, help="real cries streamed in context (needs ../shared)")
    parser.add_argument("--cryless", type=int, default=5, help="cry-less streams of --seconds")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the app")
    parser.add_argument("--seed", type=int, default=0, help="which cries and cry-less streams (0: those LiveConfig was tuned on)")
    parser.add_argument("--min-confidence", type=float, default=None,
                        help="accuracy with another LiveConfig.min_confidence (0: the calibrated threshold alone)")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the results (JSON)")
    args = parser.parse_args()

    import tempfile

    import torch

    from recognizer.predict import Recognizer

    recognizer = Recognizer.from_pretrained(args.model, threads=1)
    results = {
        "model": args.model, "machine": platform.platform(), "cpus": os.cpu_count(), "torch": torch.__version__,
        "load_average_start": os.getloadavg(),
        "cost": listener_cost(recognizer, args.seconds),
        "seed": args.seed,
        "accuracy": accuracy(recognizer, args.cries, args.seconds, args.cryless, args.seed, args.min_confidence),
        "server": [],
    }
    print_cost_and_accuracy(results)
    if not args.skip_server:
        with tempfile.TemporaryDirectory() as tmp:
            for n in [0, *args.listeners]:
                run = server_run(Path(args.model), n, args.server_seconds, args.threads, Path(tmp))
                if n and results["server"]:
                    base = results["server"][0]["app_cpu_share_of_one_core"]
                    run["app_cpu_per_listener_over_baseline"] = round((run["app_cpu_share_of_one_core"] - base) / n, 3)
                results["server"].append(run)
                print_server(run)
    results["load_average_end"] = os.getloadavg()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def print_cost_and_accuracy(results: dict) -> None:
    cost = results["cost"]
    print(f"recogniser: {cost['cpu_per_listening_s'] * 100:.1f} % of one core per listener "
          f"({cost['analyses']} analyses, {cost['ms_per_analysis']} ms CPU each, {cost['audio_s']} s of audio)")
    cryless_named = [c for c in results["accuracy"]["cryless"] if c["named"]]
    print(f"cry-less streams: {len(cryless_named)} of {len(results['accuracy']['cryless'])} showed a name "
          f"{[c['named'] for c in cryless_named]}")
    cries = results["accuracy"]["cries"]
    if cries:
        print(f"real cries in context (n={cries['n']}): live right {cries['live_right']}, wrong {cries['live_wrong']}, "
              f"unnamed {cries['live_unnamed']}; upload right {cries['upload_right']}, wrong {cries['upload_wrong']}; "
              f"delay after the cry p50 {cries['delay_p50_s']} s, max {cries['delay_max_s']} s (audio time)")


def print_server(run: dict) -> None:
    print(f"server, {run['listeners']} listeners: /predict p50 {run['predict_p50_ms']} ms, p95 {run['predict_p95_ms']} ms "
          f"({run['predict_calls']} calls); app CPU {run['app_cpu_share_of_one_core'] * 100:.0f} % of a core"
          + (f", {run.get('app_cpu_per_listener_over_baseline', 0) * 100:.1f} % per listener over the baseline; "
             f"audio received >= {run['received_share_min'] * 100:.0f} %; named {run['named_right']}/{run['listeners']}, "
             f"at most {run['delay_after_cry_max_s']} s after the cry" if run["listeners"] else ""))


if __name__ == "__main__":
    main()

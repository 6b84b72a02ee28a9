"""Latency of one ``/predict`` call for a 3 s recording on CPU, through ``gradio_client`` against ``python app.py``.

Models: the embedded model (``models/default``; while it does not exist yet, a random-weight stand-in
with the trainer's ``small`` preset, which the output says) and a base-size AST (``ASTConfig()``, random
weights, ``max_length`` 400 — speed does not depend on the weights). For each:

- ``/predict`` p50/p95 over ``--calls`` calls (upload + queue + inference + answer) as ``gradio_client`` sees
  it, and through Gradio's REST API (``/gradio_api/call/predict``, what curl does), alternating;
- the server-side pipeline alone (``Recognizer.predict_file``: decode, windows, detector, features, model);
- the raw model forward for one 3 s clip with ``--threads`` threads (the model's own goal: <= 30 ms),
  with ``OMP_WAIT_POLICY=PASSIVE`` as ``app.main()`` sets it.

A row without a model (an app that answers a constant) measures the HTTP + ``gradio_client`` floor. One app
runs at a time, as deployed. On a shared machine the load average (recorded) inflates everything.

**Load** (the embedded model): 1, 8 and 32 concurrent REST clients (threads of this process, loopback),
each sending its share of ``--load-total`` requests back to back; requests/s and p50/p95 latency per level,
beside the in-process rate of the same recogniser (``Recognizer.predict_file`` in a loop, files/s) measured
in the same run. Two routes, one after the other on the same server: Gradio's REST API (upload, call, result
stream: three requests) and the plain ``POST /api/identify`` (the file as the body: one request). Goal: 8
clients >= 0.75 x the in-process rate with p95 <= 500 ms.

    python benchmarks/bench_app.py [--calls 30] [--threads 2] [--load-total 96] [--load-only]

Prints a table and writes ``benchmarks/results/app.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as app.main() sets it: before torch loads

NUM_CLASSES = 151
MAX_LENGTH = 400
RECORDING_SECONDS = 3.0
RECORDING_RATE = 44_100  # what Gradio's browser recorder sends: 16-bit mono WAV at 44.1 kHz
REAL_CRY = ROOT.parent / "shared" / "pokeapi" / "cries" / "cries" / "pokemon" / "latest" / "25.ogg"

FLOOR_APP = textwrap.dedent(
    """
    import gradio as gr
    with gr.Blocks() as demo:
        audio, label, go = gr.Audio(type="filepath"), gr.Label(), gr.Button()
        go.click(lambda path: {"constant": 1.0}, audio, label, api_name="predict")
    demo.queue().launch(server_name="127.0.0.1", server_port=int(__import__("os").environ["GRADIO_SERVER_PORT"]))
    """
)


def recording(path: Path) -> str:
    """A 3 s phone-like recording: a cry (the real Pikachu cry when ../shared is there) over a quiet room."""
    from frontend.audio import SAMPLE_RATE, decode_audio, resample
    from tests.synthetic import fake_cry, write_audio

    rng = np.random.default_rng(0)
    if REAL_CRY.exists():
        cry, source = decode_audio(REAL_CRY), f"real cry ({REAL_CRY.relative_to(ROOT.parent)})"
    else:
        cry, source = fake_cry(5, 1.2), "synthetic cry (tests.synthetic.fake_cry)"
    samples = 0.003 * rng.standard_normal(int(RECORDING_SECONDS * SAMPLE_RATE)).astype(np.float32)
    start = int(0.5 * SAMPLE_RATE)
    cry = cry[: len(samples) - start]
    samples[start : start + len(cry)] += 0.5 * cry
    write_audio(path, resample(samples, SAMPLE_RATE, RECORDING_RATE), RECORDING_RATE)
    return f"{RECORDING_SECONDS:.0f} s WAV, {RECORDING_RATE} Hz mono: {source}"


def write_model(folder: Path, config_kwargs: dict, num_mel_bins: int) -> Path:
    """A random-weight model folder the app can load (speed does not depend on the weights)."""
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    torch.manual_seed(0)
    labels = {i: f"Pokemon {i + 1:03d}" for i in range(NUM_CLASSES)}
    config = ASTConfig(**config_kwargs, max_length=MAX_LENGTH, num_labels=NUM_CLASSES, id2label=labels,
                       label2id={v: k for k, v in labels.items()})
    ASTForAudioClassification(config).save_pretrained(folder)
    ASTFeatureExtractor(num_mel_bins=num_mel_bins, max_length=MAX_LENGTH).save_pretrained(folder)
    return folder


def models(workdir: Path) -> list[dict]:
    """The embedded model (or its stand-in) and the base-size AST."""
    embedded = ROOT / "models" / "default"
    if (embedded / "config.json").exists():
        first = {"name": "embedded (models/default)", "dir": embedded, "note": "trained model committed in models/default"}
    else:
        try:
            from trainer.presets import preset_config_kwargs

            kwargs, origin = preset_config_kwargs("small"), "trainer/presets.py `small`"
        except ImportError:
            kwargs = dict(hidden_size=192, num_hidden_layers=4, num_attention_heads=3, intermediate_size=768,
                          num_mel_bins=64, frequency_stride=16, time_stride=8)
            origin = "4 x 192, 64 mels, strides 16 x 8"
        folder = write_model(workdir / "small", kwargs, int(kwargs["num_mel_bins"]))
        first = {"name": "embedded stand-in (small preset)", "dir": folder,
                 "note": f"models/default does not exist yet: random weights, {origin}"}
    base = {"name": "base AST (ASTConfig())", "dir": write_model(workdir / "base", {}, 128),
            "note": "random weights, 12 x 768, 128 mels, strides 10 x 10"}
    return [first, base]


def percentiles(seconds: list[float]) -> dict:
    ms = np.array(seconds) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "mean_ms": round(float(ms.mean()), 1), "n": len(ms)}


def offline_timings(model_dir: Path, audio: str, threads: int, repeats: int) -> dict:
    """Server-side pipeline and raw model forward, in this process, with ``threads`` torch threads."""
    import torch

    from frontend.windows import find_windows
    from recognizer.loading import load_model
    from recognizer.predict import Recognizer
    from recognizer.recording import read_recording

    recognizer = Recognizer(load_model(str(model_dir)), threads=threads)
    model, extractor = recognizer.bundle.model, recognizer.bundle.feature_extractor
    samples = read_recording(audio)
    window = [w.samples for w in find_windows(samples, recognizer.window)][:1]
    features = extractor(window, sampling_rate=16_000, return_tensors="pt")["input_values"]

    def timed(fn, n):
        for _ in range(3):
            fn()
        out = []
        for _ in range(n):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    with torch.inference_mode():
        forward = timed(lambda: model(input_values=features), max(repeats, 30))
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "window_frames": int(extractor.max_length),
        "pipeline": percentiles(timed(lambda: recognizer.predict_file(audio), repeats)),
        "features": percentiles(timed(lambda: extractor(window, sampling_rate=16_000, return_tensors="pt"), repeats)),
        "model_forward": percentiles(forward),
        # where the model's cry locator puts the cry (part of the pipeline; None: the model carries no locator)
        "locator": None if recognizer.locator is None else percentiles(
            timed(lambda: recognizer.locator.onset_seconds(samples), repeats)),
    }


def rest_call(http, url: str, audio: str) -> dict:
    """One /predict call through Gradio's REST API (upload, call, read the result stream), as curl would."""
    with open(audio, "rb") as f:
        path = http.post(url + "gradio_api/upload", files={"files": ("recording.wav", f, "audio/wav")}).json()[0]
    payload = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}]}
    event = http.post(url + "gradio_api/call/predict", json=payload).json()["event_id"]
    return call_result(http, url, "predict", event)


def plain_call(http, url: str, audio: str) -> dict:
    """One ``POST /api/identify`` with the file as the body (app_rest.py): one request, the verdict back."""
    with open(audio, "rb") as f:
        response = http.post(url + "api/identify", content=f.read(), headers={"Content-Type": "audio/wav"})
    if response.status_code != 200:
        raise RuntimeError(f"/api/identify: HTTP {response.status_code}: {response.text[:200]}")
    return response.json()


def call_result(http, url: str, endpoint: str, event: str):
    """The first output of a Gradio REST call ``event`` to ``/endpoint``, read from its result stream."""
    with http.stream("GET", url + f"gradio_api/call/{endpoint}/{event}") as response:
        kind = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                if kind == "error":
                    raise RuntimeError(f"/{endpoint} failed: {line[5:].strip()}")
                return json.loads(line[5:])[0]
    raise RuntimeError(f"/{endpoint}: the result stream ended without a result")


@contextlib.contextmanager
def floor_app(workdir: Path):
    """The constant-answer app, served like app.py (its own process, a free loopback port)."""
    import subprocess
    import urllib.request

    from tests.app_server import free_port

    script = workdir / "floor_app.py"
    script.write_text(FLOOR_APP)
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def load_levels(url: str, audio: str, clients: list[int], total: int, call=rest_call) -> list[dict]:
    """Requests/s and latency with ``n`` concurrent REST clients for each ``n``; ``total`` requests per level.

    ``call(http, url, audio)`` is one request: :func:`rest_call` (Gradio's REST API) or :func:`plain_call`.

    Also the CPU each request cost the app's process (``/proc``) and this benchmark's client threads, which
    share the machine's cores with it.
    """
    import threading
    from urllib.parse import urlparse

    import httpx

    from benchmarks.processes import app_pid, process_cpu_seconds

    server = app_pid(urlparse(url).port)

    rows = []
    for n in clients:
        per_client, latencies, errors = max(1, total // n), [], []
        lock = threading.Lock()

        def client(per_client=per_client, latencies=latencies, errors=errors, lock=lock):
            with httpx.Client(timeout=120) as http:
                for _ in range(per_client):
                    start = time.perf_counter()
                    try:
                        call(http, url, audio)
                    except Exception as err:  # counted: a "busy" answer is an error here
                        with lock:
                            errors.append(str(err)[:200])
                        continue
                    with lock:
                        latencies.append(time.perf_counter() - start)

        threads = [threading.Thread(target=client) for _ in range(n)]
        start, server_cpu, client_cpu = time.perf_counter(), process_cpu_seconds(server), time.process_time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        server_cpu, client_cpu = process_cpu_seconds(server) - server_cpu, time.process_time() - client_cpu
        requests = n * per_client
        rows.append({"clients": n, "requests": requests, "ok": len(latencies), "errors": len(errors),
                     "error_examples": sorted(set(errors))[:3], "seconds": round(elapsed, 2),
                     "requests_per_s": round(len(latencies) / elapsed, 1), **percentiles(latencies or [0.0]),
                     "server_cpu_ms_per_request": round(1000 * server_cpu / requests, 1),
                     "client_cpu_ms_per_request": round(1000 * client_cpu / requests, 1)})
    return rows


def in_process_rate(model_dir: Path, audio: str, threads: int, n: int) -> dict:
    """Files/s of ``Recognizer.predict_file`` on one thread, back to back (decode + windows + model)."""
    from recognizer.loading import load_model
    from recognizer.predict import Recognizer

    recognizer = Recognizer(load_model(str(model_dir)), threads=threads)
    for _ in range(3):
        recognizer.predict_file(audio)
    start = time.perf_counter()
    for _ in range(n):
        recognizer.predict_file(audio)
    elapsed = time.perf_counter() - start
    return {"files": n, "seconds": round(elapsed, 2), "files_per_s": round(n / elapsed, 1)}


def measure_load(model_dir: Path, audio: str, threads: int, total: int) -> dict:
    """In-process rate, then 1/8/32 REST clients on each route, then the in-process rate again (the machine may change)."""
    before = in_process_rate(model_dir, audio, threads, total)
    with running_app_for_load(model_dir, threads) as url:
        import httpx

        with httpx.Client(timeout=120) as http:
            for _ in range(3):
                rest_call(http, url, audio)
                plain_call(http, url, audio)
        levels = load_levels(url, audio, [1, 8, 32], total)
        plain = load_levels(url, audio, [1, 8, 32], total, call=plain_call)
    with tempfile.TemporaryDirectory() as tmp, floor_app(Path(tmp)) as url:  # Gradio's own share, for comparison
        floor = load_levels(url, audio, [8], total)[0]
    after = in_process_rate(model_dir, audio, threads, total)
    rate = (before["files_per_s"] + after["files_per_s"]) / 2
    eight = next(level for level in levels if level["clients"] == 8)
    plain_eight = next(level for level in plain if level["clients"] == 8)

    def met(level: dict) -> bool:
        return level["requests_per_s"] >= 0.75 * rate and level["p95_ms"] <= 500 and level["errors"] == 0

    return {"in_process_before": before, "in_process_after": after, "in_process_files_per_s": round(rate, 1),
            "levels": levels, "plain_levels": plain, "floor_8_clients": floor,
            "goal": {"ratio_8_clients": 0.75, "p95_ms_8_clients": 500},
            "ratio_8_clients": round(eight["requests_per_s"] / rate, 2), "met": met(eight),
            "plain_ratio_8_clients": round(plain_eight["requests_per_s"] / rate, 2), "plain_met": met(plain_eight)}


def running_app_for_load(model_dir: Path, threads: int):
    from tests.app_server import running_app

    return running_app(model_dir, timeout=180, env={"OMP_NUM_THREADS": str(threads)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=30, help="timed /predict calls per model (>= 20)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in the app and for the raw forward")
    parser.add_argument("--load-total", type=int, default=96, help="requests per load level (1, 8, 32 clients)")
    parser.add_argument("--load-only", action="store_true", help="only the load levels and the in-process rate")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "app.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()
    if args.calls < 20:
        parser.error("--calls must be at least 20")
    if not 32 <= args.load_total <= 2000:
        parser.error("--load-total must be in 32..2000")
    if args.load_only:
        return main_load(args)

    from gradio_client import Client, handle_file

    from tests.app_server import running_app

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        audio = str(workdir / "recording.wav")
        audio_note = recording(Path(audio))
        rows = models(workdir)
        print(f"recording: {audio_note}; {args.calls} calls per app; torch threads {args.threads}")

        def measure(url: str) -> dict:
            """gradio_client and plain REST calls, alternating, after three warm-up calls."""
            import httpx

            client, http = Client(url, verbose=False), httpx.Client(timeout=120)
            try:
                for _ in range(3):  # warm-up: model load, first-call allocations
                    client.predict(handle_file(audio), api_name="/predict")
                timings: dict[str, list[float]] = {"client": [], "rest": []}
                answer = None
                for _ in range(args.calls):
                    start = time.perf_counter()
                    answer = client.predict(handle_file(audio), api_name="/predict")
                    timings["client"].append(time.perf_counter() - start)
                    start = time.perf_counter()
                    rest_call(http, url, audio)
                    timings["rest"].append(time.perf_counter() - start)
                return {"predict": percentiles(timings["client"]), "rest": percentiles(timings["rest"]), "top1": answer["label"]}
            finally:
                client.close()
                http.close()

        with floor_app(workdir) as url:  # one server at a time, as deployed (idle servers' threads would compete)
            results = {"floor": measure(url), "models": []}
        for row in rows:
            with running_app(row["dir"], timeout=180, env={"OMP_NUM_THREADS": str(args.threads)}) as url:
                served = measure(url)
            offline = offline_timings(row["dir"], audio, args.threads, args.calls)
            results["models"].append({"name": row["name"], "note": row["note"], **served, **offline})

    results.update({
        "recording": audio_note, "calls": args.calls, "threads": args.threads,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "goals": {"predict_p50_ms_embedded": 100, "model_forward_ms": 30},
    })
    _print_table(results)
    out = results_file(args.output, args.update)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def main_load(args) -> None:
    """--load-only: the load levels beside the in-process rate, written to results/app_load.json."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        audio = str(Path(tmp) / "recording.wav")
        audio_note = recording(Path(audio))
        model = models(Path(tmp))[0] if not (ROOT / "models" / "default" / "config.json").exists() else \
            {"name": "embedded (models/default)", "dir": ROOT / "models" / "default"}
        load = measure_load(Path(model["dir"]), audio, args.threads, args.load_total)
    results = {"recording": audio_note, "model": model["name"], "threads": args.threads, "load": load,
               "machine": _machine(load_before)}
    _print_load(results)
    out = results_file(Path(args.output).with_name("app_load.json"), args.update)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def _machine(load_before) -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def _print_load(results: dict) -> None:
    load = results["load"]
    print(f"in-process recogniser ({results['model']}, {results['threads']} threads): "
          f"{load['in_process_before']['files_per_s']} files/s before, {load['in_process_after']['files_per_s']} after")
    print("| route | REST clients | requests | errors | requests/s | x in-process | p50 | p95 | app CPU / request "
          "| client CPU / request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    floor = load.get("floor_8_clients")
    rows = [("Gradio /gradio_api/call/predict", level) for level in load["levels"]]
    rows += [("POST /api/identify", level) for level in load.get("plain_levels", [])]
    rows += [("Gradio, constant-answer app", floor)] if floor else []
    for route, level in rows:
        print(f"| {route} | {level['clients']} | {level['requests']} | {level['errors']} | {level['requests_per_s']} "
              f"| {level['requests_per_s'] / load['in_process_files_per_s']:.2f} | {level['p50_ms']} ms "
              f"| {level['p95_ms']} ms | {level.get('server_cpu_ms_per_request', '–')} ms "
              f"| {level.get('client_cpu_ms_per_request', '–')} ms |")
    machine = results["machine"]
    plain = "met" if load.get("plain_met") else "NOT met"
    print(f"goal (8 clients >= 0.75 x in-process, p95 <= 500 ms): Gradio's API {'met' if load['met'] else 'NOT met'} "
          f"(ratio {load['ratio_8_clients']}), POST /api/identify {plain} (ratio {load.get('plain_ratio_8_clients')}; load average {machine['load_average_before']} -> "
          f"{machine['load_average_after']} on {machine['cpus']} CPUs)")


def _p50(timing: dict | None) -> str:
    return "–" if timing is None else f"{timing['p50_ms']} ms"


def _print_table(results: dict) -> None:
    floor = results["floor"]
    print("| model | params | window | /predict p50 (gradio_client) | p95 | /predict p50 (REST) | p95 "
          "| pipeline p50 | locator p50 | features p50 | forward p50 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| no model (constant answer) | | | {floor['predict']['p50_ms']} ms | {floor['predict']['p95_ms']} ms "
          f"| {floor['rest']['p50_ms']} ms | {floor['rest']['p95_ms']} ms | | | | |")
    for m in results["models"]:
        print(f"| {m['name']} | {m['parameters'] / 1e6:.1f} M | {m['window_frames']} frames | {m['predict']['p50_ms']} ms "
              f"| {m['predict']['p95_ms']} ms | {m['rest']['p50_ms']} ms | {m['rest']['p95_ms']} ms "
              f"| {m['pipeline']['p50_ms']} ms | {_p50(m.get('locator'))} | {m['features']['p50_ms']} ms "
              f"| {m['model_forward']['p50_ms']} ms |")
    for m in results["models"]:
        print(f"  {m['name']}: {m['note']}")
    first = results["models"][0]
    goals = results["goals"]
    print(f"goal /predict p50 <= {goals['predict_p50_ms_embedded']} ms ({first['name']}, gradio_client): "
          f"{'met' if first['predict']['p50_ms'] <= goals['predict_p50_ms_embedded'] else 'NOT met'}; "
          f"goal forward <= {goals['model_forward_ms']} ms: "
          f"{'met' if first['model_forward']['p50_ms'] <= goals['model_forward_ms'] else 'NOT met'} "
          f"({results['threads']} threads; load average {results['machine']['load_average_before']} -> "
          f"{results['machine']['load_average_after']} on {results['machine']['cpus']} CPUs)")


if __name__ == "__main__":
    main()

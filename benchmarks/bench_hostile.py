"""Hostile uploads: time, peak memory and the answer for each, measured in a fresh process per file.

The issue's decompression bomb (a 9.9 MB streamed WebM holding 9.6 h of Opus silence) and its smaller
relatives are built with the ffmpeg command line in a temporary folder (never kept). Each file goes through
``Recognizer.predict_file`` (size check, header probe, bounded decode, the recogniser) in a child process
that has already imported everything, loaded the model and answered a warm-up file, so the time and the peak-memory increase
(``resource.getrusage`` maxrss) are the request's own. Goal: the bomb refused in <= 2 s with <= +200 MB.

    python benchmarks/bench_hostile.py [--model DIR]

Prints a table and writes ``benchmarks/results/hostile.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SILENCE = ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono"]
CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    sys.path.insert(0, sys.argv[1])
    from recognizer.predict import Recognizer
    from recognizer.recording import RecordingError
    recognizer = Recognizer.from_pretrained(sys.argv[2], threads=2)
    for _ in range(2):  # warm: the decoder's and the model's first-call allocations
        recognizer.predict_file(sys.argv[4])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        p = recognizer.predict_file(sys.argv[3])
        answer = f"{p.top.label if p.top else None} {p.confidence:.2f}" + (f", not sure: {p.reason}" if p.not_sure else "")
    except RecordingError as err:
        answer = f"refused: {err}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 3), "peak_increase_mb": round((peak - base) / 1024, 1), "answer": answer}))
    """
)


def ffmpeg(out: Path, *args: str) -> Path:
    """Run ffmpeg writing to a pipe (so the container carries no duration), saved as ``out``."""
    data = subprocess.run(["ffmpeg", "-loglevel", "error", *args, "-"], check=True, capture_output=True).stdout
    out.write_bytes(data)
    return out


def build_files(folder: Path) -> list[tuple[str, Path]]:
    """The bomb of the issue, its relatives, and odd recordings."""
    import soundfile as sf

    from frontend.audio import decode_audio, resample
    from tests.synthetic import fake_cry

    seed = ffmpeg(folder / "s.webm", *SILENCE, "-t", "300", "-c:a", "libopus", "-b:a", "6k", "-frame_duration", "120",
                  "-f", "webm")
    files = [
        ("bomb: streamed WebM, 9.6 h of Opus silence (the issue's)",
         ffmpeg(folder / "bomb.webm", "-stream_loop", "114", "-i", str(seed), "-c", "copy", "-f", "webm")),
        ("piped FLAC, 1 h of silence", ffmpeg(folder / "piped.flac", *SILENCE, "-t", "3600", "-f", "flac")),
        ("streamed WebM Vorbis, 1 h of silence",
         ffmpeg(folder / "vorbis.webm", *SILENCE, "-t", "3600", "-c:a", "libvorbis", "-f", "webm")),
        ("Ogg Opus, 1 h of silence (duration in the header)",
         ffmpeg(folder / "long.ogg", *SILENCE, "-t", "3600", "-c:a", "libopus", "-b:a", "6k", "-f", "ogg")),
    ]
    real = ROOT.parent / "shared" / "pokeapi" / "cries" / "cries" / "pokemon" / "latest" / "25.ogg"
    cry = decode_audio(real) if real.exists() else fake_cry(5, 1.2)
    sf.write(folder / "blip.wav", cry[:300], 16000)
    sf.write(folder / "fragment.wav", cry[len(cry) // 2 : len(cry) // 2 + 640], 16000)
    broken = cry.copy()
    broken[::1000] = np.nan
    sf.write(folder / "nan.wav", broken, 16000, subtype="FLOAT")
    sf.write(folder / "lofi.wav", resample(cry, 16000, 1000), 1000)
    (folder / "junk.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + os.urandom(4000))
    source = "the real Pikachu cry" if real.exists() else "a synthetic cry"
    files += [
        (f"19 ms of {source}", folder / "blip.wav"),
        (f"40 ms of {source}", folder / "fragment.wav"),
        (f"{source}, every 1000th sample NaN", folder / "nan.wav"),
        (f"{source} at a 1 kHz sample rate", folder / "lofi.wav"),
        ("random bytes behind a WAV header", folder / "junk.wav"),
    ]
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"), help="model folder")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "hostile.json"))
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        parser.error("the ffmpeg command line is needed to build the bomb (apt-get install -y ffmpeg)")
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        warm_up = Path(tmp) / "warm-up.webm"
        ffmpeg(warm_up, "-f", "lavfi", "-i", "sine=f=880:r=48000", "-t", "2", "-c:a", "libopus", "-f", "webm")
        for what, path in build_files(Path(tmp)):
            env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "HF_HUB_OFFLINE": "1"}
            done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), args.model, str(path), str(warm_up)], env=env,
                                  capture_output=True, text=True, timeout=600)
            if done.returncode:
                raise SystemExit(f"{what}: the child failed:\n{done.stderr[-2000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"file": what, "name": path.name, "bytes": path.stat().st_size, **result})
    machine = {"cpus": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
               "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    bomb = rows[0]
    met = bomb["answer"].startswith("refused") and bomb["seconds"] <= 2 and bomb["peak_increase_mb"] <= 200
    print("| file | size | time | peak memory | answer |")
    print("| --- | ---: | ---: | ---: | --- |")
    for row in rows:
        print(f"| {row['file']} | {row['bytes'] / 1e6:.2f} MB | {row['seconds']:.2f} s | +{row['peak_increase_mb']:.0f} MB "
              f"| {row['answer']} |")
    print(f"goal (the bomb refused in <= 2 s with <= +200 MB): {'met' if met else 'NOT met'} "
          f"(load average {machine['load_average_before']} -> {machine['load_average_after']} on {machine['cpus']} CPUs)")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "goal_met": met, "machine": machine}, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()

"""How often the "no cry-like sound" heuristics (recognizer/detect.py) flag noise, speech, silence — and cries.

Each recording goes through the recognizer's own path: silence trimmed, cut into 4 s windows (400 frames),
loudness-normalised, every window described by ``check_sound``. A recording counts as "no cry" when no
window is cry-like, as in ``Recognizer.predict`` (silence: no window at all). The model's calibrated
threshold comes on top of this in the app, so these rates are a floor for "not sure", not the final rate.

Groups: silence; stationary and modulated noise; babble; espeak-ng speech (the sentences and voices the
thresholds were tuned on, and held-out ones: clean, in pink noise at 10 dB, and phone-band 300-3400 Hz);
synthetic calls; and, when ``../shared/pokeapi`` is beside the checkout, the real Gen 1 cries (both
renditions), clean and in pink noise at 10 and 0 dB SNR.

    python benchmarks/bench_cry_detector.py

Prints a table and writes ``benchmarks/results/cry_detector.json``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import results_file  # noqa: E402
from frontend.audio import SAMPLE_RATE, decode_audio  # noqa: E402
from frontend.fbank import window_samples  # noqa: E402
from frontend.windows import find_windows  # noqa: E402
from recognizer.detect import CRY, check_sound  # noqa: E402
from tests.synthetic import fake_cry  # noqa: E402

CRIES = ROOT.parent / "shared" / "pokeapi" / "cries" / "cries" / "pokemon"
WINDOW = window_samples(400)
TUNING_TEXTS = [
    "The weather today is cloudy with a chance of rain in the afternoon.",
    "Please hold the phone closer to the speaker and try again.",
    "I think that was a Pikachu but I'm not completely sure about it.",
    "Welcome back to the show, tonight we have a very special guest.",
    "Bonjour tout le monde, aujourd'hui nous allons parler de musique.",
    "Guten Tag, heute ist ein schöner Tag für einen Spaziergang im Park.",
    "Hola a todos, bienvenidos a nuestro programa de esta noche.",
    "Can you turn the volume down a little bit, it's too loud in here.",
]
TUNING_VOICES = ["en-us", "en+f3", "fr-fr+m2", "de+f2", "es", "en-gb+m5"]
HELD_OUT_TEXTS = [
    "My favourite pokemon has always been the little yellow mouse.",
    "Il fait beau aujourd'hui et nous allons au parc avec les enfants.",
    "Wir haben gestern Abend einen sehr guten Film im Kino gesehen.",
    "El tren sale de la estación a las ocho y media de la mañana.",
    "Konnichiwa, watashi wa gakusei desu, yoroshiku onegaishimasu.",
    "And now, the news at nine: markets were up slightly this morning.",
]
HELD_OUT_VOICES = ["en-us+klatt", "it+f1", "pt+m4", "nl", "en+croak", "ja"]


def verdict(samples: np.ndarray) -> str:
    """'silence', 'cry' (some window is cry-like) or the most common kind among the windows."""
    windows = find_windows(samples, WINDOW)
    if not windows:
        return "silence"
    kinds = [check_sound(w.samples).kind for w in windows]
    return CRY if CRY in kinds else Counter(kinds).most_common(1)[0][0]


def colored(rng: np.random.Generator, n: int, alpha: float) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spectrum), dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spectrum / f ** (alpha / 2), n)
    return (0.05 * x / np.sqrt(np.mean(x**2))).astype(np.float32)


def mix(signal: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``signal`` over ``noise`` at ``snr_db`` (signal power over its sounding part)."""
    loud = signal[np.abs(signal) > 0.01 * np.max(np.abs(signal))]
    gain = np.sqrt(np.mean(loud**2) / np.mean(noise**2) / 10 ** (snr_db / 10))
    return (signal + gain * noise[: len(signal)]).astype(np.float32)


def espeak(texts: list[str], voices: list[str], folder: Path) -> list[np.ndarray]:
    out = []
    for i, text in enumerate(texts):
        for j, voice in enumerate(voices):
            path = folder / f"speech_{abs(hash((text, voice)))}.wav"
            speed, pitch = 130 + (i * 17 + j * 23) % 80, 25 + (i * 13 + j * 29) % 60
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text],
                           check=True, capture_output=True)
            out.append(decode_audio(path))
    return out


def phone_band(x: np.ndarray) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(6, [300, 3400], btype="band", fs=SAMPLE_RATE, output="sos"), x).astype(np.float32)


def groups(folder: Path) -> dict[str, tuple[str, list[np.ndarray]]]:
    """name -> (what the app should say: 'no cry' or 'cry', recordings)."""
    rng = np.random.default_rng(0)
    n = 4 * SAMPLE_RATE
    t = np.arange(n) / SAMPLE_RATE
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in range(1, 8))
    out = {
        "silence (digital, -70 dBFS)": ("no cry", [np.zeros(n, np.float32)] * 5 + [10 ** (-70 / 20) * rng.standard_normal(n).astype(np.float32) for _ in range(15)]),
        "white noise": ("no cry", [colored(rng, n, 0) for _ in range(20)]),
        "pink noise": ("no cry", [colored(rng, n, 1) for _ in range(20)]),
        "brown noise": ("no cry", [colored(rng, n, 2) for _ in range(20)]),
        "mains hum + noise": ("no cry", [(0.05 * hum + colored(rng, n, 1) * 0.1).astype(np.float32) for _ in range(20)]),
        "fan (pink noise, slow AM)": ("no cry", [colored(rng, n, 1.5) * (1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t)).astype(np.float32) for _ in range(20)]),
        "synthetic calls (fake_cry)": ("cry", [fake_cry(k, 1.0 + 0.3 * s, seed=s) for k in range(12) for s in range(3)]),
    }
    if shutil.which("espeak-ng"):
        tuning = espeak(TUNING_TEXTS, TUNING_VOICES, folder)
        held = espeak(HELD_OUT_TEXTS, HELD_OUT_VOICES, folder)
        babble = []
        for _ in range(20):
            parts = [np.tile(tuning[int(i)], 3)[:n] for i in rng.choice(len(tuning), 5, replace=False)]
            babble.append(sum(p / np.sqrt(np.mean(p**2) + 1e-12) for p in parts).astype(np.float32) * 0.02)
        out["babble (5 espeak voices)"] = ("no cry", babble)
        out["speech, tuning set (espeak)"] = ("no cry", tuning)
        out["speech, held out (espeak)"] = ("no cry", held)
        out["speech, held out, pink noise 10 dB"] = ("no cry", [mix(s, colored(rng, len(s), 1), 10) for s in held])
        out["speech, held out, phone band"] = ("no cry", [phone_band(s) for s in held])
    if CRIES.is_dir():
        for rendition in ("latest", "legacy"):
            cries = [decode_audio(CRIES / rendition / f"{i}.ogg") for i in range(1, 152)]
            out[f"real cries, {rendition}"] = ("cry", cries)
            for snr in (10, 0):
                noisy = []
                for cry in cries:
                    padded = np.zeros(max(n, len(cry) + SAMPLE_RATE), np.float32)
                    start = int(rng.integers(0, len(padded) - len(cry)))
                    padded[start : start + len(cry)] = cry
                    noisy.append(mix(padded, colored(rng, len(padded), 1), snr))
                out[f"real cries, {rendition}, pink noise {snr} dB"] = ("cry", noisy)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = groups(Path(tmp))
    rows = []
    for name, (truth, recordings) in data.items():
        verdicts = Counter(verdict(r) for r in recordings)
        n = len(recordings)
        no_cry = (n - verdicts[CRY]) / n
        rows.append({"group": name, "truth": truth, "n": n, "no_cry_rate": round(no_cry, 3),
                     "verdicts": {k: round(v / n, 3) for k, v in sorted(verdicts.items())}})
    window = find_windows(data["pink noise"][1][0], WINDOW)[0].samples
    start = time.perf_counter()
    for _ in range(50):
        check_sound(window)
    per_window_ms = (time.perf_counter() - start) / 50 * 1000

    print("| recordings | should be | n | judged 'no cry' | verdicts (share) |")
    print("| --- | --- | ---: | ---: | --- |")
    for r in rows:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in r["verdicts"].items())
        print(f"| {r['group']} | {r['truth']} | {r['n']} | {r['no_cry_rate']:.0%} | {shares} |")
    print(f"check_sound: {per_window_ms:.1f} ms per 4 s window")
    if not shutil.which("espeak-ng"):
        print("espeak-ng is not installed: no speech rows (apt-get install espeak-ng)")
    if not CRIES.is_dir():
        print(f"{CRIES} is absent: no real-cry rows")
    out = results_file(ROOT / "benchmarks" / "results" / "cry_detector.json", "--update" in sys.argv[1:])
    out.write_text(json.dumps({"window_frames": 400, "check_sound_ms_per_window": round(per_window_ms, 2), "groups": rows},
                              indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

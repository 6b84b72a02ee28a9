"""A synthetic chiptune cry enrolled from one recording: how often the app names it, and what it costs Gen 1.

Issue "Every Pokémon" asks that a synthetic chiptune cry enrolled from one recording be named in ≥ 90 % of its
captures at 20 dB and ≥ 80 % at 10 dB, and that enrolling it cost Gen-1 accuracy at most 1 point. ``--sounds K``
square-wave arpeggios (four notes of a drawn scale, 6–12 notes a second, 0.8–1.2 s; nothing like a Gen-1 cry) are
each enrolled into ``--model`` from its one clean recording, by ``recognizer.enrol``'s rules: the references
alone, the references with ``--enrol-captures`` simulated captures (``--captures``, the folder's captures map),
and the references with ``--many-captures`` captures split into up to ``--capture-rows`` rows. Then the held-out
simulator (``heldout/``: other rooms, loudspeakers, codecs and backgrounds than the builder's) captures each sound
``--captures N`` times at each SNR, plus clean takes after a lead-in, and the app's path names them
(``Recognizer.predict``). The Gen-1 cost is measured with all K enrolled at once (an upper bound on one sound's):
the held-out simulator's Gen-1 recordings before and after.

    python benchmarks/eval_enrol_chiptune.py --model models/default [--sounds 5] [--captures 20] [--threads 2]
        [--enrol-captures 12] [--many-captures 96] [--capture-rows 8]

Prints a table and writes ``benchmarks/results/enrol_chiptune.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.eval_enrol_unseen import recordings, score, shared_folders  # noqa: E402
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402
from frontend.audio import SAMPLE_RATE  # noqa: E402
from recognizer.label_thresholds import DEFAULT_MAX_FALSE_ANSWERS  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))

SCALE = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
"""Semitones of a major scale over two octaves, the notes an arpeggio is drawn from."""


def chiptune(rng: np.random.Generator) -> np.ndarray:
    """One synthetic chiptune cry: a square-wave arpeggio of four drawn notes (16 kHz mono float32)."""
    seconds, rate = float(rng.uniform(0.8, 1.2)), float(rng.uniform(6.0, 12.0))
    root = 440.0 * 2 ** (float(rng.integers(-5, 8)) / 12)
    notes = root * 2 ** (rng.choice(SCALE, size=4, replace=False) / 12)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    freq = notes[np.floor(t * rate).astype(int) % 4]
    phase = 2 * np.pi * np.cumsum(freq) / SAMPLE_RATE
    duty = float(rng.uniform(0.25, 0.5))
    wave = np.where((phase / (2 * np.pi)) % 1.0 < duty, 1.0, -1.0)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    return (0.5 * wave * fade).astype(np.float32)


def sound_captures(sounds: dict[str, np.ndarray], snr_db: tuple[float, ...], per_snr: int, seed: int):
    """(label, SNR target in dB or None for a clean take after a lead-in, audio, the simulator's parameters): the
    held-out simulator's captures of each sound at each SNR, and clean takes after a lead-in (half as many)."""
    from heldout.simulator import HeldoutSimulator

    simulator = HeldoutSimulator()
    for k, (label, samples) in enumerate(sounds.items()):
        for j, snr in enumerate([*snr_db, None]):
            for i in range(per_snr if snr is not None else max(1, per_snr // 2)):
                rng = np.random.default_rng([seed, k, j, i])
                audio, params = simulator.clean_lead_in(samples, rng) if snr is None else simulator.capture(samples, rng, snr)
                yield label, snr, audio, params


def sound_recordings(sounds: dict[str, np.ndarray], snr_db: tuple[float, ...], per_snr: int, seed: int):
    """:func:`sound_captures` as recordings for the recogniser."""
    from trainer.evaluation.recordings import Recording

    return [Recording(audio, SAMPLE_RATE, label, {"condition": "clean cry after a lead-in"} if snr is None else
                      {"condition": "capture", "snr_target": f"{snr:g} dB"})
            for label, snr, audio, _ in sound_captures(sounds, snr_db, per_snr, seed)]


def enrolled(bundle, sounds: dict[str, np.ndarray], per_sound: int, capture_rows: int, seed: int,
             max_false_answers: float | None = DEFAULT_MAX_FALSE_ANSWERS):
    """``bundle`` with every sound enrolled from its one recording (and ``per_sound`` simulated captures of it, split
    into up to ``capture_rows`` rows), by ``recognizer.enrol``'s rule: each with a threshold of its own when the
    folder stores negatives and ``max_false_answers`` is not None."""
    from recognizer.enrol import (
        add_rows,
        enrolled_rows,
        enrolment_maps,
        private_copy,
        window_embeddings,
        with_label_threshold,
    )
    from recognizer.label_thresholds import load_negatives

    b, maps = private_copy(bundle), enrolment_maps(bundle)
    negatives = load_negatives(bundle.directory) if max_false_answers is not None else None
    maker = None
    if per_sound:
        from dataset_builder.captures import CaptureMaker

        maker = CaptureMaker(seed)
    for k, (label, samples) in enumerate(sounds.items()):
        captured = window_embeddings(b, [a for a, _ in maker.captures(samples, per_sound, key=k)]) if maker else None
        b = add_rows(b, label, enrolled_rows(b, [window_embeddings(b, [samples])], captured, maps=maps,
                                            capture_rows=capture_rows))
        if negatives is not None:
            b, _ = with_label_threshold(b, label, negatives, max_false_answers)
    return b


def no_cry_recordings(heldout_music: Path, seed: int) -> dict[str, list[np.ndarray]]:
    """Recordings with no cry an enrolled chiptune could be mistaken for: ``bench_cry_detector``'s noise and speech,
    the builder's procedural chiptune music (other draws than any build's), and excerpts of the held-out game music
    (``scripts/fetch_music.sh``'s ``heldout`` share; absent: skipped). None of them is among the folder's stored
    negatives (``trainer.enrol_negatives``: the train split's music and sounds)."""
    import tempfile

    from bench_cry_detector import groups

    from dataset_builder.procedural import chiptune as chiptune_music
    from frontend.audio import decode_audio

    rng = np.random.default_rng([seed, 5])
    with tempfile.TemporaryDirectory() as tmp:
        noise_and_speech = [c for truth, clips in groups(Path(tmp)).values() if truth == "no cry" for c in clips]
    out = {"noise and speech": noise_and_speech,
           "procedural chiptune music": [0.6 * chiptune_music(rng, 4.0).astype(np.float32) for _ in range(60)]}
    music = []
    for path in sorted(Path(heldout_music).rglob("*.flac")):
        x = decode_audio(path, max_seconds=120)
        for _ in range(10):
            start = int(rng.integers(0, max(1, len(x) - 4 * SAMPLE_RATE)))
            music.append(x[start : start + 4 * SAMPLE_RATE])
    if music:
        out["held-out game music"] = music
    return out


def score_no_cry(recognizer, groups: dict[str, list[np.ndarray]], enrolled_labels: set[str]) -> dict:
    """Per group: recordings, the share answered (any label) and the share answered as an enrolled sound."""
    out = {}
    for name, clips in groups.items():
        answers = [recognizer.predict(c) for c in clips]
        answered = [p for p in answers if not p.not_sure]
        out[name] = {"n": len(clips), "answered": round(len(answered) / len(clips), 4),
                     "answered_as_enrolled": round(sum(p.top.label in enrolled_labels for p in answered) / len(clips), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "default"))
    parser.add_argument("--sounds", type=int, default=5, help="synthetic chiptune cries to enrol")
    parser.add_argument("--captures", type=int, default=20, help="held-out captures of each sound per SNR")
    parser.add_argument("--enrol-captures", type=int, default=12, help="simulated captures per sound for --captures enrolment")
    parser.add_argument("--many-captures", type=int, default=96,
                        help="simulated captures per sound for the third rule, --captures split by --capture-rows")
    parser.add_argument("--capture-rows", type=int, default=8, help="recognizer.enrol --capture-rows of the third rule")
    parser.add_argument("--snr-db", default="20,10")
    parser.add_argument("--trained-ids", default="1-151")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shared", default=str(ROOT.parent / "shared" / "pokeapi"))
    parser.add_argument("--max-false-answers", type=float, default=DEFAULT_MAX_FALSE_ANSWERS,
                        help="recognizer.enrol --max-false-answers (each sound's own threshold)")
    parser.add_argument("--model-threshold", action="store_true",
                        help="as recognizer.enrol --model-threshold: every sound judged on the model's threshold")
    parser.add_argument("--heldout-music", default=str(ROOT / "data" / "music" / "heldout"),
                        help="held-out game music for the no-cry recordings (scripts/fetch_music.sh)")
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "enrol_chiptune.json"))
    args = parser.parse_args()

    from heldout.cries import parse_ids
    from recognizer.label_thresholds import load_negatives
    from recognizer.loading import load_model
    from recognizer.predict import Recognizer
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    cries_dir, _ = shared_folders(args.shared, "eval_enrol_chiptune.py")
    started = time.perf_counter()
    snr_db = tuple(float(s) for s in args.snr_db.split(","))
    rng = np.random.default_rng(args.seed)
    sounds = {f"Chipmon {k + 1}": chiptune(rng) for k in range(args.sounds)}
    bundle = load_model(args.model)
    label_of = labels_by_pokedex_id(bundle.pokedex, bundle.labels)
    gen1 = recordings(cries_dir, [i for i in parse_ids(args.trained_ids) if i in label_of], label_of, snr_db,
                      ("latest", "legacy"))
    new = sound_recordings(sounds, snr_db, args.captures, args.seed)
    no_cry = no_cry_recordings(Path(args.heldout_music), args.seed)
    max_false_answers = None if args.model_threshold else args.max_false_answers
    before = Recognizer(bundle, threads=args.threads)
    result = {"model": args.model, "sounds": args.sounds, "captures_per_snr": args.captures, "snr_db": list(snr_db),
              "trained_ids": args.trained_ids, "enrol_captures": args.enrol_captures,
              "many_captures": args.many_captures, "capture_rows": args.capture_rows,
              "label_thresholds": "model's threshold" if max_false_answers is None or load_negatives(bundle.directory)
              is None else f"own, at most {max_false_answers:g} of the folder's negatives answered",
              "trained_before": score(before, gen1), "no_cry_before": score_no_cry(before, no_cry, set()), "rules": {}}
    rules = (("references", 0, 1), ("references + captures", args.enrol_captures, 1),
             (f"references + {args.many_captures} captures, up to {args.capture_rows} rows", args.many_captures,
              args.capture_rows))
    for rule, per_sound, capture_rows in rules:
        b = enrolled(bundle, sounds, per_sound, capture_rows, args.seed, max_false_answers)
        recognizer = Recognizer(b, threads=args.threads)
        # the enrolled chiptunes' own thresholds (a folder with enrolled species has hundreds more, unchanged)
        result["rules"][rule] = {"thresholds": {k: round(v, 4) for k, v in b.calibration.label_thresholds.items()
                                                if k in sounds},
                                 "sounds": score(recognizer, new), "trained_after": score(recognizer, gen1),
                                 "no_cry_after": score_no_cry(recognizer, no_cry, set(sounds))}
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["machine"] = platform.processor() or platform.machine()
    out = results_file(args.output, args.update)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(f"wrote {out}")


def table(result: dict) -> str:
    """Top-1 / answered and right per SNR (and clean after a lead-in); then the no-cry recordings answered."""
    heads = [f"{s:g} dB" for s in result["snr_db"]] + ["clean after a lead-in"]

    def cells(summary: dict) -> list[str]:
        groups = summary["groups"]
        vals = [groups.get("snr_target", {}).get(h) for h in heads[:-1]]
        vals.append(groups.get("condition", {}).get("clean cry after a lead-in"))
        return ["–" if v is None else f"{v['top1']:.1%} / {v['answered'] * (v['precision'] or 0):.1%} ({v['n']})"
                for v in vals]

    lines = [f"label thresholds: {result.get('label_thresholds', 'model')}", "",
             "top-1 / answered and right (recordings):", "",
             "| rule | what | " + " | ".join(heads) + " |", "| --- | --- |" + " ---: |" * len(heads),
             "| – | Gen 1 before enrolling | " + " | ".join(cells(result["trained_before"])) + " |"]
    for rule, r in result["rules"].items():
        lines.append(f"| {rule} | the enrolled chiptunes | " + " | ".join(cells(r["sounds"])) + " |")
        lines.append(f"| {rule} | Gen 1 after enrolling all | " + " | ".join(cells(r["trained_after"])) + " |")
    if "no_cry_before" in result:
        names = list(result["no_cry_before"])
        lines += ["", "no-cry recordings answered (any label) / answered as an enrolled chiptune:", "",
                  "| rule | " + " | ".join(f"{n} ({result['no_cry_before'][n]['n']})" for n in names) + " |",
                  "| --- |" + " ---: |" * len(names),
                  "| before enrolling | " + " | ".join(f"{result['no_cry_before'][n]['answered']:.1%}" for n in names) + " |"]
        for rule, r in result["rules"].items():
            lines.append(f"| {rule} | " + " | ".join(
                f"{r['no_cry_after'][n]['answered']:.1%} / {r['no_cry_after'][n]['answered_as_enrolled']:.1%}"
                for n in names) + " |")
        lines += ["", "thresholds: " + "; ".join(f"{rule}: " + ", ".join(f"{v:.3f}" for v in r.get("thresholds", {}).values())
                                             for rule, r in result["rules"].items())]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

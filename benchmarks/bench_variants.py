"""Variant maker speed: milliseconds per ``VariantMaker.make()`` for each condition, and per capture stage.

Uses real cries from ../shared/pokeapi (synthetic cries when it is absent), one process, after a warm-up
that fills the per-process caches (procedural backgrounds, filter designs) and imports. The room
simulation (once per build, cached on disk) is timed separately. Prints a table and writes
``benchmarks/results/variants.json``; docs/README_augmentation.md quotes it.

    python benchmarks/bench_variants.py                 # 40 cries (ids 1-40, latest), 3 rounds
    python benchmarks/bench_variants.py --cries 10 --rounds 1
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

TARGET_MS = 40.0
"""ms per variant per process: 25 variants/s per process, i.e. the issue's 50/s on 2 cores."""


@dataclass
class BenchArguments:
    shared: str = field(default=str(ROOT.parent / "shared" / "pokeapi"), metadata={"help": "Folder laid out like the public sources."})
    cries: int = field(default=40, metadata={"help": "Number of cries (ids 1..N, latest rendition)."})
    rounds: int = field(default=3, metadata={"help": "Variants per cry and condition."})
    seed: int = 0
    results: str = field(default=str(ROOT / "benchmarks" / "results" / "variants.json"))
    update: bool = field(default=False, metadata={"help": UPDATE_HELP})


def load_cries(shared: Path, n: int):
    from frontend.audio import decode_audio

    folder = shared / "cries" / "cries" / "pokemon" / "latest"
    if folder.is_dir():
        return [decode_audio(folder / f"{i}.ogg") for i in range(1, n + 1)], "real (../shared/pokeapi, latest)"
    sys.path.insert(0, str(ROOT / "tests"))
    from synthetic import fake_cry

    return [fake_cry(i, 0.5 + (i % 5) * 0.4, seed=i) for i in range(n)], "synthetic (../shared absent)"


def instrument(stage_times: dict, stage_calls: dict) -> None:
    """Wrap every capture transform's ``apply`` to time it (per class, and per codec)."""
    from dataset_builder import augment, variants

    classes = [
        augment.PlaceInRecording, augment.Loudspeaker, augment.Equalizer, augment.RoomReverb, augment.Microphone,
        augment.Gain, augment.Clipping, augment.Compressor, augment.AutomaticGainControl, augment.Codec, augment.AddBackground, augment.OneOf,
        augment.TimeStretch, augment.PitchShift,
    ]
    for cls in classes:
        original = cls.apply

        def timed(self, samples, sample_rate=16000, _original=original, _name=cls.__name__):
            t = time.perf_counter()
            out = _original(self, samples, sample_rate)
            key = f"Codec[{self.parameters['codec']}]" if _name == "Codec" else _name
            stage_times[key] += time.perf_counter() - t
            stage_calls[key] += 1
            return out

        cls.apply = timed
    fused = variants.stretch_and_shift

    def timed_fused(*args, **kwargs):
        t = time.perf_counter()
        out = fused(*args, **kwargs)
        stage_times["stretch+pitch (one pass)"] += time.perf_counter() - t
        stage_calls["stretch+pitch (one pass)"] += 1
        return out

    variants.stretch_and_shift = timed_fused


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from transformers import HfArgumentParser

    (args,) = HfArgumentParser(BenchArguments).parse_args_into_dataclasses(args=argv, look_for_args_file=False)
    from dataset_builder.backgrounds import BackgroundBank, BackgroundConfig
    from dataset_builder.schema import CONDITIONS
    from dataset_builder.variants import AugmentConfig, VariantMaker

    cries, kind = load_cries(Path(args.shared), args.cries)
    with tempfile.TemporaryDirectory() as cache:
        bank = BackgroundBank.build(BackgroundConfig(cache_dir=cache), seed=args.seed)
        t = time.perf_counter()
        maker = VariantMaker(AugmentConfig(), bank, seed=args.seed)
        rooms_s = time.perf_counter() - t
        t = time.perf_counter()
        VariantMaker(AugmentConfig(), bank, seed=args.seed)
        rooms_cached_s = time.perf_counter() - t
    rng = np.random.default_rng(args.seed)
    for split in ("train", "validation", "test"):  # warm-up: imports, every background, filter designs
        for recording in bank.pool(split).recordings:
            bank.load(recording)
        for cry in cries[:5]:
            for condition in CONDITIONS:
                maker.make(cry, split, condition, rng)

    per_condition, cpu_per_condition = {}, {}
    load_before = os.getloadavg()
    for condition in CONDITIONS:
        t, cpu = time.perf_counter(), time.process_time()
        n = 0
        for _ in range(args.rounds):
            for cry in cries:
                maker.make(cry, "train", condition, rng)
                n += 1
        per_condition[condition] = (time.perf_counter() - t) / n * 1000
        cpu_per_condition[condition] = (time.process_time() - cpu) / n * 1000

    stage_times: dict = defaultdict(float)
    stage_calls: dict = defaultdict(int)
    instrument(stage_times, stage_calls)
    n_capture = 0
    t = time.perf_counter()
    for _ in range(args.rounds):
        for cry in cries:
            maker.make(cry, "train", "capture", rng)
            n_capture += 1
    instrumented_ms = (time.perf_counter() - t) / n_capture * 1000
    stages = {
        k: {"ms_per_variant": stage_times[k] / n_capture * 1000, "ms_per_call": stage_times[k] / stage_calls[k] * 1000, "calls": stage_calls[k]}
        for k in sorted(stage_times, key=lambda k: -stage_times[k])
    }
    mix = {"clean": 3, "augmented": 10, "capture": 15}  # the builder's defaults: 25 variants (60 % capture) + 3 clean copies
    mix_ms = sum(per_condition[c] * k for c, k in mix.items()) / sum(mix.values())
    mix_cpu_ms = sum(cpu_per_condition[c] * k for c, k in mix.items()) / sum(mix.values())
    result = {
        "cries": kind,
        "n_cries": len(cries),
        "rounds": args.rounds,
        "ms_per_variant": per_condition,
        "cpu_ms_per_variant": cpu_per_condition,
        "default_mix": mix,
        "default_mix_ms_per_variant": mix_ms,
        "default_mix_variants_per_s_per_process": 1000 / mix_ms,
        "default_mix_cpu_ms_per_variant": mix_cpu_ms,
        "target_ms_per_variant": TARGET_MS,
        "room_simulation_s": rooms_s,
        "room_simulation_cached_s": rooms_cached_s,
        "capture_stages": stages,
        "capture_ms_instrumented": instrumented_ms,
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "python": platform.python_version(),
        },
        "arguments": asdict(args),
    }
    print(f"VariantMaker.make(), one process, {len(cries)} {kind} cries x {args.rounds} rounds")
    print("wall: elapsed time (depends on what else the machine runs); cpu: this process's CPU time")
    print(f"{'condition':<12}{'wall ms':>10}{'cpu ms':>10}{'variants/s':>12}")
    for condition, ms in per_condition.items():
        print(f"{condition:<12}{ms:>10.1f}{cpu_per_condition[condition]:>10.1f}{1000 / ms:>12.1f}")
    print(
        f"{'default mix':<12}{mix_ms:>10.1f}{mix_cpu_ms:>10.1f}{1000 / mix_ms:>12.1f}"
        f"   (target <= {TARGET_MS:.0f} ms, i.e. 25/s per process)"
    )
    print(f"room simulation: {rooms_s:.1f} s once per build ({rooms_cached_s:.2f} s from the cache)")
    print("capture stages (ms per capture variant):")
    for name, s in stages.items():
        print(f"  {name:<28}{s['ms_per_variant']:>8.2f}  ({s['calls']} calls, {s['ms_per_call']:.2f} ms each)")
    print(f"load average before / after: {load_before} / {os.getloadavg()} on {os.cpu_count()} CPUs")
    results_file(args.results, args.update).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training-step throughput of the `small` preset on the CPU: fp32 against bf16 autocast.

On a CPU with AMX or AVX512-BF16, ``--bf16 true --use-cpu true`` lets the ``Trainer`` run the matmuls in bf16
under ``torch.autocast`` while the weights and the optimizer stay fp32. This times the same step (forward,
loss, backward, AdamW update) on random 4 s fbanks both ways, alternating the two so that a busy machine
slows both alike, and reports the median rate of each.

    python benchmarks/bench_precision.py [--batch-sizes 32,64] [--threads 2] [--steps 8] [--rounds 3]

Prints a table and writes ``benchmarks/results/precision.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

NUM_CLASSES = 151
MAX_LENGTH = 400
"""4 s of fbank frames: the embedded model's input."""


def cpu_flags() -> list[str]:
    """The bf16-related flags of this CPU (Linux only; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(f for f in flags if "bf16" in f or f.startswith("amx"))


def time_steps(model, optimizer, x, y, steps: int, bf16: bool) -> float:
    """Clips per second over ``steps`` full training steps."""
    import torch

    start = time.perf_counter()
    for _ in range(steps):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_values=x, labels=y).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return steps * len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-sizes", default="32,64")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating fp32/bf16 rounds (median reported)")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "precision.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args()

    import torch

    from trainer.model import build_scratch

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    names = [f"species_{i}" for i in range(NUM_CLASSES)]
    rows = []
    load_before = os.getloadavg()
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        model = build_scratch("small", names, MAX_LENGTH)
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        x = torch.randn(batch, MAX_LENGTH, model.config.num_mel_bins)
        y = torch.randint(0, NUM_CLASSES, (batch,))
        rates = {"fp32": [], "bf16": []}
        for bf16 in (False, True):  # warm-up: oneDNN picks its kernels on the first calls
            time_steps(model, optimizer, x, y, 2, bf16)
        for _ in range(args.rounds):
            for bf16 in (False, True):
                rates["bf16" if bf16 else "fp32"].append(time_steps(model, optimizer, x, y, args.steps, bf16))
        fp32, bf16 = statistics.median(rates["fp32"]), statistics.median(rates["bf16"])
        rows.append({"batch": batch, "fp32_clips_per_s": round(fp32, 1), "bf16_clips_per_s": round(bf16, 1),
                     "speedup": round(bf16 / fp32, 2), "rounds": rates})
    result = {
        "benchmark": "small-preset training step, fp32 vs bf16 autocast (CPU)",
        "threads": args.threads,
        "max_length": MAX_LENGTH,
        "rows": rows,
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "bf16_flags": cpu_flags(), "torch": torch.__version__,
                    "load_average_before": [round(v, 2) for v in load_before],
                    "load_average_after": [round(v, 2) for v in os.getloadavg()]},
    }
    print(f"small preset, {MAX_LENGTH} frames, {args.threads} threads; CPU bf16 flags: {', '.join(cpu_flags()) or 'none'}")
    print(f"{'batch':>5} | {'fp32 clips/s':>12} | {'bf16 clips/s':>12} | {'bf16 / fp32':>11}")
    for r in rows:
        print(f"{r['batch']:>5} | {r['fp32_clips_per_s']:>12} | {r['bf16_clips_per_s']:>12} | {r['speedup']:>10}×")
    print(f"load average {result['machine']['load_average_before']} -> {result['machine']['load_average_after']}")
    results_file(args.output, args.update).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

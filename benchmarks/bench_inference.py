"""Inference time per 4 s clip: the original's 1024-frame input against the fitted length, then int8.

Speed does not depend on the weights, so a base-size AST (``ASTConfig()``, 151 classes) with random
weights stands in for the fine-tuned checkpoint; ``--model DIR`` measures a trained folder instead (its
own length against 1024 frames), which also makes the top-1 agreement of the int8 variants meaningful.
Variants are timed round-robin (one call each, repeated) so load from other processes hits them alike.

    python benchmarks/bench_inference.py [--repeats 10] [--agreement-clips 30] [--threads 2] [--model DIR]

Prints a table and writes ``benchmarks/results/bench_inference.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

CLIP_SAMPLES = 4 * 16_000
NUM_CLASSES = 151


def clips(n: int, seed: int = 0) -> list[np.ndarray]:
    """4 s recordings: a synthetic cry of one of 151 classes at a random place, over noise."""
    from tests.synthetic import fake_cry

    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cry = fake_cry(int(rng.integers(NUM_CLASSES)), seconds=float(rng.uniform(0.4, 2.5)), seed=i)
        clip = (0.01 * rng.standard_normal(CLIP_SAMPLES)).astype(np.float32)
        start = int(rng.integers(0, CLIP_SAMPLES - len(cry)))
        clip[start : start + len(cry)] += cry
        out.append(clip)
    return out


def base_models(max_length: int):
    """A random base-size AST for 1024 frames and its copy cut to ``max_length`` (same weights)."""
    import torch
    from transformers import ASTConfig, ASTForAudioClassification

    from trainer.model import POSITION_KEY, adapt_position_embeddings, patch_grid

    torch.manual_seed(0)
    labels = {"id2label": {i: f"class{i}" for i in range(NUM_CLASSES)}}
    full = ASTForAudioClassification(ASTConfig(**labels)).eval()
    with torch.no_grad():  # trained checkpoints have non-zero position embeddings; so should the stand-in
        full.audio_spectrogram_transformer.embeddings.position_embeddings.normal_(0, 0.02)
    fitted = ASTForAudioClassification(ASTConfig(max_length=max_length, **labels)).eval()
    state = full.state_dict()
    state[POSITION_KEY] = adapt_position_embeddings(state[POSITION_KEY], patch_grid(full.config), patch_grid(fitted.config))
    fitted.load_state_dict(state)
    return full, fitted


def trained_models(folder: str):
    """A trained folder at its own length, and the same weights at 1024 frames (positions interpolated)."""
    from transformers import ASTForAudioClassification

    fitted = ASTForAudioClassification.from_pretrained(folder).eval()
    from trainer.model import POSITION_KEY, adapt_position_embeddings, patch_grid

    cfg = fitted.config.to_dict()
    cfg["max_length"] = 1024
    full = ASTForAudioClassification(type(fitted.config).from_dict(cfg)).eval()
    state = fitted.state_dict()
    state[POSITION_KEY] = adapt_position_embeddings(state[POSITION_KEY], patch_grid(fitted.config), patch_grid(full.config))
    full.load_state_dict(state)
    return full, fitted


def onnx_sessions(model, max_length: int, mels: int, folder: Path, threads: int):
    """ONNX Runtime sessions (fp32, dynamic int8) of ``model``; ``({}, reason)`` when export is unavailable.

    Exporting needs the ``onnx`` package, a benchmark-only requirement (requirements-bench.txt, part of the dev set-up): without it the rows are
    skipped and the reason printed.
    """
    import torch

    try:
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic

        fp32, int8 = folder / "model.onnx", folder / "model.int8.onnx"
        torch.onnx.export(
            model, (torch.zeros(1, max_length, mels),), str(fp32), input_names=["input_values"],
            output_names=["logits"], dynamo=False, opset_version=17,
            dynamic_axes={"input_values": {0: "batch"}, "logits": {0: "batch"}},
        )
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        return {
            "fp32": ort.InferenceSession(str(fp32), opts, providers=["CPUExecutionProvider"]),
            "int8": ort.InferenceSession(str(int8), opts, providers=["CPUExecutionProvider"]),
        }, None
    except Exception as err:  # exporter or runtime missing a piece: report it, don't hide it
        return {}, f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per variant (median reported)")
    parser.add_argument("--agreement-clips", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=None, help="a trained model folder instead of the random base AST")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "bench_inference.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args(argv)

    import torch

    from frontend.fbank import make_extractor, num_frames
    from trainer.features import fit_max_length

    torch.set_num_threads(args.threads)
    if args.model:
        full, fitted = trained_models(args.model)
    else:
        full, fitted = base_models(fit_max_length(num_frames(CLIP_SAMPLES), 16, 10))
    mels, fitted_length = fitted.config.num_mel_bins, fitted.config.max_length
    quantized = torch.ao.quantization.quantize_dynamic(fitted, {torch.nn.Linear}, dtype=torch.qint8)
    extractors = {1024: make_extractor(mels, 1024), fitted_length: make_extractor(mels, fitted_length)}
    tmp = Path(tempfile.mkdtemp(prefix="bench_inference_"))
    sessions, onnx_error = onnx_sessions(fitted, fitted_length, mels, tmp, args.threads)

    def torch_runner(model, length):
        def run(batch: list[np.ndarray]) -> np.ndarray:
            x = extractors[length](batch, sampling_rate=16_000, return_tensors="pt")["input_values"]
            with torch.inference_mode():
                return model(input_values=x).logits.numpy()

        return run

    def onnx_runner(session):
        def run(batch: list[np.ndarray]) -> np.ndarray:
            x = extractors[fitted_length](batch, sampling_rate=16_000, return_tensors="np")["input_values"]
            return session.run(["logits"], {"input_values": np.asarray(x, dtype=np.float32)})[0]

        return run

    variants = {
        "1024 frames, fp32 (original)": torch_runner(full, 1024),
        f"{fitted_length} frames, fp32": torch_runner(fitted, fitted_length),
        f"{fitted_length} frames, dynamic int8 (torch)": torch_runner(quantized, fitted_length),
    }
    for kind, session in sessions.items():
        variants[f"{fitted_length} frames, ONNX Runtime {kind}"] = onnx_runner(session)

    audio = clips(max(args.agreement_clips, args.repeats), seed=1)
    for run in variants.values():  # warm-up: first calls allocate and pick kernels
        run(audio[:1])
        run(audio[1:2])
    times = {name: [] for name in variants}
    for i in range(args.repeats):
        for name, run in variants.items():
            start = time.perf_counter()
            run(audio[i : i + 1])
            times[name].append(time.perf_counter() - start)

    def top1(run) -> np.ndarray:  # agreement is checked in batches of 10 (only timing needs batch 1)
        subset = audio[: args.agreement_clips]
        return np.concatenate([run(subset[i : i + 10]).argmax(axis=1) for i in range(0, len(subset), 10)])

    reference = f"{fitted_length} frames, fp32"
    ref_top1 = top1(variants[reference])
    ref_logits = variants[reference](audio[: min(10, args.agreement_clips)])
    top2 = np.sort(ref_logits, axis=1)[:, -2:]
    margin = float(np.median(top2[:, 1] - top2[:, 0]) / np.std(ref_logits))  # top-1 lead over runner-up, in logit std
    original = "1024 frames, fp32 (original)"
    rows, baseline, baseline_min = [], statistics.median(times[original]), min(times[original])
    for name, run in variants.items():
        agreement = None
        if name != reference and not name.startswith("1024"):
            agreement = float(np.mean(top1(run) == ref_top1))
        median = statistics.median(times[name])
        rows.append({"variant": name, "ms_per_clip": round(1000 * median, 1),
                     "ms_spread": [round(1000 * min(times[name]), 1), round(1000 * max(times[name]), 1)],
                     "speedup_vs_1024": round(baseline / median, 2),
                     "speedup_vs_1024_best_of": round(baseline_min / min(times[name]), 2),
                     "top1_agreement_vs_fp32": agreement})
    usable = [r for r in rows if r["top1_agreement_vs_fp32"] is None or r["top1_agreement_vs_fp32"] >= 0.99]
    best = max(usable, key=lambda r: r["speedup_vs_1024"])
    result = {
        "benchmark": "bench_inference",
        "model": args.model or "random base AST (ASTConfig(), 151 classes)",
        "clip_seconds": CLIP_SAMPLES / 16_000,
        "fitted_max_length": fitted_length,
        "torch_threads": args.threads,
        "repeats": args.repeats,
        "agreement_clips": args.agreement_clips,
        "rows": rows,
        "fitted_speedup": next(r["speedup_vs_1024"] for r in rows if r["variant"] == reference),
        "best_overall": {"variant": best["variant"], "speedup_vs_1024": best["speedup_vs_1024"]},
        "goals": {"fitted_speedup": 3.5, "overall_speedup": 6.0, "min_top1_agreement": 0.99},
        "median_top1_margin_in_logit_std": margin,
        "onnx_error": onnx_error,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__,
                    "load_average": os.getloadavg()},
    }
    print(f"\nInference per {result['clip_seconds']:.0f} s clip, batch 1, {args.threads} torch threads "
          f"(median of {args.repeats}; features included)\n")
    print(f"| variant | ms / clip (median) | min–max | speed-up vs 1024 (median) | (best-of) | top-1 agreement ({args.agreement_clips} clips) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        agree = "reference" if r["variant"] == reference else ("—" if r["top1_agreement_vs_fp32"] is None else f"{r['top1_agreement_vs_fp32']:.1%}")
        print(f"| {r['variant']} | {r['ms_per_clip']} | {r['ms_spread'][0]}–{r['ms_spread'][1]} | {r['speedup_vs_1024']}× "
              f"| {r['speedup_vs_1024_best_of']}× | {agree} |")
    print(f"\nfitted length alone: {result['fitted_speedup']}× (goal ≥ 3.5×); best with agreement ≥ 99 %: "
          f"{best['variant']} at {best['speedup_vs_1024']}× (goal ≥ 6×)")
    print(f"median top-1 lead over the runner-up: {margin:.2f} logit std"
          + (" (random weights: nearly tied logits, so int8 agreement here is a pessimistic proxy; pass --model DIR)"
             if not args.model else ""))
    if onnx_error:
        print(f"ONNX Runtime variant skipped: {onnx_error}")
    results_file(args.output, args.update).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()

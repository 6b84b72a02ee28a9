"""One head-only training epoch: the original's way against ours once the embedding cache is built.

The original trains a linear head on a frozen AST by running the whole model on 1024-frame inputs
(features extracted again) for every batch of every epoch. Ours computes the backbone's pooled output
once per clip at the fitted length, caches it, and lets the ``Trainer`` train the head on the cache.

Speed does not depend on the weights, so a base-size AST (``ASTConfig()``, 151 classes) with random
weights stands in for the checkpoint. The original's way is too slow to run for a whole epoch on a
laptop CPU, so it is timed on a few batches and extrapolated per clip (both measured rates are printed);
ours is timed on a full epoch of ``--epoch-clips`` cached embeddings through the real Trainer path. The
one-time cost of building the cache is measured too and reported beside the ratio.

    python benchmarks/bench_head_training.py [--epoch-clips 9000] [--original-batches 2] [--threads 2]

Prints a table and writes ``benchmarks/results/bench_head_training.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

NUM_CLASSES = 151
BATCH = 8


def time_original(model, extractor, audio: list[np.ndarray], labels: np.ndarray, batches: int) -> dict:
    """Frozen backbone, 1024 frames, full forward + head update per batch of 8, features extracted each time."""
    import torch

    model.train()
    for p in model.audio_spectrogram_transformer.parameters():
        p.requires_grad = False
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    def step(clips, y):
        x = extractor(clips, sampling_rate=16_000, return_tensors="pt")["input_values"]
        loss = model(input_values=x, labels=torch.as_tensor(y)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    step(audio[:1], labels[:1])  # warm-up on one clip: kernel selection, allocations
    start = time.perf_counter()
    for b in range(batches):
        step(audio[b * BATCH : (b + 1) * BATCH], labels[b * BATCH : (b + 1) * BATCH])
    seconds = time.perf_counter() - start
    return {"clips": batches * BATCH, "seconds": seconds, "clips_per_s": batches * BATCH / seconds}


def time_cache_build(model, extractor, audio: list[np.ndarray], batch: int = 16) -> dict:
    """The one-time cost of ours: the backbone's pooled output at the fitted length, in eval mode."""
    import torch

    backbone = model.audio_spectrogram_transformer.eval()
    with torch.inference_mode():
        backbone(extractor(audio[:1], sampling_rate=16_000, return_tensors="pt")["input_values"])
        start = time.perf_counter()
        for i in range(0, len(audio), batch):
            x = extractor(audio[i : i + batch], sampling_rate=16_000, return_tensors="pt")["input_values"]
            backbone(x)
        seconds = time.perf_counter() - start
    return {"clips": len(audio), "seconds": seconds, "clips_per_s": len(audio) / seconds}


def time_cached_epoch(model, clips: int, batch_size: int, folder: Path, seed: int = 0) -> dict:
    """A full Trainer epoch of the head on ``clips`` cached embeddings (the real EmbeddingDataset path)."""
    from transformers import Trainer, TrainingArguments

    from trainer.embedding_cache import EmbeddingDataset, EmbeddingStore, HeadOnlyModel

    rng = np.random.default_rng(seed)
    store_dir = folder / f"emb-{clips}"
    store_dir.mkdir(parents=True, exist_ok=True)
    np.save(store_dir / "embeddings.npy", rng.standard_normal((clips, model.config.hidden_size)).astype(np.float32))
    np.save(store_dir / "labels.npy", rng.integers(0, NUM_CLASSES, clips))
    (store_dir / "meta.json").write_text("{}")
    args = TrainingArguments(
        output_dir=str(folder / f"out-{batch_size}"), per_device_train_batch_size=batch_size, num_train_epochs=1,
        learning_rate=1e-3, save_strategy="no", eval_strategy="no", logging_strategy="no", report_to="none",
        disable_tqdm=True, use_cpu=True, seed=seed, dataloader_pin_memory=False,
    )
    trainer = Trainer(model=HeadOnlyModel(model.classifier), args=args, train_dataset=EmbeddingDataset(EmbeddingStore(store_dir)))
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    return {"clips": clips, "batch_size": batch_size, "seconds": seconds, "clips_per_s": clips / seconds}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epoch-clips", type=int, default=9000, help="clips per epoch (issue 5's scale: ~9,000)")
    parser.add_argument("--original-batches", type=int, default=2, help="batches of 8 timed the original's way")
    parser.add_argument("--cache-clips", type=int, default=16, help="clips timed for the one-time cache build")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results" / "bench_head_training.json"))
    parser.add_argument("--update", action="store_true", help=UPDATE_HELP)
    args = parser.parse_args(argv)

    import torch
    from transformers import ASTConfig, ASTForAudioClassification

    from benchmarks.bench_inference import clips as make_clips
    from frontend.fbank import make_extractor, num_frames
    from trainer.features import fit_max_length
    from trainer.model import POSITION_KEY, adapt_position_embeddings, patch_grid

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    labels_kw = {"id2label": {i: f"class{i}" for i in range(NUM_CLASSES)}}
    original = ASTForAudioClassification(ASTConfig(**labels_kw))
    with torch.no_grad():
        original.audio_spectrogram_transformer.embeddings.position_embeddings.normal_(0, 0.02)
    fitted_length = fit_max_length(num_frames(4 * 16_000), 16, 10)
    ours = ASTForAudioClassification(ASTConfig(max_length=fitted_length, **labels_kw))
    state = original.state_dict()
    state[POSITION_KEY] = adapt_position_embeddings(state[POSITION_KEY], patch_grid(original.config), patch_grid(ours.config))
    ours.load_state_dict(state)

    n_audio = max(args.original_batches * BATCH, args.cache_clips)
    audio = make_clips(n_audio, seed=2)
    labels = np.random.default_rng(0).integers(0, NUM_CLASSES, n_audio)
    orig = time_original(original, make_extractor(128, 1024), audio, labels, args.original_batches)
    cache = time_cache_build(ours, make_extractor(128, fitted_length), audio[: args.cache_clips])
    tmp = Path(tempfile.mkdtemp(prefix="bench_head_"))
    epoch8 = time_cached_epoch(ours, args.epoch_clips, BATCH, tmp)
    epoch32 = time_cached_epoch(ours, args.epoch_clips, 32, tmp)

    n = args.epoch_clips
    orig_epoch = n / orig["clips_per_s"]
    cache_once = n / cache["clips_per_s"]
    result = {
        "benchmark": "bench_head_training",
        "model": "random base AST (ASTConfig(), 151 classes)",
        "epoch_clips": n,
        "torch_threads": args.threads,
        "fitted_max_length": fitted_length,
        "original": {**orig, "epoch_seconds_extrapolated": orig_epoch},
        "cache_build": {**cache, "one_time_seconds_extrapolated": cache_once},
        "ours_batch8": epoch8,
        "ours_batch32": epoch32,
        "epoch_speedup_batch8": orig_epoch / epoch8["seconds"],
        "epoch_speedup_batch32": orig_epoch / epoch32["seconds"],
        "first_epoch_speedup_incl_cache_batch8": orig_epoch / (cache_once + epoch8["seconds"]),
        "goal_epoch_speedup": 50.0,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__,
                    "load_average": os.getloadavg()},
    }
    print(f"\nHead-only training, one epoch of {n} clips, {args.threads} torch threads (base-size AST, random weights)\n")
    print("| way | measured on | clips/s | seconds per epoch |")
    print("|---|---:|---:|---:|")
    print(f"| original: frozen backbone, 1024 frames, full forward each batch of 8 | {orig['clips']} clips | "
          f"{orig['clips_per_s']:.2f} | {orig_epoch:,.0f} (extrapolated) |")
    print(f"| ours: head on cached embeddings, batch 8 (Trainer) | {n} clips | {epoch8['clips_per_s']:,.0f} | {epoch8['seconds']:.1f} |")
    print(f"| ours: head on cached embeddings, batch 32 (Trainer) | {n} clips | {epoch32['clips_per_s']:,.0f} | {epoch32['seconds']:.1f} |")
    print(f"| ours, once: building the cache at {fitted_length} frames | {cache['clips']} clips | "
          f"{cache['clips_per_s']:.2f} | {cache_once:,.0f} (extrapolated, one time) |")
    print(f"\nepoch speed-up: {result['epoch_speedup_batch8']:,.0f}× at batch 8, {result['epoch_speedup_batch32']:,.0f}× at "
          f"batch 32 (goal ≥ 50×); first epoch including the cache build: "
          f"{result['first_epoch_speedup_incl_cache_batch8']:.1f}×")
    results_file(args.output, args.update).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()

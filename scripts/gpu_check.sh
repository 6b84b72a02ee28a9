#!/usr/bin/env bash
# The GPU path in one prepared run (sized for at most 5 minutes on one GPU; each step has a time limit): builds a small cry set from ../shared/pokeapi,
# makes an AST of the MIT checkpoint's shape with random weights (no download), and trains it through
# `accelerate launch` with bf16 twice — head only (cached embeddings) and fully fine-tuned (cached fbanks,
# SpecAugment) — then writes each run's throughput to benchmarks/results/gpu.json.
# Usage: bash scripts/gpu_check.sh            on a machine with a GPU (one process per GPU)
#        bash scripts/gpu_check.sh --dry      anywhere: CPU, 2 gloo processes, a tiny AST, 4 cries; writes
#                                             $OUT/gpu.json only (checks the script, not the GPU)
# Environment: SHARED (../shared/pokeapi), OUT (runs/gpu_check), IDS (1-30), VARIANTS (12), EPOCHS (2), PY.
set -euo pipefail
cd "$(dirname "$0")/.."
dry=0
for arg in "$@"; do
  case "$arg" in
    --dry) dry=1 ;;
    *) echo "gpu_check.sh: unknown option '$arg' (expected --dry)" >&2; exit 2 ;;
  esac
done
PY="${PY:-.venv/bin/python}"
SHARED="${SHARED:-../shared/pokeapi}"
OUT="${OUT:-runs/gpu_check}"
IDS="${IDS:-1-30}"; VARIANTS="${VARIANTS:-12}"; EPOCHS="${EPOCHS:-2}"
RESULTS=benchmarks/results/gpu.json
[ -x "$PY" ] || { echo "gpu_check.sh: $PY not found; run bash scripts/setup.sh first (or set PY)" >&2; exit 2; }
[ -d "$SHARED" ] || { echo "gpu_check.sh: $SHARED not found; expected the PokeAPI mirror described in ../shared/README.md" >&2; exit 2; }
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WHO_CACHE_DIR="$OUT/cache"

if [ "$dry" = 1 ]; then
  IDS=1-4; VARIANTS=2; EPOCHS=1; RESULTS="$OUT/gpu.json"
  launch=(--cpu --num_processes 2 --num_cpu_threads_per_process 1 --mixed_precision no); precision=(); shape=tiny
else
  ngpu=$($PY -c 'import torch; print(torch.cuda.device_count())')
  [ "$ngpu" -gt 0 ] || { echo "gpu_check.sh: torch sees no GPU; run it on a GPU machine, or pass --dry to check it on CPU" >&2; exit 2; }
  launch=(--num_processes "$ngpu" --mixed_precision bf16); [ "$ngpu" -gt 1 ] && launch=(--multi_gpu "${launch[@]}")
  precision=(--bf16 true); shape=mit
fi
mkdir -p "$OUT"
started=$(date +%s)
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# 1. A small set: IDS species, latest rendition, VARIANTS variants per cry (served from ../shared over loopback).
if [ ! -f "$OUT/data/README.md" ]; then
  PORT=$(free_port)
  $PY -m http.server -d "$SHARED" "$PORT" --bind 127.0.0.1 >/dev/null 2>&1 &
  server=$!; trap 'kill $server 2>/dev/null || true' EXIT
  sleep 1
  timeout 180 $PY -m dataset_builder --source pokeapi --pokeapi-url "http://127.0.0.1:$PORT/pokeapi" \
    --cries-url "http://127.0.0.1:$PORT/cries" --ids "$IDS" --renditions latest --variants-per-cry "$VARIANTS" \
    --seed 0 --num-proc "$(nproc)" --output "$OUT/data" --cache-dir "$OUT/cache/builder"
  kill "$server" 2>/dev/null || true
fi

# 2. An AST with the MIT checkpoint's shape (ASTConfig's defaults: 768 wide, 12 blocks, 128 mel bins), random weights.
$PY - "$OUT/ast-random" "$shape" <<'EOF'
import sys

import torch
from transformers import ASTConfig, ASTForAudioClassification

folder, shape = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
small = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128, num_mel_bins=64)
ASTForAudioClassification(ASTConfig(**(small if shape == "tiny" else {}))).save_pretrained(folder)
EOF

# 3. Head only, then the whole model, through accelerate (bf16 on the GPU).
common=(--dataset "$OUT/data" --model "$OUT/ast-random" --num-train-epochs "$EPOCHS" --report-to none
        --overwrite-output-dir true --disable-tqdm true --early-stopping-patience 0 --dataloader-num-workers 2)
timeout 240 $PY -m accelerate.commands.launch "${launch[@]}" --num_machines 1 --dynamo_backend no --main_process_port "$(free_port)" -m trainer "${common[@]}" "${precision[@]}" \
  --output-dir "$OUT/head" --learning-rate 1e-3 --per-device-train-batch-size 64
timeout 300 $PY -m accelerate.commands.launch "${launch[@]}" --num_machines 1 --dynamo_backend no --main_process_port "$(free_port)" -m trainer "${common[@]}" "${precision[@]}" \
  --output-dir "$OUT/full" --freeze none --learning-rate 5e-5 --per-device-train-batch-size 32

# 4. Throughput of both runs, from their train_summary.json.
$PY - "$OUT" "$RESULTS" "$dry" "$started" <<'EOF'
import json
import sys
import time
from pathlib import Path

import torch

out, results, dry, started = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
runs = {}
for name in ("head", "full"):
    s = json.loads((out / name / "train_summary.json").read_text())
    m = s["train_metrics"]
    runs[name] = {"freeze": s["freeze"], "head_only_on_cached_embeddings": s["head_only_on_cached_embeddings"],
                  "world_size": s["world_size"], "clips": s["clips"], "max_length": s["max_length"],
                  "train_seconds": s["train_seconds"], "train_samples_per_second": m.get("train_samples_per_second"),
                  "test_accuracy": (s.get("test") or {}).get("accuracy"), "trainable": s["parameters"]["trainable"]}
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
report = {"command": "bash scripts/gpu_check.sh" + (" --dry" if dry else ""), "device": gpu or "cpu (dry run)",
          "bf16": not dry, "model": "AST, MIT checkpoint shape, random weights" if not dry else "tiny AST, random weights",
          "runs": runs, "wall_seconds": round(time.time() - started, 1)}
results.parent.mkdir(parents=True, exist_ok=True)
results.write_text(json.dumps(report, indent=2) + "\n")
print("| run | processes | clips/s | train s | trainable |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, r in runs.items():
    print(f"| {name} | {r['world_size']} | {r['train_samples_per_second']} | {r['train_seconds']} | {r['trainable']:,} |")
print(f"wrote {results} ({report['device']}, {report['wall_seconds']} s in all)")
EOF

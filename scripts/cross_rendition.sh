#!/usr/bin/env bash
# The cross-rendition experiment: train on the `latest` cries only, test on the `legacy` ones
# (another game's rendition of the same cry). Builds data/gen1-holdout-legacy with
# --holdout-rendition legacy, trains the `small` preset from scratch, evaluates per rendition.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED:-../shared/pokeapi}"
DATA="${DATA:-data/gen1-holdout-legacy}"
RUN="${RUN:-runs/cross-rendition}"
SEED="${SEED:-0}"
EPOCHS1="${EPOCHS1:-12}"
EPOCHS="${EPOCHS:-14}"
PY=.venv/bin/python
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
if [ ! -f "$DATA/README.md" ]; then
  [ -d "$SHARED" ] || { echo "cross_rendition.sh: $SHARED not found (see ../shared/README.md)" >&2; exit 2; }
  PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  $PY -m http.server -d "$SHARED" "$PORT" --bind 127.0.0.1 >/dev/null 2>&1 &
  server=$!; trap 'kill $server 2>/dev/null || true' EXIT
  sleep 1
  base="http://127.0.0.1:$PORT"
  $PY -m dataset_builder --source pokeapi --pokeapi-url "$base/pokeapi" --cries-url "$base/cries" \
    --sprites-url "$base/sprites" --ids 1-151 --renditions latest,legacy --holdout-rendition legacy \
    --variants-per-cry 50 --seed "$SEED" --num-proc "${NUM_PROC:-2}" --output "$DATA"
  kill $server 2>/dev/null || true
fi
common=(--learning-rate 3e-4 --warmup-steps 0.05 --lr-scheduler-type cosine --weight-decay 0.05
  --label-smoothing-factor 0.1 --per-device-train-batch-size 32 --per-device-eval-batch-size 64
  --freq-mask 8 --time-mask 40 --dataloader-num-workers 0 --seed "$SEED" --report-to none)
# the same two-stage curriculum as scripts/train_default_model.sh, on the `latest` cries only
$PY -m trainer --dataset "$DATA" --init scratch --preset small --output-dir "$RUN-stage1" \
  --train-conditions clean,augmented --num-train-epochs "$EPOCHS1" --early-stopping-patience 0 "${common[@]}"
$PY -m trainer --dataset "$DATA" --init pretrained --model "$RUN-stage1" --freeze none --output-dir "$RUN" \
  --num-train-epochs "$EPOCHS" --early-stopping-patience 5 "${common[@]}"
$PY -m trainer.evaluate --model "$RUN" --dataset "$DATA" --output-dir "$RUN/eval"

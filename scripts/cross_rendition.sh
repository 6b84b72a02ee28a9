#!/usr/bin/env bash
# The cross-rendition experiment: train on the `latest` cries only, test on the `legacy` ones (another game's
# rendition of the same cry). Same data recipe and two-stage training as the embedded model
# (scripts/train_default_model.sh), with --holdout-rendition legacy; the report (per rendition) lands in
# runs/cross-rendition/eval/metrics.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATA="${DATA:-data/gen1-holdout-legacy}" RUN="${RUN:-runs/cross-rendition}"
# The recipe the committed report (benchmarks/results/cross_rendition/) was made with.
export VARIANTS="${VARIANTS:-50}" VAL_FRACTION="${VAL_FRACTION:-0.15}" TEST_FRACTION="${TEST_FRACTION:-0.15}"
export EPOCHS1="${EPOCHS1:-12}" EPOCHS="${EPOCHS:-14}" BF16="${BF16:-false}" TARGET_PRECISION="${TARGET_PRECISION:-0.95}"
export BUILD_FLAGS="--holdout-rendition legacy ${BUILD_FLAGS:-}"
bash scripts/train_default_model.sh build train evaluate
mkdir -p benchmarks/results/cross_rendition
cp "$RUN"/eval/metrics.md "$RUN"/eval/metrics.json "$RUN"/eval/robustness.png benchmarks/results/cross_rendition/

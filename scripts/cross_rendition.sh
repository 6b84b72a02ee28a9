#!/usr/bin/env bash
# The cross-rendition experiment: train on the `latest` cries only, test on the `legacy` ones (another game's
# rendition of the same cry). Same data recipe and curriculum as the embedded model
# (scripts/train_default_model.sh), with --holdout-rendition legacy; the report (per rendition) lands in
# $RUN/eval/metrics.md and is copied to benchmarks/results/.
# Usage: bash scripts/cross_rendition.sh [v50|v150]
#   v50  (default): the first recipe (50 variants per cry, fp32, 12 + 14 epochs) -> benchmarks/results/cross_rendition/
#   v150: the embedded model's data and stages 1-2 (150 variants, bf16, 4 + 24 epochs; no stage 3)
#         -> benchmarks/results/cross_rendition_v150/
set -euo pipefail
cd "$(dirname "$0")/.."
recipe="${1:-v50}"
case "$recipe" in
  v50)
    export DATA="${DATA:-data/gen1-holdout-legacy}" RUN="${RUN:-runs/cross-rendition}"
    export VARIANTS="${VARIANTS:-50}" VAL_FRACTION="${VAL_FRACTION:-0.15}" TEST_FRACTION="${TEST_FRACTION:-0.15}"
    export EPOCHS1="${EPOCHS1:-12}" EPOCHS="${EPOCHS:-14}" BF16="${BF16:-false}" TARGET_PRECISION="${TARGET_PRECISION:-0.95}"
    report=benchmarks/results/cross_rendition ;;
  v150)
    export DATA="${DATA:-data/gen1-holdout-legacy-v150}" RUN="${RUN:-runs/cross-rendition-v150}"
    export VARIANTS="${VARIANTS:-150}" VAL_FRACTION="${VAL_FRACTION:-0.06}" TEST_FRACTION="${TEST_FRACTION:-0.06}"
    export EPOCHS1="${EPOCHS1:-4}" EPOCHS="${EPOCHS:-24}" BF16="${BF16:-true}" TARGET_PRECISION="${TARGET_PRECISION:-0.99}"
    report=benchmarks/results/cross_rendition_v150 ;;
  *) echo "cross_rendition.sh: unknown recipe '$recipe'; expected v50 or v150" >&2; exit 2 ;;
esac
# From random weights (the installed model heard the legacy cries) with the recipe-2 defaults (seed 0).
export RECIPE="${RECIPE:-2}" INIT_FROM="${INIT_FROM-}"
export EPOCHS3="${EPOCHS3:-0}" EPOCHS4="${EPOCHS4:-0}"
export BUILD_FLAGS="--holdout-rendition legacy ${BUILD_FLAGS:-}"
bash scripts/train_default_model.sh build train evaluate
mkdir -p "$report"
cp "$RUN"/eval/metrics.md "$RUN"/eval/metrics.json "$RUN"/eval/robustness.png "$RUN"/train_summary.json "$report"/

#!/usr/bin/env bash
# One command for the app on a fresh machine: installs what is missing, then serves app.py on
# http://127.0.0.1:7860 with the embedded model in models/default (set MODEL_ID to use another).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/python app.py "$@"

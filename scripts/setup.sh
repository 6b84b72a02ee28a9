#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian/Ubuntu machine, idempotently:
#   system packages (FFmpeg for audio decoding; Chromium with --browser for the app's browser tests)
#   and a virtual environment in .venv from the project's own requirement files, with the project itself
#   installed in editable mode (`pip install -e .`), so the who-build-dataset / who-train / who-evaluate
#   commands exist in .venv/bin (use them as .venv/bin/who-train, or `source .venv/bin/activate` first).
# Usage: bash scripts/setup.sh [--dev] [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; browser=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --browser) browser=1 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --dev or --browser)" >&2; exit 2 ;;
  esac
done

apt_pkgs=()
command -v ffmpeg >/dev/null 2>&1 || apt_pkgs+=(ffmpeg)
if [ "$browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then apt_pkgs+=(chromium); fi
# espeak-ng speaks the sentences the "not sure" speech tests and benchmarks use
if [ "$dev" = 1 ] && ! command -v espeak-ng >/dev/null 2>&1; then apt_pkgs+=(espeak-ng); fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  echo "setup: installing system packages: ${apt_pkgs[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
req=requirements.txt; [ "$dev" = 1 ] && req=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements*.txt | sha1sum | cut -c1-12)-$dev"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages from $req into .venv (first run: a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$req"
  touch "$stamp"
fi
# The project itself, editable (its dependencies are the requirements above): the who-* console scripts.
if [ ! -x .venv/bin/who-train ] || [ pyproject.toml -nt .venv/bin/who-train ]; then
  .venv/bin/python -m pip install -q --no-deps -e .
fi

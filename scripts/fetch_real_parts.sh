#!/usr/bin/env bash
# Real recorded parts for the evaluation's real-parts set (python -m trainer.evaluate --heldout-sim --real-parts DIR),
# from Debian's packages; never committed. A build may train on one loudspeaker family, the amplifiers
# (python -m dataset_builder --measured-speakers OUT/loudspeakers/amps); the bands' rigs and the hall never reach a
# build (the builder refuses rigs/), so the real-parts set keeps a measured family no model trained on.
#
#   bash scripts/fetch_real_parts.sh [OUT]        (default OUT: data/real-parts)
#
# Writes 16 kHz mono WAV impulse responses:
#   OUT/loudspeakers/amps/*.wav   measured amplifier + cabinet responses (guitarix-common, IR/BestPlugins_Amps; GPL-2+)
#   OUT/loudspeakers/rigs/*.wav   measured responses of bands' guitar rigs, amplifier to loudspeaker and microphone
#                                 (guitarix-common, IR/BestPlugins_Bands; GPL-2+)
#   OUT/rooms/greathall.wav       a real hall's impulse response (guitarix-common; GPL-2+)
# The real game music of that set is Frozen Bubble's (scripts/fetch_music.sh writes data/music/heldout).
# The package is fetched with `apt-get download` into the project's cache ($WHO_CACHE_DIR, else
# ~/.cache/who_tf_screamin) and kept there; every output file is written to a temporary name and renamed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-data/real-parts}"
cache="${WHO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/who_tf_screamin}/debian-parts"
pkg=guitarix-common
mkdir -p "$cache" "$out"
command -v ffmpeg >/dev/null || { echo "fetch_real_parts.sh: ffmpeg not found; run scripts/setup.sh first" >&2; exit 1; }
if [ ! -f "$cache/$pkg/.unpacked" ]; then
  (cd "$cache" && { ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download -q "$pkg"; })
  rm -rf "${cache:?}/$pkg" && mkdir -p "$cache/$pkg"
  dpkg -x "$(ls "$cache/${pkg}"_*.deb | head -1)" "$cache/$pkg"
  touch "$cache/$pkg/.unpacked"
fi
sounds="$cache/$pkg/usr/share/gx_head/sounds"
[ -d "$sounds/amps" ] && [ -f "$sounds/greathall.wav" ] || {
  echo "fetch_real_parts.sh: $sounds has no amps/ or greathall.wav; expected guitarix-common's impulse responses" >&2; exit 1; }

convert() {  # convert SOURCE DEST: mono 16 kHz float WAV, atomically
  local src="$1" dst="$2"
  [ -f "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  ffmpeg -nostdin -hide_banner -loglevel error -y -i "$src" -ac 1 -ar 16000 -c:a pcm_f32le -f wav "$dst.part"
  mv "$dst.part" "$dst"
}
n=0
for f in "$sounds"/amps/*.wav; do convert "$f" "$out/loudspeakers/amps/$(basename "$f" | tr -c 'A-Za-z0-9._\n-' '_')"; n=$((n + 1)); done
for f in "$sounds"/bands/*.wav; do convert "$f" "$out/loudspeakers/rigs/$(basename "$f" | tr -c 'A-Za-z0-9._\n-' '_')"; n=$((n + 1)); done
convert "$sounds/greathall.wav" "$out/rooms/greathall.wav"
echo "fetch_real_parts: $pkg -> $out ($n loudspeaker responses, 1 hall)"

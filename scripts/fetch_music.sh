#!/usr/bin/env bash
# Real game music from Debian's packages, as background recordings for the dataset builder (--music-dir).
#
#   bash scripts/fetch_music.sh [OUT]        (default OUT: data/music)
#
# Writes OUT/train/<source>/... (for --music-dir OUT/train) and OUT/heldout/<source>/... (never used in
# training: the held-out background family of the evaluation). Sources, all free software games:
#   train:   wesnoth-1.16-music (Battle for Wesnoth, orchestral; GPL-2+)
#            pingus-data        (Pingus, tracker music decoded by FFmpeg's libopenmpt; GPL-3+)
#   heldout: frozen-bubble-data (Frozen Bubble, synth-pop; GPL-2)
# Packages are fetched with `apt-get download` into the project's cache ($WHO_CACHE_DIR, else
# ~/.cache/who_tf_screamin) and kept there, so a rerun downloads nothing; every output file is written to a
# temporary name and renamed, so an interrupted run leaves no half file. Nothing here is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-data/music}"
cache="${WHO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/who_tf_screamin}/debian-music"
mkdir -p "$cache" "$out"
command -v ffmpeg >/dev/null || { echo "fetch_music.sh: ffmpeg not found; run scripts/setup.sh first" >&2; exit 1; }

fetch() {  # fetch PACKAGE: the .deb unpacked under $cache/PACKAGE (once)
  local pkg="$1"
  if [ ! -f "$cache/$pkg/.unpacked" ]; then
    (cd "$cache" && { ls "${pkg}"_*.deb >/dev/null 2>&1 || apt-get download -q "$pkg"; })
    rm -rf "$cache/$pkg" && mkdir -p "$cache/$pkg"
    dpkg -x "$(ls "$cache/${pkg}"_*.deb | head -1)" "$cache/$pkg"
    touch "$cache/$pkg/.unpacked"
  fi
}

convert() {  # convert SOURCE_FILE DEST_FILE: mono 16 kHz FLAC (what the builder stores), atomically
  local src="$1" dst="$2"
  [ -f "$dst" ] && return 0
  mkdir -p "$(dirname "$dst")"
  ffmpeg -nostdin -hide_banner -loglevel error -y -i "$src" -ac 1 -ar 16000 -t 600 -f flac "$dst.part"
  mv "$dst.part" "$dst"
}

copy_music() {  # copy_music PACKAGE SUBDIR_GLOB SPLIT NAME [MIN_BYTES]: music files of a package into OUT
  local pkg="$1" dir="$2" split="$3" name="$4" min_bytes="${5:-200000}" n=0
  fetch "$pkg"
  while IFS= read -r -d '' f; do
    base="$(basename "${f%.*}")"
    convert "$f" "$out/$split/$name/$base.flac"
    n=$((n + 1))
  done < <(find "$cache/$pkg/$dir" -type f \( -iname '*.ogg' -o -iname '*.it' -o -iname '*.s3m' -o -iname '*.xm' -o -iname '*.mod' \) -size +"${min_bytes}"c -print0 | sort -z)
  echo "fetch_music: $pkg -> $out/$split/$name ($n files)"
}

copy_music wesnoth-1.16-music usr/share/games/wesnoth train wesnoth
copy_music pingus-data usr/share/games/pingus/data/music train pingus 60000
copy_music frozen-bubble-data usr/share/games/frozen-bubble/snd heldout frozen-bubble 1000000

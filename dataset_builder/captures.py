"""Simulated phone captures of a recording, for enrolment: the new sound as the app will hear it.

``python -m dataset_builder.captures --audio cry.ogg [--audio take2.wav ...] --output DIR [--count 12] [--seed 0]``

Enrolment (``python -m recognizer.enrol``) places a new sound by the prototype of its recordings' embeddings. A
prototype of clean references sits where clean cries land, not where phone captures of them do, so a trained
species (whose row was learned from captures) outbids it on a capture. Captures of the references, made by the
builder's own chain (the train split's rooms and backgrounds: lead-in, loudspeaker, room, microphone, dynamics,
codec, -5 to 30 dB of background), move the prototype to where captures land. DIR gets ``NN-<stem>-MMM.wav`` (16 kHz
mono; NN numbers the recording) per capture and ``captures.json`` with each one's recipe; enrol with ``--captures DIR/*.wav``. The same seed
gives the same captures.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from common.files import default_cache_dir
from frontend.audio import MAX_RECORDING_SECONDS, SAMPLE_RATE, decode_audio, encode_wav

logger = logging.getLogger(__name__)

DEFAULT_CAPTURES = 12
"""Captures per recording: enough for a stable prototype (a species' clean references are one or two)."""


@dataclass
class CaptureArguments:
    audio: list[str] = field(metadata={"help": "A recording of the sound (repeat for more)."})
    output: str = field(metadata={"help": "New folder for the captures (written atomically; never overwritten)."})
    count: int = field(default=DEFAULT_CAPTURES, metadata={"help": "Captures per recording."})
    seed: int = field(default=0, metadata={"help": "The one seed of every draw (rooms, backgrounds, chain)."})
    music_dir: str | None = field(default=None, metadata={"help": "Also your own background music (as the builder's --music-dir)."})
    cache_dir: str | None = field(default=None, metadata={"help": "Cache of simulated rooms and decoded music (default: the project's)."})

    def __post_init__(self) -> None:
        if not 1 <= self.count <= 1000:
            raise ValueError(f"--count {self.count}: expected 1-1000 captures per recording")
        if not self.audio:
            raise ValueError("--audio: none given; expected at least one recording")


class CaptureMaker:
    """The builder's capture chain with the train split's resources, keyed so each capture is reproducible."""

    def __init__(self, seed: int = 0, music_dir: str | None = None, cache_dir: str | None = None, augment=None,
                 backgrounds=None):
        """``augment`` (an AugmentConfig) and ``backgrounds`` (a BackgroundConfig) default to the builder's own."""
        from .backgrounds import BackgroundBank, BackgroundConfig
        from .variants import AugmentConfig, VariantMaker

        cache = str(Path(cache_dir) if cache_dir else default_cache_dir("backgrounds"))
        backgrounds = backgrounds or BackgroundConfig(music_dir=music_dir, cache_dir=cache)
        self.seed = int(seed)
        self.maker = VariantMaker(augment or AugmentConfig(), BackgroundBank.build(backgrounds, seed=seed), seed=seed)

    def captures(self, samples: np.ndarray, count: int, key: int = 0) -> list[tuple[np.ndarray, dict]]:
        """``count`` captures (audio, recipe) of ``samples`` (mono float32 at 16 kHz); ``key`` names the recording
        in the random stream, so another recording (another key) gets other draws."""
        out = []
        for i in range(count):
            variant = self.maker.make(samples, "train", "capture", np.random.default_rng([self.seed, int(key), i]))
            out.append((variant.audio, variant.recipe))
        return out


def write_captures(args: CaptureArguments, maker: CaptureMaker | None = None) -> Path:
    """Decode every ``--audio``, write its captures into ``--output``; the folder. ``maker`` defaults to the builder's
    chain with ``args``' seed, music and cache."""
    from .writer import atomic_folder

    out = Path(args.output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--output {out}: exists and is not an empty folder; expected a new folder")
    missing = [p for p in args.audio if not Path(p).is_file()]
    if missing:
        raise ValueError(f"--audio {missing[0]}: no such file; expected a recording of the sound")
    recordings = [(Path(p).stem, decode_audio(p, SAMPLE_RATE, max_seconds=MAX_RECORDING_SECONDS)) for p in args.audio]
    maker = maker or CaptureMaker(args.seed, args.music_dir, args.cache_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    index = []
    with atomic_folder(out) as tmp:
        for key, (stem, samples) in enumerate(recordings):
            try:
                made = maker.captures(samples, args.count, key)
            except ValueError as err:  # a silent or non-finite recording
                raise ValueError(f"--audio {args.audio[key]}: {err}") from None
            for i, (audio, recipe) in enumerate(made):
                name = f"{key:02d}-{stem}-{i:03d}.wav"
                (tmp / name).write_bytes(encode_wav(audio))
                index.append({"file": name, "source": Path(args.audio[key]).name, "recipe": recipe})
        (tmp / "captures.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")
    return out


def parse_args(argv: list[str] | None = None) -> CaptureArguments:
    """The command line as :class:`CaptureArguments` (``--audio`` takes one or more files, and may repeat)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dataset_builder.captures", description=__doc__.splitlines()[0])
    parser.add_argument("--audio", action="extend", nargs="+", required=True, help="a recording of the sound")
    parser.add_argument("--output", required=True, help="new folder for the captures (written atomically)")
    parser.add_argument("--count", type=int, default=DEFAULT_CAPTURES, help="captures per recording")
    parser.add_argument("--seed", type=int, default=0, help="the one seed of every draw")
    parser.add_argument("--music-dir", help="also your own background music (as the builder's --music-dir)")
    parser.add_argument("--cache-dir", help="cache of simulated rooms and decoded music (default: the project's)")
    return CaptureArguments(**vars(parser.parse_args(argv)))


def main(argv: list[str] | None = None) -> int:
    from frontend.audio import AudioDecodeError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        out = write_captures(parse_args(argv))
    except (ValueError, AudioDecodeError, OSError) as err:
        print(f"captures: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(list(out.glob('*.wav')))} captures to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

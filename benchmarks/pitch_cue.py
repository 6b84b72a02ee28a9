"""Why pitch augmentation stays within ±1 semitone: how far a pitch shift moves a cry, next to how far its
evolution-line sibling is.

For pairs of consecutive evolution members (Bulbasaur→Ivysaur, Psyduck→Golduck …) in ../shared/pokeapi,
it compares log-mel spectrograms (64 mels, time axis resampled to 100 frames, correlation of the
mean-removed images; 1 = identical):

- sibling: cry of A vs cry of B;
- shift s: cry of A vs the same cry shifted by ±s semitones (the augmentation's own pitch shift).

A pitch shift that moves A further from itself than B is turns a training example of A into something
closer to B than A's own cry: the cue between them is gone. Prints a table and writes
``benchmarks/results/pitch_cue.json``.

    python benchmarks/pitch_cue.py
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results_file import UPDATE_HELP, results_file  # noqa: E402

PAIRS = [
    (1, 2), (2, 3), (4, 5), (5, 6), (7, 8), (8, 9), (10, 11), (16, 17), (19, 20), (29, 30), (32, 33), (43, 44),
    (54, 55), (60, 61), (63, 64), (66, 67), (69, 70), (74, 75), (92, 93), (116, 117), (147, 148),
]
"""Consecutive members of Gen 1 evolution lines."""

SHIFTS = (0.5, 1.0, 2.0, 3.0)


@dataclass
class PitchCueArguments:
    shared: str = field(default=str(ROOT.parent / "shared" / "pokeapi"), metadata={"help": "Folder laid out like the public sources."})
    renditions: str = "legacy,latest"
    results: str = field(default=str(ROOT / "benchmarks" / "results" / "pitch_cue.json"))
    update: bool = field(default=False, metadata={"help": UPDATE_HELP})


def similarity(a, b) -> float:
    """Correlation of time-normalised, mean-removed log-mel spectrograms."""
    import numpy as np
    import torch
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(16_000, n_fft=1024, hop_length=160, n_mels=64)

    def image(x):
        s = torch.log(mel(torch.from_numpy(np.asarray(x, dtype=np.float32))) + 1e-6).numpy()
        t = np.linspace(0, s.shape[1] - 1, 100)
        s = np.stack([np.interp(t, np.arange(s.shape[1]), row) for row in s])
        return (s - s.mean()).ravel()

    return float(np.corrcoef(image(a), image(b))[0, 1])


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    from transformers import HfArgumentParser

    from dataset_builder.dsp import stretch_and_shift
    from frontend.audio import decode_audio

    (args,) = HfArgumentParser(PitchCueArguments).parse_args_into_dataclasses(args=argv, look_for_args_file=False)
    cries = Path(args.shared) / "cries" / "cries" / "pokemon"
    if not cries.is_dir():
        print(f"pitch_cue: {cries} not found; this measurement needs the real cries (../shared/pokeapi)", file=sys.stderr)
        return 1
    out: dict = {"pairs": PAIRS, "shifts": SHIFTS, "renditions": {}}
    for rendition in args.renditions.split(","):
        rows = []
        for a, b in PAIRS:
            x = decode_audio(cries / rendition / f"{a}.ogg")
            y = decode_audio(cries / rendition / f"{b}.ogg")
            row = {"a": a, "b": b, "sibling": similarity(x, y)}
            for s in SHIFTS:
                row[f"shift_{s}"] = min(similarity(stretch_and_shift(x, 16_000, semitones=sign * s), x) for sign in (-1, 1))
            rows.append(row)
        summary = {"median_sibling": float(np.median([r["sibling"] for r in rows]))}
        for s in SHIFTS:
            summary[f"median_shift_{s}"] = float(np.median([r[f"shift_{s}"] for r in rows]))
            summary[f"share_beyond_sibling_{s}"] = float(np.mean([r[f"shift_{s}"] < r["sibling"] for r in rows]))
        out["renditions"][rendition] = {"rows": rows, "summary": summary}
        print(f"\n{rendition}: {len(rows)} evolution pairs (similarity 1 = identical; shift = worse of ±s)")
        print(f"{'':<28}{'median similarity':>18}{'pairs where the shift moves A further than B is':>50}")
        print(f"{'A vs sibling B':<28}{summary['median_sibling']:>18.3f}")
        for s in SHIFTS:
            print(
                f"{f'A vs A shifted ±{s} semitones':<28}{summary[f'median_shift_{s}']:>18.3f}"
                f"{summary[f'share_beyond_sibling_{s}']:>49.0%}"
            )
    out["arguments"] = asdict(args)
    results_file(args.results, args.update).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

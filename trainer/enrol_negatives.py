"""Store, in a model folder, the sounds an enrolled label must not answer for, so enrolment can set its threshold.

``python -m trainer.enrol_negatives --model DIR [--cries-dir ../shared/pokeapi/cries] [--no-cry 600]
[--captures-per-cry 1] [--music-dir data/music/train] [--seed 0]``

Two kinds of recording, made by the builder's capture chain (the train split's rooms and backgrounds:
:class:`dataset_builder.captures.CaptureMaker`): captures without a cry (``--no-cry``; the builder's ``no_cry``
recordings: music, talk, noise through loudspeaker, room and codec) and captures of the trained species' reference
cries (``--captures-per-cry`` of each, with ``--cries-dir``). Each is cut into the app's windows; the cry-like ones
(the recogniser's detector) are embedded and stored as ``enrol_negatives.safetensors``
(:mod:`recognizer.label_thresholds`). ``python -m recognizer.enrol`` then gives a new label the lowest threshold
that answers it for at most a small share of them. The draws are keyed by ``--seed`` (and apart from those of
``trainer.enrol_map``), so the same seed stores the same file; the model's weights are not touched.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger(__name__)

NO_CRY_STREAM = 7
"""Key of the no-cry captures' random stream (``[seed, NO_CRY_STREAM, i]``)."""
CRY_KEY_OFFSET = 1_000_000
"""Added to a cry's capture key, so the species' captures are not those ``trainer.enrol_map`` fits its map on."""


@dataclass
class EnrolNegativesArguments:
    model: str = field(metadata={"help": "Model folder to store the negatives in (enrol_negatives.safetensors)."})
    cries_dir: str | None = field(default=None, metadata={"help": "PokeAPI's cries folder: also captures of the "
                                                                  "trained species' cries (a cry is not a new sound)."})
    renditions: str = field(default="latest,legacy", metadata={"help": "Comma-separated renditions to read."})
    no_cry: int = field(default=600, metadata={"help": "Captures without a cry (the builder's no_cry recordings)."})
    captures_per_cry: int = field(default=1, metadata={"help": "Captures of each trained cry (with --cries-dir)."})
    music_dir: str | None = field(default=None, metadata={"help": "Background music, as the builder's --music-dir "
                                                                  "(its train share is used)."})
    cache_dir: str | None = field(default=None, metadata={"help": "Cache of simulated rooms and decoded music."})
    seed: int = field(default=0, metadata={"help": "The one seed of every draw."})

    def __post_init__(self) -> None:
        if not 0 <= self.no_cry <= 20000:
            raise ValueError(f"--no-cry {self.no_cry}: expected 0-20000 recordings")
        if not 0 <= self.captures_per_cry <= 100:
            raise ValueError(f"--captures-per-cry {self.captures_per_cry}: expected 0-100")
        if self.no_cry == 0 and not (self.cries_dir and self.captures_per_cry):
            raise ValueError("--no-cry 0 without --cries-dir: expected some recordings to store")


def negative_recordings(args: EnrolNegativesArguments, bundle) -> list[np.ndarray]:
    """The captures without a cry, then the trained species' cries' captures (16 kHz mono float32)."""
    from dataset_builder.captures import CaptureMaker
    from trainer.enrol_map import cries_by_id
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    maker = CaptureMaker(args.seed, music_dir=args.music_dir, cache_dir=args.cache_dir)
    out = [maker.maker.make_no_cry("train", np.random.default_rng([args.seed, NO_CRY_STREAM, i])).audio
           for i in range(args.no_cry)]
    if args.cries_dir and args.captures_per_cry:
        ids = sorted(labels_by_pokedex_id(bundle.pokedex, bundle.labels))
        by_id = cries_by_id(args.cries_dir, ids, tuple(args.renditions.split(",")))
        for pid, cries in by_id.items():
            for k, cry in enumerate(cries):
                out += [audio for audio, _ in maker.captures(cry, args.captures_per_cry, key=CRY_KEY_OFFSET + pid * 100 + k)]
    return out


def cry_like_windows(bundle, recordings: list[np.ndarray]):
    """The app's cry-like windows of each recording (:func:`recognizer.enrol.app_windows`, the recogniser's
    detector), embedded as the head's input: a :class:`recognizer.label_thresholds.NegativeWindows` numbering the
    recordings that have any (one without a cry-like window is always "not sure")."""
    from recognizer.detect import CRY, DetectorConfig, check_sound
    from recognizer.enrol import app_windows, head_inputs
    from recognizer.label_thresholds import NegativeWindows

    detector = DetectorConfig()
    windows, owner = [], []
    for samples in recordings:
        cry_like = [w.samples for w in app_windows(bundle, samples) if check_sound(w.samples, detector).kind == CRY]
        if cry_like:
            owner += [owner[-1] + 1 if owner else 0] * len(cry_like)
            windows += cry_like
    return NegativeWindows(head_inputs(bundle, windows, batch=64), np.asarray(owner, dtype=np.int64))


def store_negatives(args: EnrolNegativesArguments):
    """Make, embed and store the negatives; the path written and how many recordings and windows it holds."""
    from recognizer.label_thresholds import save_negatives
    from recognizer.loading import load_model

    bundle = load_model(args.model)
    recordings = negative_recordings(args, bundle)
    negatives = cry_like_windows(bundle, recordings)
    logger.info("%d recordings, %d with cry-like windows (%d windows)", len(recordings), negatives.recordings,
                len(negatives.recording))
    return save_negatives(bundle.directory, negatives), negatives.recordings, len(negatives.recording)


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from recognizer.loading import ModelNotFoundError
    from recognizer.recording import RecordingError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        (args,) = HfArgumentParser(EnrolNegativesArguments).parse_args_into_dataclasses(args=argv)
        path, recordings, windows = store_negatives(args)
    except (ValueError, FileNotFoundError, RecordingError, ModelNotFoundError) as err:
        print(f"enrol_negatives: {err}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({recordings} recordings with cry-like windows, {windows} windows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

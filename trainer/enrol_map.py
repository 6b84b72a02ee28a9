"""Fit a model's enrolment row map from its trained species' reference cries and store it in the model folder.

``python -m trainer.enrol_map --model DIR --cries-dir ../shared/pokeapi/cries [--renditions latest,legacy]``

Every trained species with a cry in ``--cries-dir`` gives one pair: the prototype of its reference cries (as
:mod:`recognizer.enrol` computes it for a new sound: the app's windows, decoded as the app decodes an upload) and
its trained head row. :func:`recognizer.row_map.fit_row_map` fits the ridge map between them, and the folder gains
``enrol_map.safetensors``; from then on ``python -m recognizer.enrol`` turns a new sound's prototype into the row
training would have given it. The model's weights are not touched.

``--captures-per-cry N`` also fits the captures map (``enrol_map_captures.safetensors``): each prototype is then
the mean over the reference cries' windows and N simulated phone captures of each cry
(:class:`dataset_builder.captures.CaptureMaker`, the builder's chain), as ``recognizer.enrol --captures`` computes
it for a new sound.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


@dataclass
class EnrolMapArguments:
    model: str = field(metadata={"help": "Model folder to fit the map for (the map is written into it)."})
    cries_dir: str = field(metadata={"help": "PokeAPI's cries folder (cries/pokemon/{latest,legacy}/<id>.ogg)."})
    renditions: str = field(default="latest,legacy", metadata={"help": "Comma-separated renditions to read."})
    seed: int = field(default=0, metadata={"help": "Which trained species are held out to choose the penalty, and the "
                                                   "captures' draws."})
    captures_per_cry: int = field(default=0, metadata={"help": "Also fit the captures map, from this many simulated "
                                                                "captures of each reference cry (0: no captures map)."})

    def __post_init__(self) -> None:
        if not 0 <= self.captures_per_cry <= 100:
            raise ValueError(f"--captures-per-cry {self.captures_per_cry}: expected 0-100")


def cries_by_id(cries_dir, ids: list[int], renditions: tuple[str, ...], decode=None) -> dict[int, list[np.ndarray]]:
    """Pokédex id → its reference cries (every rendition present), decoded by ``decode`` (default: as the app
    decodes an upload, :func:`recognizer.recording.read_recording`)."""
    from heldout.cries import reference_cries
    from recognizer.recording import read_recording

    decode = decode or read_recording
    cries, _ = reference_cries(cries_dir, ids, renditions)
    by_id: dict[int, list[np.ndarray]] = {}
    for cry in cries:
        by_id.setdefault(cry.pokedex_id, []).append(decode(cry.path))
    return dict(sorted(by_id.items()))


def species_pairs(bundle, cries_dir: str, renditions: tuple[str, ...], captures_per_cry: int = 0,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Unit prototypes of every trained species' reference cries, their head rows and biases, and (with
    ``captures_per_cry``) the prototypes of the cries with simulated captures of them (else None)."""
    from recognizer.enrol import prototype_direction, window_embeddings
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    label_of = labels_by_pokedex_id(bundle.pokedex, bundle.labels)
    by_id = cries_by_id(cries_dir, sorted(label_of), renditions)
    if not by_id:
        raise ValueError(f"--cries-dir {cries_dir}: no cry of the model's {len(label_of)} species; expected "
                         "<id>.ogg files for them")
    dense = bundle.model.classifier.dense
    weights, biases = dense.weight.detach().float().numpy(), dense.bias.detach().float().numpy()
    index = [bundle.labels.index(label_of[pid]) for pid in sorted(by_id)]
    references = {pid: window_embeddings(bundle, cries) for pid, cries in by_id.items()}
    prototypes = np.stack([prototype_direction(bundle, references[pid]) for pid in sorted(by_id)])
    logger.info("%d species with reference cries (%d files)", len(by_id), sum(map(len, by_id.values())))
    with_captures = None
    if captures_per_cry:
        captured = captures_by_id(by_id, captures_per_cry, seed)
        with_captures = np.stack([prototype_direction(bundle, np.concatenate(
            [references[pid], window_embeddings(bundle, captured[pid])])) for pid in sorted(by_id)])
    return prototypes, weights[index], biases[index], with_captures


def captures_by_id(by_id: dict[int, list[np.ndarray]], per_cry: int, seed: int = 0) -> dict[int, list[np.ndarray]]:
    """Pokédex id → ``per_cry`` simulated captures of each of its cries (the builder's chain; keyed by id and cry)."""
    from dataset_builder.captures import CaptureMaker

    maker = CaptureMaker(seed)
    return {pid: [audio for k, cry in enumerate(cries) for audio, _ in maker.captures(cry, per_cry, key=pid * 100 + k)]
            for pid, cries in sorted(by_id.items())}


def fit_enrol_map(args: EnrolMapArguments) -> list[Path]:
    """Fit and store the map (and the captures map); the files written."""
    from recognizer.loading import load_model
    from recognizer.row_map import CAPTURES_ROW_MAP_FILE, ROW_MAP_FILE, fit_row_map, save_row_map

    bundle = load_model(args.model)
    prototypes, rows, biases, with_captures = species_pairs(
        bundle, args.cries_dir, tuple(args.renditions.split(",")), args.captures_per_cry, args.seed)
    written = []
    for name, x in ((ROW_MAP_FILE, prototypes), (CAPTURES_ROW_MAP_FILE, with_captures)):
        if x is None:
            continue
        row_map = fit_row_map(x, rows, biases, seed=args.seed)
        logger.info("%s: ridge strength %g; held-out species' rows at cosine %.3f", name, row_map.strength,
                    row_map.held_out_cosine)
        written.append(save_row_map(bundle.directory, row_map, name))
    return written


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from recognizer.loading import ModelNotFoundError
    from recognizer.recording import RecordingError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        (args,) = HfArgumentParser(EnrolMapArguments).parse_args_into_dataclasses(args=argv)
        written = fit_enrol_map(args)
    except (ValueError, FileNotFoundError, RecordingError, ModelNotFoundError) as err:
        print(f"enrol_map: {err}", file=sys.stderr)
        return 2
    print("wrote " + ", ".join(map(str, written)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

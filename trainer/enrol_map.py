"""Fit a model's enrolment row map from its trained species' reference cries and store it in the model folder.

``python -m trainer.enrol_map --model DIR --cries-dir ../shared/pokeapi/cries [--renditions latest,legacy]``

Every trained species with a cry in ``--cries-dir`` gives one pair: the prototype of its reference cries (as
:mod:`recognizer.enrol` computes it for a new sound: the app's windows, decoded as the app decodes an upload) and
its trained head row. :func:`recognizer.row_map.fit_row_map` fits the ridge map between them, and the folder gains
``enrol_map.safetensors``; from then on ``python -m recognizer.enrol`` turns a new sound's prototype into the row
training would have given it. The model's weights are not touched.
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
    seed: int = field(default=0, metadata={"help": "Which trained species are held out to choose the penalty."})


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


def species_pairs(bundle, cries_dir: str, renditions: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit prototypes of every trained species' reference cries, and their head rows and biases."""
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
    prototypes = np.stack([prototype_direction(bundle, window_embeddings(bundle, by_id[pid])) for pid in sorted(by_id)])
    logger.info("%d species with reference cries (%d files)", len(by_id), sum(map(len, by_id.values())))
    return prototypes, weights[index], biases[index]


def fit_enrol_map(args: EnrolMapArguments) -> Path:
    """Fit and store the map; the file written."""
    from recognizer.loading import load_model
    from recognizer.row_map import fit_row_map, save_row_map

    bundle = load_model(args.model)
    prototypes, rows, biases = species_pairs(bundle, args.cries_dir, tuple(args.renditions.split(",")))
    row_map = fit_row_map(prototypes, rows, biases, seed=args.seed)
    logger.info("ridge strength %g; held-out species' rows at cosine %.3f", row_map.strength, row_map.held_out_cosine)
    return save_row_map(bundle.directory, row_map)


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from recognizer.loading import ModelNotFoundError
    from recognizer.recording import RecordingError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        (args,) = HfArgumentParser(EnrolMapArguments).parse_args_into_dataclasses(args=argv)
        out = fit_enrol_map(args)
    except (ValueError, FileNotFoundError, RecordingError, ModelNotFoundError) as err:
        print(f"enrol_map: {err}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

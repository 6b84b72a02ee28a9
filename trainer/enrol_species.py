"""Enrol every species a model was not trained on, from PokeAPI's reference cries: one folder that names them all.

``python -m trainer.enrol_species --model models/default --cries_dir ../shared/pokeapi/cries
--pokeapi_url file://$PWD/../shared/pokeapi/pokeapi --ids 1-1025 --output runs/all-species-enrolled``

Training a softmax row for each of 1,025 species from many variants costs compute per species (the all-species
runs, docs/README_model.md); enrolment (:mod:`recognizer.enrol`) places a row from a sound's reference recordings
and simulated phone captures of them, without touching the backbone. Each species of ``--ids`` that the model has
no label for gets recognizer.enrol's rows: one per reference cry (``latest``, ``legacy`` and, with ``--forms``, each
alternate form's own cry; ``--rows species`` puts them in one), each placed by the folder's captures map from the
cry and ``--captures_per_cry`` captures of it (the builder's chain, :func:`trainer.enrol_map.captures_by_id`), every
row set against the trained head only, so the result does not depend on the order of the species. Its label is the
species' English name, and ``pokedex.json`` gets its names in every language, types, generation and sprite link
(PokeAPI's CSVs at ``--pokeapi_url``; a ``file://`` URL reads a local mirror). Then every new label gets its own
"not sure" threshold from the folder's stored negatives (:mod:`recognizer.label_thresholds`), fitted against the
finished head, the one the app will judge it by.

``--rows fitted`` gives each species one row instead, fitted by softmax regression (:mod:`trainer.fitted_rows`) on
the frozen backbone's embeddings of the references and captures of every species, the trained ones included (their
rows stay as trained, and the new rows learn to leave their captures alone), the folder's stored negatives as
``no_cry``; the model's calibrated threshold then judges every label (no thresholds of their own). One row per species
means ``pipeline()`` lists a species once; the embeddings of each species are cached in ``.<output name>.embeddings/``.

The rows of each species are cached in ``.<output name>.rows/`` beside the output as they are made, so a run cut
short resumes where it stopped (the captures' draws are keyed by species and ``--seed``: the same rows again); the
output is written atomically at the end, and the cache is removed once it is. ``--workers`` processes share the
species (each loads the model). A thousand new rows take a share of every trained species' probability: refit the
output's calibration on every species afterwards (``python -m trainer.evaluate --recalibrate-on heldout-sim
--install-calibration``; scripts/train_default_model.sh's ``species`` stage runs both).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dataset_builder.config import POKEAPI_URL, SPRITES_URL
from recognizer.label_thresholds import DEFAULT_MAX_FALSE_ANSWERS
from trainer.fitted_rows import DEFAULT_L2, DEFAULT_TRAINED_WEIGHT, EmbeddingCache

logger = logging.getLogger(__name__)

ROWS = ("cry", "species", "fitted")


@dataclass
class EnrolSpeciesArguments:
    model: str = field(metadata={"help": "Model folder to start from (with its captures map: python -m trainer.enrol_map "
                                         "--captures_per_cry N)."})
    cries_dir: str = field(metadata={"help": "PokeAPI's cries folder (cries/pokemon/{latest,legacy}/<id>.ogg)."})
    output: str = field(metadata={"help": "New model folder to write (refused when it exists and is not empty)."})
    ids: str = field(default="1-1025", metadata={"help": "National Pokédex numbers to cover, e.g. 1-1025; those the "
                                                           "model already names are kept as they are."})
    renditions: str = field(default="latest,legacy", metadata={"help": "Comma-separated renditions to enrol from."})
    forms: bool = field(default=False, metadata={"help": "Also enrol each alternate form's own latest cry (PokeAPI ids "
                                                          ">= 10001 that sound unlike their species) under its species."})
    rows: str = field(default="cry", metadata={"help": "cry: a row per reference cry (renditions can sound nothing "
                                                        "alike); species: one row per species; fitted: one row per "
                                                        "species, fitted by softmax regression on captures of every "
                                                        "species' cries (trainer.fitted_rows)."})
    captures_per_cry: int = field(default=10, metadata={"help": "Simulated phone captures of each reference cry in its "
                                                                 "row's prototype (0: the references alone)."})
    l2: float = field(default=DEFAULT_L2, metadata={"help": "--rows fitted: penalty on the new rows' squared weights."})
    trained_weight: float = field(default=DEFAULT_TRAINED_WEIGHT, metadata={
        "help": "--rows fitted: weight of a trained species' example in the fit against a new species' (1: equal)."})
    bias_shift: float = field(default=0.0, metadata={
        "help": "Logits added to every enrolled row's bias: a thousand enrolled rows take a share of every trained "
                "species' probability (benchmarks/enrolled_bias.py measures what a shift buys back)."})
    max_false_answers: float = field(default=DEFAULT_MAX_FALSE_ANSWERS, metadata={
        "help": "Each new label's own not-sure threshold answers it for at most this share of the folder's negatives "
                "(not for --rows fitted: those rows met the negatives in their fit, and the model's threshold judges "
                "them)."})
    pokeapi_url: str = field(default=POKEAPI_URL, metadata={"help": "Base URL of the PokeAPI repository (its CSV export) "
                                                                     "for names, types and generations; file:// reads a "
                                                                     "local mirror."})
    sprites_url: str = field(default=SPRITES_URL, metadata={"help": "Base URL of the sprite links recorded in pokedex.json."})
    seed: int = field(default=0, metadata={"help": "The captures' draws."})
    workers: int = field(default=1, metadata={"help": "Processes making rows side by side (each loads the model)."})
    threads: int = field(default=2, metadata={"help": "Torch threads per worker."})

    def __post_init__(self) -> None:
        if self.rows not in ROWS:
            raise ValueError(f"--rows {self.rows!r}: expected one of {', '.join(ROWS)}")
        if not self.l2 >= 0:
            raise ValueError(f"--l2 {self.l2}: expected a penalty >= 0")
        if not self.trained_weight > 0:
            raise ValueError(f"--trained_weight {self.trained_weight}: expected a weight > 0")
        if not 0 <= self.captures_per_cry <= 100:
            raise ValueError(f"--captures_per_cry {self.captures_per_cry}: expected 0-100")
        if self.workers < 1 or self.threads < 1:
            raise ValueError(f"--workers {self.workers} --threads {self.threads}: expected 1 or more of each")
        if not 0.0 <= self.max_false_answers < 1.0:
            raise ValueError(f"--max_false_answers {self.max_false_answers}: expected a share in [0, 1)")
        out = Path(self.output)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise ValueError(f"--output {out}: exists and is not an empty folder; expected a new folder (a model is "
                             "never overwritten)")


def pokedex_entries(pokeapi_url: str, sprites_url: str) -> dict:
    """Pokédex id → :class:`common.species.Species` (names in every language, types, generation, sprite link) from
    PokeAPI's CSVs, read as the dataset builder reads them."""
    from dataset_builder.config import SourceConfig
    from dataset_builder.http import HttpClient
    from dataset_builder.sources.pokeapi import PokeapiSource

    source = PokeapiSource(SourceConfig(pokeapi_url=pokeapi_url, sprites_url=sprites_url), HttpClient())
    return {species.pokedex_id: species for species in source.pokedex()}


def form_cries_by_id(args: EnrolSpeciesArguments, ids: list[int]) -> dict[int, list[np.ndarray]]:
    """Species id → the ``latest`` cries of its alternate forms that sound unlike it (:func:`heldout.cries.form_cries`),
    decoded as the app decodes an upload."""
    from dataset_builder.http import HttpClient
    from dataset_builder.sources.pokeapi import CSV_PATH
    from heldout.cries import form_cries
    from recognizer.recording import read_recording

    body = HttpClient().get(f"{args.pokeapi_url.rstrip('/')}/{CSV_PATH}/pokemon.csv")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pokemon.csv").write_bytes(body)
        found, _, _ = form_cries(args.cries_dir, Path(tmp) / "pokemon.csv", ids)
    by_id: dict[int, list[np.ndarray]] = {}
    for cry in found:
        by_id.setdefault(cry.pokedex_id, []).append(read_recording(cry.path))
    return by_id


class RowCache:
    """Each species' enrolled rows on disk (``<pid>.npz``: weights and biases), written atomically as they are made."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, pid: int) -> Path:
        return self.directory / f"{pid}.npz"

    def get(self, pid: int) -> tuple[np.ndarray, np.ndarray] | None:
        path = self.path(pid)
        if not path.is_file():
            return None
        with np.load(path) as stored:
            return stored["weights"], stored["biases"]

    def put(self, pid: int, weights: np.ndarray, biases: np.ndarray) -> None:
        tmp = self.directory / f".{pid}.{os.getpid()}.tmp.npz"  # two runs over one cache never share a temporary file
        np.savez(tmp, weights=weights.astype(np.float32), biases=biases.astype(np.float32))
        tmp.replace(self.path(pid))


def species_rows(bundle, maps, cries: list[np.ndarray], captures: list[np.ndarray] | None,
                 per_cry: bool) -> tuple[np.ndarray, np.ndarray]:
    """recognizer.enrol's rows for one species from its reference ``cries`` (and simulated ``captures`` of them),
    against ``bundle``'s head as trained: weights (rows × hidden) and biases."""
    from recognizer.enrol import enrolled_rows, window_embeddings

    references = [window_embeddings(bundle, [cry]) for cry in cries]
    captured = window_embeddings(bundle, captures) if captures else None
    rows = enrolled_rows(bundle, references, captured, maps=maps, per_recording=per_cry)
    return np.stack([row.weight for row in rows]), np.array([row.bias for row in rows], dtype=np.float32)


def make_rows(model: str, by_id: dict[int, list[np.ndarray]], cache_dir: str, captures_per_cry: int, seed: int,
              per_cry: bool, threads: int) -> int:
    """Make and cache the rows of every species of ``by_id`` not cached yet (one worker's share); how many were made.
    A worker of its own loads the model: the rows depend only on the trained head, the cries and the seed."""
    import torch

    from recognizer.enrol import enrolment_maps
    from recognizer.loading import load_model
    from trainer.enrol_map import captures_by_id

    torch.set_num_threads(max(1, threads))
    bundle = load_model(model)
    maps = enrolment_maps(bundle)
    cache, made, started = RowCache(Path(cache_dir)), 0, time.perf_counter()
    for pid in sorted(by_id):
        if cache.get(pid) is not None:
            continue
        captures = captures_by_id({pid: by_id[pid]}, captures_per_cry, seed)[pid] if captures_per_cry else None
        cache.put(pid, *species_rows(bundle, maps, by_id[pid], captures, per_cry))
        made += 1
        if made % 25 == 0:
            logger.info("%d of %d species enrolled (%.0f s)", made, len(by_id), time.perf_counter() - started)
    return made


def species_cries(args: EnrolSpeciesArguments, bundle, entries: dict) -> tuple[dict[int, list[np.ndarray]], dict, list[int]]:
    """The reference cries of every species of ``--ids`` the model has no label for (id → decoded cries, forms'
    included with ``--forms``), the model's trained ids, and the wanted ids without any cry file."""
    from heldout.cries import parse_ids
    from trainer.enrol_map import cries_by_id
    from trainer.evaluation.heldout_set import labels_by_pokedex_id

    trained = labels_by_pokedex_id(bundle.pokedex, bundle.labels)
    missing_names = [pid for pid in parse_ids(args.ids) if pid not in entries]
    if missing_names:
        raise ValueError(f"--ids: {len(missing_names)} id(s) not in {args.pokeapi_url}'s pokemon_species.csv "
                         f"(e.g. {missing_names[:5]}); expected National Pokédex numbers")
    wanted = [pid for pid in parse_ids(args.ids) if pid not in trained]
    clashes = [pid for pid in wanted if entries[pid].name in set(bundle.labels)]
    if clashes:
        raise ValueError(f"--ids: species {clashes[:5]} are named like labels the model already has; expected new names")
    by_id = cries_by_id(args.cries_dir, wanted, tuple(r.strip() for r in args.renditions.split(",") if r.strip()))
    if args.forms:
        for pid, cries in form_cries_by_id(args, wanted).items():
            by_id.setdefault(pid, []).extend(cries)
    no_cry = [pid for pid in wanted if pid not in by_id]
    if no_cry:
        logger.warning("%d species have no cry in %s and are left out: %s", len(no_cry), args.cries_dir, no_cry[:20])
    return by_id, trained, no_cry


def make_all_rows(args: EnrolSpeciesArguments, by_id: dict[int, list[np.ndarray]], cache: RowCache) -> None:
    """Every species' rows into ``cache`` (those already there are kept), in ``--workers`` processes."""
    todo = [pid for pid in sorted(by_id) if cache.get(pid) is None]
    logger.info("%d species to enrol (%d cached from an earlier run), %d worker(s)", len(todo), len(by_id) - len(todo),
                args.workers)
    per_cry = args.rows == "cry"
    if args.workers == 1:
        make_rows(args.model, {pid: by_id[pid] for pid in todo}, str(cache.directory), args.captures_per_cry, args.seed,
                  per_cry, args.threads)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shares = [{pid: by_id[pid] for pid in todo[k :: args.workers]} for k in range(args.workers)]
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for done in [pool.submit(make_rows, args.model, share, str(cache.directory), args.captures_per_cry,
                                 args.seed, per_cry, args.threads) for share in shares if share]:
            done.result()


def fitted_species_rows(args: EnrolSpeciesArguments, bundle, by_id: dict[int, list[np.ndarray]], trained: dict[int, str],
                        cache: EmbeddingCache) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """One row per new species of ``by_id``, fitted against the trained head (:func:`trainer.fitted_rows.fit_rows`)
    on the embedded references and captures of every species (the trained ones' cries too, so the new rows learn
    to leave them alone; the folder's stored negatives as ``no_cry`` when it has that class)."""
    from recognizer.label_thresholds import load_negatives
    from recognizer.predict import NO_CRY_LABEL
    from trainer.enrol_map import cries_by_id
    from trainer.fitted_rows import embed_all, examples, fit_rows, species_targets

    renditions = tuple(r.strip() for r in args.renditions.split(",") if r.strip())
    trained_cries = cries_by_id(args.cries_dir, sorted(trained), renditions)
    embed_all(args.model, {**trained_cries, **by_id}, cache, args.captures_per_cry, args.seed, args.workers, args.threads)
    new_ids = sorted(by_id)
    targets = species_targets(bundle.labels, {pid: trained[pid] for pid in trained_cries}, new_ids)
    no_cry = bundle.labels.index(NO_CRY_LABEL) if NO_CRY_LABEL in bundle.labels else None
    x, y = examples(cache, targets, negatives=load_negatives(bundle.directory), no_cry_row=no_cry)
    dense = bundle.model.classifier.dense
    started = time.perf_counter()
    fitted = fit_rows(x, y, dense.weight.detach().float().numpy(), dense.bias.detach().float().numpy(), len(new_ids),
                      l2=args.l2, fixed_weight=args.trained_weight)
    logger.info("%d rows fitted on %d examples (loss %.3f, %.0f s)", len(new_ids), len(x), fitted.loss,
                time.perf_counter() - started)
    return {pid: (fitted.weights[k : k + 1], fitted.biases[k : k + 1]) for k, pid in enumerate(new_ids)}


def with_enrolled(args: EnrolSpeciesArguments, bundle, entries: dict, rows: dict[int, tuple[np.ndarray, np.ndarray]]):
    """``bundle`` with the ``rows`` (pokédex id → weights, biases) of each new species in its head and (rows not
    fitted) their own thresholds in its calibration, and its pokedex with their entries (names in the languages the
    folder keeps, as the trainer writes them)."""
    from recognizer.enrol import EnrolledRow, add_rows
    from recognizer.label_thresholds import fit_label_thresholds, load_negatives

    pokedex = dict(bundle.pokedex)
    pids = sorted(rows)
    for pid in pids:
        weights, biases = rows[pid]
        species = entries[pid]
        bundle = add_rows(bundle, species.name, [EnrolledRow(w, float(b) + args.bias_shift, 0, float("nan"))
                                                 for w, b in zip(weights, biases, strict=True)])
        pokedex[species.name] = dataclasses.replace(species, names={lang: species.localized_name(lang)
                                                                    for lang in bundle.languages})
    negatives = load_negatives(bundle.directory)
    if negatives is not None and args.rows != "fitted":  # fitted rows met the negatives in their fit (as no_cry)
        dense = bundle.model.classifier.dense
        thresholds = fit_label_thresholds(negatives, dense.weight.detach().float().numpy(),
                                          dense.bias.detach().float().numpy(), bundle.labels,
                                          [entries[pid].name for pid in pids], bundle.calibration.temperature,
                                          bundle.calibration.threshold, args.max_false_answers)
        calibration = dataclasses.replace(bundle.calibration,
                                          label_thresholds={**bundle.calibration.label_thresholds, **thresholds})
        bundle = dataclasses.replace(bundle, calibration=calibration)
    return bundle, pokedex


def enrol_species(args: EnrolSpeciesArguments) -> dict:
    """Write the model folder with every species of ``--ids`` named; a summary of what was enrolled."""
    from recognizer.enrol import enrolment_maps, private_copy, save_model_folder
    from recognizer.loading import load_model
    from recognizer.row_map import CAPTURES_ROW_MAP_FILE

    started = time.perf_counter()
    bundle = private_copy(load_model(args.model))
    if args.rows != "fitted" and args.captures_per_cry and enrolment_maps(bundle)[1] is None:
        raise ValueError(f"--captures_per_cry {args.captures_per_cry}: {args.model} has no {CAPTURES_ROW_MAP_FILE}; fit "
                         "it with python -m trainer.enrol_map --captures-per-cry N, or pass --captures_per_cry 0")
    entries = pokedex_entries(args.pokeapi_url, args.sprites_url)
    by_id, trained, no_cry = species_cries(args, bundle, entries)
    out = Path(args.output)
    if args.rows == "fitted":
        cache_dir = out.with_name(f".{out.name}.embeddings")
        rows = fitted_species_rows(args, bundle, by_id, trained, EmbeddingCache(cache_dir))
    else:
        cache = RowCache(out.with_name(f".{out.name}.rows"))
        cache_dir = cache.directory
        make_all_rows(args, by_id, cache)
        rows = {pid: cache.get(pid) for pid in sorted(by_id)}
    bundle, pokedex = with_enrolled(args, bundle, entries, rows)
    summary = {"trained": len(trained), "enrolled": len(by_id), "labels": len(set(bundle.labels)),
               "head_rows": len(bundle.labels), "no_cry_file": no_cry, "seconds": round(time.perf_counter() - started, 1)}
    source_card = bundle.directory / "README.md"
    card = source_card.read_text(encoding="utf-8") if source_card.is_file() else ""
    save_model_folder(bundle, out, pokedex, card.rstrip() + "\n\n" + card_section(args, summary, by_id))
    shutil.rmtree(cache_dir, ignore_errors=True)
    return summary


def card_section(args: EnrolSpeciesArguments, summary: dict, by_id: dict[int, list[np.ndarray]]) -> str:
    """The model card's account of the enrolled species: how many, from what, and how ``pipeline()`` shows them."""
    cries = sum(map(len, by_id.values()))
    captures = (f"and {args.captures_per_cry} simulated phone captures of each (the dataset builder's chain, seed "
                f"{args.seed})" if args.captures_per_cry else "alone")
    forms = ", and each alternate form's own cry" if args.forms else ""
    shift = f", every enrolled bias {args.bias_shift:+g} logits" if args.bias_shift else ""
    own_threshold = ("" if args.rows == "fitted" else ", with a \"not sure\" threshold of its own (`calibration.json`'s "
                     f"`label_thresholds`: it answers for at most {args.max_false_answers:.1%} of the stored negatives)")
    if args.rows == "fitted":
        placed = ("one row per species, fitted by softmax regression (L2 penalty "
                  f"{args.l2:g}, the trained species' examples weighted {args.trained_weight:g}) on the frozen backbone's embeddings of these recordings and of the trained species' "
                  "own cries and captures, the trained rows kept as they are (`trainer.fitted_rows`)")
        listing = "Every species has one row, so `pipeline()` lists it once."
    else:
        rows = "a row per cry" if args.rows == "cry" else "one row per species"
        placed = (f"{rows}, placed by the folder's captures map (`enrol_map_captures.safetensors`) against the trained "
                  "head")
        listing = ("The app adds up a species' rows into one guess; `pipeline()` lists each row under the species' "
                   "name, so a species enrolled with several rows can appear more than once in its top-k: add up the "
                   "scores by label.")
    text = (f"This folder names {summary['trained'] + summary['enrolled']:,} species: the {summary['trained']:,} its "
            f"backbone and head were trained on, and {summary['enrolled']:,} more enrolled by `python -m "
            f"trainer.enrol_species` (ids `{args.ids}`) without training the backbone: each from its reference cries "
            f"({cries:,} in all: the renditions `{args.renditions}`{forms}) {captures}, {placed} "
            f"({summary['head_rows']:,} head rows in all){shift}{own_threshold}. An enrolled species is named less "
            "reliably than a "
            "trained one; the project's README gives the measured accuracy by generation. With a thousand new rows "
            "the trained head's \"not sure\" threshold no longer fits: scripts/train_default_model.sh refits the app's "
            "calibration on the held-out simulator's validation draw of every species (`python -m trainer.evaluate "
            "--recalibrate-on heldout-sim --install-calibration`), and `calibration.json` is that fit. " + listing)
    return "## Species enrolled, not trained\n\n" + textwrap.fill(text, width=118) + "\n"


def main(argv: list[str] | None = None) -> int:
    from transformers import HfArgumentParser

    from dataset_builder.http import DownloadError
    from recognizer.enrol import EnrolError
    from recognizer.loading import ModelNotFoundError
    from recognizer.recording import RecordingError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        (args,) = HfArgumentParser(EnrolSpeciesArguments).parse_args_into_dataclasses(args=argv)
        summary = enrol_species(args)
    except (ValueError, FileNotFoundError, RecordingError, ModelNotFoundError, EnrolError, DownloadError) as err:
        print(f"enrol_species: {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}: {summary['labels']} labels ({summary['trained']} trained, {summary['enrolled']} "
          f"enrolled), {summary['head_rows']} head rows, in {summary['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

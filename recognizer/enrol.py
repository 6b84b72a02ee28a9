"""Enrol a new sound into a model folder from one or more reference recordings, without retraining.

``python -m recognizer.enrol --model DIR --audio FILE [--audio FILE ...] --label NAME --output OUT``

The classifier head of an AST is a layer norm and one linear layer over the pooled embedding. Enrolment adds
one row to that layer from the prototype of the references' embeddings (each reference cut into the app's
windows by the front end, so it is heard exactly as a recording is):

- with a row map in the folder (``enrol_map.safetensors``, :mod:`recognizer.row_map`): the row and bias the map
  gives the prototype, at the trained rows' median length, so the new class competes on the trained ones' terms;
- without one: the prototype's direction, at least the existing rows' median length;

and in both cases the bias is raised, if needed, until every reference names NAME by a logit margin over the best
existing class.

With ``--captures FILE ...`` (simulated phone captures of the references: ``python -m dataset_builder.captures``),
the prototype is the mean of the references' and the captures' windows, so it sits where the app's recordings of
the sound land, and the row is the one the folder's captures map (``enrol_map_captures.safetensors``, fitted on
prototypes of the same kind) gives it, with the map's bias as it is.

With ``--row-per-recording``, each reference recording gets a row of its own (same rule, its own windows and the
captures nearest to it), all named NAME: two games' renditions of one cry can sound nothing alike, and one
prototype between them matches neither. With ``--capture-rows K``, the captures' windows are split into up to
K groups (k-means; no more groups than leave MIN_CAPTURE_WINDOWS_PER_ROW windows to each on average) and each
group, with the references, gets a row: a phone hears one sound in several distinct ways (a tinny loudspeaker, a
hall, a codec), and one prototype averaged over them sits between those ways. The recogniser adds up a label's
rows' probabilities, so the app shows NAME once; ``pipeline()`` lists each row.

With the folder's ``enrol_negatives.safetensors`` (``python -m trainer.enrol_negatives``), NAME gets a "not sure"
threshold of its own (:mod:`recognizer.label_thresholds`; ``calibration.json``'s ``label_thresholds``): the model's
threshold was fitted on trained species, and an enrolled sound's probability on its captures stays under it, so it
would be named first yet shown as "not sure". ``--model-threshold`` keeps the model's.

OUT is an ordinary model folder: ``pipeline("audio-classification", model=OUT)`` and the app load it, with NAME
among the labels, and every other row of the head unchanged. :func:`enrolled_rows` is the rule in one call, for
the benchmarks that enrol many sounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.species import Species
from frontend.fbank import model_inputs, window_samples
from frontend.locator import LOCATOR_FILE
from frontend.windows import find_windows, onset_setting
from recognizer.label_thresholds import (
    DEFAULT_MAX_FALSE_ANSWERS,
    NEGATIVES_FILE,
    NegativeWindows,
    answered_probabilities,
    fit_label_threshold,
    load_negatives,
)
from recognizer.loading import ModelBundle, load_model
from recognizer.model_files import save_pokedex
from recognizer.recording import read_recording
from recognizer.row_map import CAPTURES_ROW_MAP_FILE, ROW_MAP_FILE, RowMap, load_row_map

logger = logging.getLogger(__name__)

DEFAULT_MARGIN = 2.0
"""logits. How far above the best existing class an enrolled reference's own logit is placed (e^2 ≈ 7×)."""

MIN_CAPTURE_WINDOWS_PER_ROW = 6
"""windows. ``--capture-rows`` makes no more groups than leave this many capture windows to each on average."""


class EnrolError(ValueError):
    """Enrolment cannot go ahead; the message names the input and what was expected."""


@dataclass(frozen=True)
class EnrolledRow:
    """The classifier row added for the new label: weight, bias, and how its references score."""

    weight: np.ndarray
    bias: float
    reference_windows: int
    reference_margin: float
    """Smallest (new logit − best existing logit) over the reference windows, after the bias is set."""


def window_embeddings(bundle: ModelBundle, recordings: list[np.ndarray]) -> np.ndarray:
    """The head's input (layer-normed pooled embedding) of every window the app would score, one row each."""
    windows = [w.samples for samples in recordings for w in app_windows(bundle, samples)]
    if not windows:
        raise EnrolError("the reference recordings are silent; expected recordings of the sound to enrol")
    return head_inputs(bundle, windows)


def app_windows(bundle: ModelBundle, samples: np.ndarray) -> list:
    """The windows the app scores in a recording (16 kHz mono), as :class:`recognizer.predict.Recognizer` cuts them."""
    length = window_samples(int(bundle.feature_extractor.max_length))
    return find_windows(samples, length, onset_setting(bundle.feature_extractor), bundle.locator)


def head_inputs(bundle: ModelBundle, windows: list[np.ndarray], batch: int | None = None) -> np.ndarray:
    """The classifier's input (layer-normed pooled embedding) for each window's samples, one row each; in batches
    of ``batch`` windows (default: one batch)."""
    import torch

    out = []
    step = batch or max(1, len(windows))
    for start in range(0, len(windows), step):
        inputs = torch.from_numpy(model_inputs(windows[start : start + step], bundle.feature_extractor))
        with torch.inference_mode():
            pooled = bundle.model.audio_spectrogram_transformer(inputs).pooler_output
            out.append(bundle.model.classifier.layernorm(pooled).float().numpy())
    return np.concatenate(out) if out else np.zeros((0, bundle.model.config.hidden_size), np.float32)


def prototype_direction(bundle: ModelBundle, embeddings: np.ndarray) -> np.ndarray:
    """Unit direction of the references' prototype (their mean head input, less the layer norm's common offset)."""
    # every layer-normed embedding shares the layer norm's offset; the prototype is what is left
    offset = bundle.model.classifier.layernorm.bias.detach().float().numpy()
    direction = embeddings.mean(axis=0) - offset
    norm = float(np.linalg.norm(direction))
    if not np.isfinite(norm) or norm == 0.0:
        raise EnrolError("the references' embedding is degenerate (zero or not finite); expected audible recordings")
    return direction / norm


def captured_row(bundle: ModelBundle, embeddings: np.ndarray, captured: np.ndarray, row_map: RowMap) -> EnrolledRow:
    """The row the captures map gives the prototype of the references' (``embeddings``) and their simulated
    captures' (``captured``) windows, at the median row length, with the map's own bias.

    The bias is not raised for the references: with captures in the prototype the row already sits where captures
    land, and raising it until each clean reference wins by a margin let enrolled rows outbid trained species on
    their own captures (docs/README_model.md, "Enrolment from simulated captures").
    """
    dense = bundle.model.classifier.dense
    weights = dense.weight.detach().float().numpy()
    biases = dense.bias.detach().float().numpy()
    mapped, bias = row_map.row(prototype_direction(bundle, np.concatenate([embeddings, captured])))
    weight = _at_median_length(mapped, weights)
    margin = float(np.min(embeddings @ weight + bias - (embeddings @ weights.T + biases).max(axis=1)))
    return EnrolledRow(weight.astype(np.float32), bias, len(embeddings), margin)


def _at_median_length(row: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``row``'s direction at the trained rows' median length (a mapped row competes on their terms)."""
    return row * (float(np.median(np.linalg.norm(weights, axis=1))) / max(float(np.linalg.norm(row)), 1e-12))


def enrolment_maps(bundle: ModelBundle) -> tuple[RowMap | None, RowMap | None]:
    """The folder's row maps: for references alone, and for references with simulated captures (None when absent)."""
    return load_row_map(bundle.directory, ROW_MAP_FILE), load_row_map(bundle.directory, CAPTURES_ROW_MAP_FILE)


def enrolled_row(bundle: ModelBundle, embeddings: np.ndarray, captured: np.ndarray | None = None,
                 margin: float = DEFAULT_MARGIN, maps: tuple[RowMap | None, RowMap | None] | None = None) -> EnrolledRow:
    """``recognizer.enrol``'s row for references' window ``embeddings`` (and ``captured`` windows of simulated
    captures): :func:`captured_row` with the captures map, else :func:`prototype_row` with the references' map.
    ``maps`` (:func:`enrolment_maps`) defaults to the folder's."""
    row_map, captures_map = maps if maps is not None else enrolment_maps(bundle)
    if captured is None:
        return prototype_row(bundle, embeddings, margin, row_map)
    if captures_map is None:
        raise EnrolError(f"--captures: {bundle.directory} has no {CAPTURES_ROW_MAP_FILE}; expected a folder fitted with "
                         "python -m trainer.enrol_map --captures-per-cry N (or enrol without --captures)")
    return captured_row(bundle, embeddings, captured, captures_map)


def enrolled_rows(bundle: ModelBundle, references: list[np.ndarray], captured: np.ndarray | None = None,
                  margin: float = DEFAULT_MARGIN, maps: tuple[RowMap | None, RowMap | None] | None = None,
                  per_recording: bool = False, capture_rows: int = 1) -> list[EnrolledRow]:
    """``recognizer.enrol``'s rows for the window embeddings of each reference recording (``references``) and of
    simulated captures (``captured``): one :func:`enrolled_row` over all of them, or with ``per_recording`` one
    per recording, each from its own windows and the capture windows nearest to its prototype; with
    ``capture_rows`` > 1, each such row's captures are split (:func:`capture_groups`) into a row per group. Every
    row is set against the head as it is, not against its siblings."""
    if not per_recording or len(references) == 1:
        groups = [(np.concatenate(references), captured)]
    elif captured is None:
        groups = [(windows, None) for windows in references]
    else:
        directions = np.stack([prototype_direction(bundle, windows) for windows in references])
        offset = bundle.model.classifier.layernorm.bias.detach().float().numpy()
        nearest = np.argmax((captured - offset) @ directions.T, axis=1)
        groups = [(windows, captured[nearest == k]) for k, windows in enumerate(references)]
    return [enrolled_row(bundle, windows, part, margin, maps)
            for windows, caught in groups
            for part in ([None] if caught is None else capture_groups(caught, capture_rows))]


def capture_groups(captured: np.ndarray, rows: int) -> list[np.ndarray]:
    """``captured`` window embeddings split by k-means into up to ``rows`` groups, no more than leave
    MIN_CAPTURE_WINDOWS_PER_ROW windows to each on average (one group when that allows only one); fixed seed, so
    an enrolment is reproducible."""
    k = min(int(rows), len(captured) // MIN_CAPTURE_WINDOWS_PER_ROW)
    if k <= 1:
        return [captured]
    from sklearn.cluster import KMeans

    assigned = KMeans(n_clusters=k, n_init=4, random_state=0).fit_predict(captured)
    return [captured[assigned == j] for j in range(k) if np.any(assigned == j)]


def prototype_row(bundle: ModelBundle, embeddings: np.ndarray, margin: float = DEFAULT_MARGIN,
                  row_map: RowMap | None = None) -> EnrolledRow:
    """A classifier row for the references' prototype, on which every reference wins by at least ``margin``.

    With ``row_map``, the row training would have given the prototype (the map's direction and bias, at the
    median row length). Without, the margin rule: the prototype's direction and a bias that makes the references
    win by exactly ``margin``. With no bias, a raw prototype (a mean of clean references) sits nearer most
    embeddings than the trained rows do and outbids them on their own captures (enrolling Gen 2 so took a cosine
    backbone's Gen-1 captures from 84.4 to 31.5 %); the margin rule guards against that, the map avoids it.
    """
    dense = bundle.model.classifier.dense
    weights = dense.weight.detach().float().numpy()
    biases = dense.bias.detach().float().numpy()
    unit = prototype_direction(bundle, embeddings)
    existing = (embeddings @ weights.T + biases).max(axis=1)
    floor = float(np.median(np.linalg.norm(weights, axis=1)))
    if row_map is not None:
        mapped, mapped_bias = row_map.row(unit)
        weight = _at_median_length(mapped, weights)
        raw = embeddings @ weight
        bias = max(mapped_bias, float(margin + np.max(existing - raw)))
        return EnrolledRow(weight.astype(np.float32), bias, len(embeddings), float(np.min(raw + bias - existing)))
    along = embeddings @ unit
    if np.any(along <= 0):
        raise EnrolError("the references do not agree (an embedding points away from their prototype); "
                         "expected recordings of one sound")
    # The row is at least as long as the existing rows, longer if the references need it to win by ``margin``
    # with an ordinary (the median row's) bias. A long row is selective: its logit falls fast as a sound's
    # embedding turns away from the prototype. Then the bias is set so that the references win by exactly
    # ``margin``, no more: where every embedding shares a large component along the prototype (a model with a
    # no_cry class puts chiptune there), an ordinary bias would let the new row outbid real cries.
    scale = max(float(np.max((existing + margin - float(np.median(biases))) / along)), floor)
    weight = unit * scale
    raw = embeddings @ weight
    bias = float(margin + np.max(existing - raw))
    return EnrolledRow(weight.astype(np.float32), bias, len(embeddings), float(np.min(raw + bias - existing)))


def add_rows(bundle: ModelBundle, label: str, rows: list[EnrolledRow]) -> ModelBundle:
    """Append ``rows`` to the model's head, each named ``label`` in its config (the model changes in place); the
    bundle with ``label`` among its labels."""
    import torch

    model = bundle.model
    old = model.classifier.dense
    n = len(rows)
    new = torch.nn.Linear(old.in_features, old.out_features + n, dtype=old.weight.dtype)
    with torch.no_grad():
        new.weight[:-n] = old.weight
        new.bias[:-n] = old.bias
        for k, row in enumerate(rows, start=old.out_features):
            new.weight[k] = torch.as_tensor(row.weight, dtype=old.weight.dtype)
            new.bias[k] = row.bias
    model.classifier.dense = new
    labels = [*bundle.labels, *[label] * n]
    model.config.num_labels = len(labels)
    model.config.id2label = dict(enumerate(labels))
    model.config.label2id = {name: i for i, name in enumerate(labels)}  # a label with several rows: its last
    return dataclasses.replace(bundle, labels=labels)


def with_label_threshold(bundle: ModelBundle, label: str, negatives: NegativeWindows,
                         max_false_answers: float = DEFAULT_MAX_FALSE_ANSWERS) -> tuple[ModelBundle, float]:
    """``bundle`` with ``label``'s own "not sure" threshold in its calibration (:mod:`recognizer.label_thresholds`:
    the lowest that answers ``label`` for at most ``max_false_answers`` of the ``negatives``), and the threshold."""
    dense = bundle.model.classifier.dense
    scores = answered_probabilities(negatives, dense.weight.detach().float().numpy(),
                                    dense.bias.detach().float().numpy(), bundle.labels, label,
                                    bundle.calibration.temperature)
    threshold = fit_label_threshold(scores, bundle.calibration.threshold, max_false_answers)
    thresholds = {**bundle.calibration.label_thresholds, label: threshold}
    calibration = dataclasses.replace(bundle.calibration, label_thresholds=thresholds)
    return dataclasses.replace(bundle, calibration=calibration), threshold


def enrol(model: str, audio: list[str], label: str, output: str, margin: float = DEFAULT_MARGIN,
          captures: list[str] | None = None, row_per_recording: bool = False,
          capture_rows: int = 1, max_false_answers: float | None = DEFAULT_MAX_FALSE_ANSWERS,
          ) -> tuple[list[EnrolledRow], float]:
    """Write to ``output`` the model ``model`` with ``label`` enrolled from ``audio`` (and simulated ``captures`` of
    it, when given; one row per recording with ``row_per_recording``, and its captures split into up to
    ``capture_rows`` rows) and, when the folder stores negatives and ``max_false_answers`` is not None, its own
    threshold (:func:`with_label_threshold`); returns the added rows and the threshold ``label`` is judged on."""
    label = label.strip()
    if not label:
        raise EnrolError("--label: empty; expected the name to answer for the enrolled sound")
    if not audio:
        raise EnrolError("--audio: none given; expected at least one reference recording")
    if capture_rows < 1 or (capture_rows > 1 and not captures):
        raise EnrolError(f"--capture-rows {capture_rows}: expected 1, or more with --captures to split into groups")
    out = Path(output)
    if out.exists() and any(out.iterdir()):
        raise EnrolError(f"--output {out}: not empty; expected a new or empty folder (the model is never overwritten)")
    bundle = private_copy(load_model(model))
    if label in bundle.labels:
        raise EnrolError(f"--label {label!r}: the model already names it; expected a new label")
    references = [_reference_windows(bundle, path) for path in audio]
    captured = window_embeddings(bundle, [read_recording(p) for p in captures]) if captures else None
    rows = enrolled_rows(bundle, references, captured, margin, per_recording=row_per_recording,
                         capture_rows=capture_rows)
    bundle = add_rows(bundle, label, rows)
    negatives = load_negatives(bundle.directory) if max_false_answers is not None else None
    if negatives is not None:
        bundle, _ = with_label_threshold(bundle, label, negatives, max_false_answers)
    _save(bundle, label, out)
    threshold = bundle.calibration.threshold_for(label)
    logger.info("enrolled %r from %d recording(s), %d window(s), %d row(s), threshold %.3f -> %s", label, len(audio),
                sum(len(windows) for windows in references), len(rows), threshold, out)
    return rows, threshold


def _reference_windows(bundle: ModelBundle, path: str) -> np.ndarray:
    """:func:`window_embeddings` of one reference recording; an unusable one is named in the error."""
    try:
        return window_embeddings(bundle, [read_recording(path)])
    except EnrolError as err:
        raise EnrolError(f"--audio {path}: {err}") from None


def private_copy(bundle: ModelBundle) -> ModelBundle:
    """A bundle whose model can be changed without touching the cached one the app may be serving."""
    import copy

    return ModelBundle(
        bundle.source, bundle.directory, copy.deepcopy(bundle.model), bundle.feature_extractor, list(bundle.labels),
        dict(bundle.pokedex), list(bundle.languages), bundle.calibration, bundle.locator,
    )


def _save(bundle: ModelBundle, label: str, out: Path) -> None:
    """The model folder, with the new entry in its pokedex named ``label`` in every language."""
    pokedex = dict(bundle.pokedex)
    pokedex[label] = Species(pokedex_id=0, identifier="", names={lang: label for lang in bundle.languages})
    save_model_folder(bundle, out, pokedex)


def save_model_folder(bundle: ModelBundle, out: Path, pokedex: dict[str, Species], card: str | None = None) -> None:
    """Write ``bundle`` as a model folder at ``out`` (new or empty; atomically: a killed run leaves no half folder):
    weights, extractor, ``pokedex``, calibration, the folder's maps, negatives and locator, and ``card`` as its
    README.md when given."""
    from recognizer.model_files import save_calibration

    out = Path(out)
    tmp = out.with_name(f".{out.name}.enrolling")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        bundle.model.save_pretrained(tmp)
        bundle.feature_extractor.save_pretrained(tmp)
        save_pokedex(tmp, pokedex, bundle.languages)
        save_calibration(tmp, bundle.calibration)
        if card is not None:
            (tmp / "README.md").write_text(card, encoding="utf-8")
        # the maps hold for the trained rows, the negatives for any label: enrol again later
        for name in (ROW_MAP_FILE, CAPTURES_ROW_MAP_FILE, NEGATIVES_FILE, LOCATOR_FILE):
            if (bundle.directory / name).is_file():
                shutil.copyfile(bundle.directory / name, tmp / name)
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recognizer.enrol", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model folder or Hub id to start from")
    parser.add_argument("--audio", action="append", required=True, help="a reference recording (repeat for more)")
    parser.add_argument("--label", required=True, help="the name the model answers for the enrolled sound")
    parser.add_argument("--output", required=True, help="new model folder to write")
    parser.add_argument("--margin", type=float, default=DEFAULT_MARGIN, help="logit margin of the references (default 2)")
    parser.add_argument("--captures", action="extend", nargs="+", default=[],
                        help="simulated captures of the references (python -m dataset_builder.captures)")
    parser.add_argument("--row-per-recording", action="store_true",
                        help="one row per --audio recording (e.g. two games' renditions of a cry), all named --label")
    parser.add_argument("--capture-rows", type=int, default=1,
                        help="split the --captures into up to this many groups (k-means, about "
                             f"{MIN_CAPTURE_WINDOWS_PER_ROW} windows or more each) and give each a row, all named --label")
    parser.add_argument("--max-false-answers", type=float, default=DEFAULT_MAX_FALSE_ANSWERS,
                        help="with the folder's enrol_negatives.safetensors, the new label's own not-sure threshold is "
                             "the lowest that answers it for at most this share of those sounds (default "
                             f"{DEFAULT_MAX_FALSE_ANSWERS:g})")
    parser.add_argument("--model-threshold", action="store_true",
                        help="judge the new label on the model's threshold, not a threshold of its own")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from recognizer.loading import ModelNotFoundError
    from recognizer.recording import RecordingError

    try:
        rows, threshold = enrol(args.model, args.audio, args.label, args.output, args.margin, args.captures,
                                args.row_per_recording, args.capture_rows,
                                None if args.model_threshold else args.max_false_answers)
    except (EnrolError, RecordingError, ModelNotFoundError, ValueError) as err:
        print(f"enrol: {err}", file=sys.stderr)
        return 2
    print(f"enrolled {args.label!r} into {args.output} ({len(rows)} row(s); the references' smallest margin over the "
          f"best existing class, row by row: {min(r.reference_margin for r in rows):.2f} logits; answered from a "
          f"probability of {threshold:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Head rows fitted for species the backbone was not trained on: softmax regression on simulated phone captures.

Enrolment (:mod:`recognizer.enrol`) places a row from a prototype through a map learned on the trained species;
a row per cry keeps renditions that sound nothing alike apart, but then ``pipeline()`` can list a species twice,
and a prototype never sees the species it must be told apart from. Here every species gets one row, fitted as the
field adds species to a frozen embedding (BirdNET, Perch: a head on embeddings): the head's input (the layer-normed
pooled embedding, as the app computes it, :func:`recognizer.enrol.app_windows` and
:func:`recognizer.enrol.head_inputs`) of each reference cry and of ``captures_per_cry`` simulated phone captures of
it (the builder's chain, :class:`dataset_builder.captures.CaptureMaker`), for every species: the new ones to learn
and the trained ones to be told apart from, whose rows stay as trained. One multinomial logistic regression
(L-BFGS, an L2 penalty on the new rows) then fits the new rows and biases against the whole head.

``python -m trainer.enrol_species --rows fitted`` uses it; the embeddings of each species are cached (``<pid>.npz``,
written atomically) so a run cut short resumes.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_L2 = 3e-5
"""Penalty on the new rows' squared weights, against a loss that is a mean over examples (chosen on the held-out
simulator's validation draw by benchmarks/fitted_rows_study.py: 1e-3 leaves the rows too short to win, 1e-6 lets
them take the trained species' captures)."""
DEFAULT_TRAINED_WEIGHT = 3.0
"""Weight of a trained species' example against a new one's: the new rows then take fewer of the trained species'
captures (benchmarks/fitted_rows_study.py)."""
MAX_ITERATIONS = 300
"""L-BFGS iterations: the problem is convex; it settles well before."""


@dataclass(frozen=True)
class SpeciesEmbeddings:
    """Head inputs of one species' windows: ``embeddings`` (windows × hidden); ``cry`` (which reference cry),
    ``capture`` (-1: the clean reference; else which capture) and ``window`` (its index among the app's windows of
    that recording) for each."""

    embeddings: np.ndarray
    cry: np.ndarray
    capture: np.ndarray
    window: np.ndarray

    def first_windows(self, captures: tuple[int, int] | None = None) -> np.ndarray:
        """Embeddings of each recording's first window (where the app's locator puts the cry); with ``captures`` =
        (lo, hi) only those of the recordings whose capture index lies in [lo, hi) (-1: the clean reference)."""
        keep = self.window == 0
        if captures is not None:
            keep &= (self.capture >= captures[0]) & (self.capture < captures[1])
        return self.embeddings[keep]


class EmbeddingCache:
    """Each species' :class:`SpeciesEmbeddings` on disk (``<pid>.npz``), written atomically as they are made."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, pid: int) -> Path:
        return self.directory / f"{pid}.npz"

    def get(self, pid: int) -> SpeciesEmbeddings | None:
        path = self.path(pid)
        if not path.is_file():
            return None
        with np.load(path) as stored:
            return SpeciesEmbeddings(stored["embeddings"], stored["cry"], stored["capture"], stored["window"])

    def put(self, pid: int, found: SpeciesEmbeddings) -> None:
        tmp = self.directory / f".{pid}.{os.getpid()}.tmp.npz"  # two runs over one cache never share a temporary file
        np.savez(tmp, embeddings=found.embeddings.astype(np.float32), cry=found.cry, capture=found.capture,
                 window=found.window)
        tmp.replace(self.path(pid))


def species_embeddings(bundle, cries: list[np.ndarray], maker, captures_per_cry: int, pid: int) -> SpeciesEmbeddings:
    """The head inputs of every app window of each of ``cries`` and of ``captures_per_cry`` captures of each
    (``maker``'s draws keyed by ``pid`` and the cry's index, as :func:`trainer.enrol_map.captures_by_id` keys them)."""
    from recognizer.enrol import app_windows, head_inputs

    windows, cry_of, capture_of, window_of = [], [], [], []
    for k, cry in enumerate(cries):
        recordings = [cry] + ([audio for audio, _ in maker.captures(cry, captures_per_cry, key=pid * 100 + k)]
                              if captures_per_cry else [])
        for capture, samples in enumerate(recordings, start=-1):
            for j, window in enumerate(app_windows(bundle, samples)):
                windows.append(window.samples)
                cry_of.append(k)
                capture_of.append(capture)
                window_of.append(j)
    embeddings = head_inputs(bundle, windows, batch=32)
    return SpeciesEmbeddings(embeddings, np.asarray(cry_of, np.int16), np.asarray(capture_of, np.int16),
                             np.asarray(window_of, np.int16))


def embed_share(model: str, by_id: dict[int, list[np.ndarray]], cache_dir: str, captures_per_cry: int, seed: int,
                threads: int) -> int:
    """Cache the embeddings of every species of ``by_id`` not cached yet (one worker's share); how many were made."""
    import torch

    from dataset_builder.captures import CaptureMaker
    from recognizer.loading import load_model

    torch.set_num_threads(max(1, threads))
    bundle = load_model(model)
    maker = CaptureMaker(seed) if captures_per_cry else None
    cache, made, started = EmbeddingCache(Path(cache_dir)), 0, time.perf_counter()
    for pid in sorted(by_id):
        if cache.path(pid).is_file():
            continue
        cache.put(pid, species_embeddings(bundle, by_id[pid], maker, captures_per_cry, pid))
        made += 1
        if made % 25 == 0:
            logger.info("%d of %d species embedded (%.0f s)", made, len(by_id), time.perf_counter() - started)
    return made


def embed_all(model: str, by_id: dict[int, list[np.ndarray]], cache: EmbeddingCache, captures_per_cry: int, seed: int,
              workers: int, threads: int) -> None:
    """Every species' embeddings into ``cache`` (those already there are kept), in ``workers`` processes."""
    todo = [pid for pid in sorted(by_id) if not cache.path(pid).is_file()]
    logger.info("%d species to embed (%d cached), %d worker(s)", len(todo), len(by_id) - len(todo), workers)
    if workers == 1 or len(todo) <= 1:
        embed_share(model, {pid: by_id[pid] for pid in todo}, str(cache.directory), captures_per_cry, seed, threads)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    shares = [{pid: by_id[pid] for pid in todo[k::workers]} for k in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for done in [pool.submit(embed_share, model, share, str(cache.directory), captures_per_cry, seed, threads)
                     for share in shares if share]:
            done.result()


def species_targets(labels: list[str], trained: dict[int, str], new_ids: list[int]) -> dict[int, int]:
    """Pokédex id → head row: a trained species' own row among ``labels``, the new ones after them in ``new_ids``'
    order."""
    row_of = {label: i for i, label in enumerate(labels)}
    return {pid: row_of[name] for pid, name in trained.items()} | {pid: len(labels) + k for k, pid in enumerate(new_ids)}


def examples(cache: EmbeddingCache, targets: dict[int, int], captures: tuple[int, int] | None = None,
             negatives=None, no_cry_row: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Examples (each recording's first window, :meth:`SpeciesEmbeddings.first_windows`) and targets (``targets``:
    pokédex id → head row) from ``cache``, and ``negatives`` (a :class:`recognizer.label_thresholds.NegativeWindows`)
    as ``no_cry_row``'s when both are given."""
    xs, ys = [], []
    for pid in sorted(targets):
        found = cache.get(pid)
        if found is None:
            raise ValueError(f"species {pid}: no embeddings in {cache.directory}; expected every species embedded first")
        xs.append(found.first_windows(captures))
        ys.append(np.full(len(xs[-1]), targets[pid], np.int64))
    if negatives is not None and no_cry_row is not None:
        xs.append(negatives.embeddings)
        ys.append(np.full(len(negatives.embeddings), no_cry_row, np.int64))
    return np.concatenate(xs), np.concatenate(ys)


@dataclass(frozen=True)
class FittedRows:
    """The new rows (new labels × hidden) and biases, and the fit's final mean loss over its examples."""

    weights: np.ndarray
    biases: np.ndarray
    loss: float


def fit_rows(x: np.ndarray, y: np.ndarray, fixed_weights: np.ndarray, fixed_biases: np.ndarray, new: int,
             l2: float = DEFAULT_L2, fixed_weight: float = 1.0, max_iterations: int = MAX_ITERATIONS) -> FittedRows:
    """Fit ``new`` rows after the ``fixed`` ones: softmax over [fixed rows; new rows] of ``x`` (examples × hidden, the
    head's input), cross-entropy against ``y`` (row indices: < len(fixed) for a fixed row's examples, else a new
    row's), a fixed row's examples weighted ``fixed_weight`` against a new row's 1, plus ``l2`` × the new rows'
    squared norm. The rows start at zero (the problem is convex)."""
    import torch

    x, y = np.asarray(x, np.float32), np.asarray(y, np.int64)
    fixed = len(fixed_weights)
    if x.ndim != 2 or x.shape[1] != fixed_weights.shape[1]:
        raise ValueError(f"embeddings of shape {x.shape}: expected (examples, {fixed_weights.shape[1]})")
    if len(y) != len(x) or (len(y) and (y.min() < 0 or y.max() >= fixed + new)):
        raise ValueError(f"{len(y)} targets for {len(x)} examples, in [{y.min(initial=0)}, {y.max(initial=0)}]: expected "
                         f"one per example, each a row index below {fixed + new}")
    if new < 1:
        raise ValueError(f"{new} new rows: expected at least one")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    fixed_logits = xt @ torch.from_numpy(np.asarray(fixed_weights, np.float32)).T + torch.from_numpy(
        np.asarray(fixed_biases, np.float32))
    w = torch.zeros((new, x.shape[1]), requires_grad=True)
    b = torch.zeros(new, requires_grad=True)
    weight = torch.where(yt < fixed, float(fixed_weight), 1.0)
    weight = weight / weight.sum()
    optimizer = torch.optim.LBFGS([w, b], lr=1.0, max_iter=max_iterations, history_size=20,
                                  line_search_fn="strong_wolfe", tolerance_grad=1e-6, tolerance_change=1e-9)

    def loss_fn():
        logits = torch.cat([fixed_logits, xt @ w.T + b], dim=1)
        losses = torch.nn.functional.cross_entropy(logits, yt, reduction="none")
        return (losses * weight).sum() + l2 * w.square().sum()

    def closure():
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        final = float(loss_fn())
    return FittedRows(w.detach().numpy().copy(), b.detach().numpy().copy(), final)

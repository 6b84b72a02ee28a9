"""Train the cry locator (``frontend.locator``) from the builder's own captures.

    python -m trainer.cry_locator --output runs/locator/cry_locator.safetensors --seed 3 --music-dir data/music/train
        [--cries-dir ../shared/pokeapi/cries] [--ids 1-151] [--renditions latest,legacy] [--per-cry 16]
        [--uncaptured-per-cry 8] [--lead-in-per-cry 4] [--architecture dilated_conv] [--epochs 10] [--threads 2]
        [--num-proc 2]

Draws ``--per-cry`` captures of every reference cry with the builder's capture chain and the train split's rooms
and backgrounds, and ``--uncaptured-per-cry`` augmented variants plus the clean cry (the cry at their start: the
dataset's other clips, which the trainer cuts with the locator too; a locator that never saw them cut clean cries
after their first syllable), and ``--lead-in-per-cry`` of those placed after a quiet lead-in (the builder's
``PlaceInRecording``, 0.05–2 s, over a noise floor 30–70 dB under the cry: a game heard in a quiet room; a
locator that never saw one put some clean cries after their first syllable) (``dataset_builder.captures.CaptureMaker``,
the same ``--seed`` and music as the dataset, so it draws from the dataset's train pool and never from its test
pool), keeps each one's filterbank and the frame where the cry starts (a capture recipe's ``place`` step), and
fits the locator (``--architecture``, ``frontend.locator.KINDS``) by cross-entropy over the frames against a
target 20 ms wide around that frame. A tenth of the species are held out of its training to report the onset
error on. The captures are cached beside the output (``<output>.data.npz``), so a rerun only trains; the same seed
gives the same captures and the same locator. Pass the file to the trainer (``--cry-locator``): the model folder
carries it and every window, in training and in the app, starts where it says.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from frontend.fbank import FRAMES_PER_SECOND
from frontend.locator import LOCATOR_MELS, locator_features

logger = logging.getLogger(__name__)

TARGET_SIGMA_FRAMES = 2.0
"""frames. Width of the soft target around the onset frame (20 ms at a 10 ms hop)."""

UNCAPTURED_STREAM = 7919
"""Marks the random streams of the clips that start with the cry apart from the captures' ([seed, key, i])."""

LEAD_IN_STREAM = 7927
"""Marks the random streams of the clips placed after a quiet lead-in."""

LEAD_IN_SECONDS = (0.05, 2.0)
"""s. The quiet lead-in before a clean or augmented cry (``--lead-in-per-cry``)."""

NOISE_FLOOR_BELOW_CRY_DB = (30.0, 70.0)
"""dB. The lead-in clips' white-noise floor, under the cry's RMS."""

NEAR_SECONDS = (0.05, 0.15, 0.3)
"""s. Onset errors the report counts captures within."""


@dataclass
class LocatorArguments:
    output: str = field(metadata={"help": "The locator file to write (cry_locator.safetensors)."})
    cries_dir: str = field(default="../shared/pokeapi/cries", metadata={"help": "Reference cries (<dir>/latest, <dir>/legacy)."})
    ids: str = field(default="1-151", metadata={"help": "Pokédex ids, e.g. 1-151."})
    renditions: str = field(default="latest,legacy", metadata={"help": "Renditions, comma-separated."})
    per_cry: int = field(default=16, metadata={"help": "Captures per reference cry."})
    uncaptured_per_cry: int = field(default=8, metadata={
        "help": "Also this many augmented variants and the clean cry per reference cry, the cry at their start (onset "
        "0): the dataset's clean and augmented clips, which the trainer cuts with the locator too."})
    lead_in_per_cry: int = field(default=4, metadata={
        "help": "Also this many clips per reference cry with the clean cry (the first) or an augmented variant after a "
        "quiet lead-in (0.05-2 s over a noise floor 30-70 dB under the cry): a game heard in a quiet room."})
    architecture: str = field(default="dilated_conv", metadata={
        "help": "The locator's network: dilated_conv (convolutions only, one pass) or gru (recipe 4's, frame by frame)."})
    seed: int = field(default=3, metadata={"help": "The one seed: the capture chain's pools (the dataset's seed), the draws, the training."})
    music_dir: str | None = field(default=None, metadata={"help": "The builder's --music-dir (data/music/train)."})
    epochs: int = field(default=10, metadata={"help": "Passes over the captures."})
    batch_size: int = field(default=32, metadata={"help": "Captures per step."})
    learning_rate: float = field(default=3e-3, metadata={"help": "Peak learning rate (one cycle)."})
    threads: int = field(default=2, metadata={"help": "Torch threads."})
    num_proc: int = field(default=2, metadata={"help": "Processes drawing the captures."})

    def __post_init__(self) -> None:
        for name, low, high in (("per_cry", 1, 200), ("uncaptured_per_cry", 0, 200), ("lead_in_per_cry", 0, 200),
                                ("epochs", 1, 200), ("batch_size", 1, 1024),
                                ("threads", 1, 256), ("num_proc", 1, 64)):
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"--{name.replace('_', '-')} {getattr(self, name)}: expected {low}-{high}")
        from frontend.locator import KINDS

        if self.architecture not in KINDS:
            raise ValueError(f"--architecture {self.architecture}: expected one of {', '.join(KINDS)}")
        if not 0 < self.learning_rate <= 1:
            raise ValueError(f"--learning-rate {self.learning_rate}: expected a rate in (0, 1]")


def recipe_onset_seconds(recipe: dict) -> float:
    """s. Where the builder put the cry in a capture (0 when the recording starts in the middle of it)."""
    place = [t for t in recipe["transforms"] if t["name"] == "place"]
    if not place:
        raise ValueError(f"recipe of condition {recipe.get('condition')!r} has no place step; expected a capture's")
    return float(place[0]["start_s"])


def _draw(job: tuple) -> tuple[list[np.ndarray], list[float], list[int]]:
    """One worker's share: (filterbanks as float16, onsets in s, Pokédex ids) of its cries' captures."""
    from dataset_builder.captures import CaptureMaker
    from frontend.fbank import compute_fbank, make_extractor
    from heldout.cries import load_cry

    cries, per_cry, uncaptured, lead_in, seed, music_dir = job
    maker, extractor = CaptureMaker(seed=seed, music_dir=music_dir), make_extractor(LOCATOR_MELS)
    feats, onsets, ids = [], [], []
    for pokedex_id, rendition_index, path in cries:
        key, samples = 2 * pokedex_id + rendition_index, load_cry(path)
        examples = [(audio, recipe_onset_seconds(recipe)) for audio, recipe in maker.captures(samples, per_cry, key=key)]
        if uncaptured:  # clips that start with the cry: the clean cry and augmented variants (their own streams)
            examples.append((maker.maker.prepare(samples)[0], 0.0))
            examples += [(maker.maker.make(samples, "train", "augmented", np.random.default_rng([seed, key, UNCAPTURED_STREAM, i])).audio, 0.0)
                         for i in range(uncaptured)]
        examples += [after_lead_in(maker.maker, samples, np.random.default_rng([seed, key, LEAD_IN_STREAM, i]), clean=i == 0)
                     for i in range(lead_in)]
        for audio, onset in examples:
            feats.append(compute_fbank(audio, extractor).astype(np.float16))
            onsets.append(onset)
            ids.append(pokedex_id)
    return feats, onsets, ids


def after_lead_in(maker, samples: np.ndarray, rng: np.random.Generator, clean: bool) -> tuple[np.ndarray, float]:
    """(audio, onset in s): the clean cry (``clean``) or an augmented variant of it (``maker``: the builder's
    ``VariantMaker``) after a quiet lead-in, over white noise :data:`NOISE_FLOOR_BELOW_CRY_DB` under the cry."""
    from dataset_builder.augment.place_in_recording import PlaceInRecording
    from frontend.audio import SAMPLE_RATE

    cry = maker.prepare(samples)[0] if clean else maker.make(samples, "train", "augmented", rng).audio
    place = PlaceInRecording(min_margin_seconds=LEAD_IN_SECONDS[0], max_lead_in_s=LEAD_IN_SECONDS[1])
    audio = place(cry, SAMPLE_RATE, rng)
    rms = float(np.sqrt(np.mean(np.square(cry, dtype=np.float64)))) or 1e-4
    floor_db = rng.uniform(*NOISE_FLOOR_BELOW_CRY_DB)
    audio = audio + (rms * 10 ** (-floor_db / 20) * rng.standard_normal(len(audio))).astype(np.float32)
    return audio.astype(np.float32), float(place.parameters["start_s"])


def draw_captures(args: LocatorArguments) -> Path:
    """The captures' filterbanks and onsets, cached (atomically) at ``<output>.data.npz``; its path."""
    from heldout.cries import parse_ids, reference_cries

    cache = Path(args.output + ".data.npz")
    key = {k: getattr(args, k) for k in ("cries_dir", "ids", "renditions", "per_cry", "uncaptured_per_cry", "seed", "music_dir")}
    if args.lead_in_per_cry:  # (a cache drawn before lead-in clips existed keeps its key)
        key["lead_in_per_cry"] = args.lead_in_per_cry
    if cache.is_file():
        with np.load(cache) as saved:
            if json.loads(str(saved["key"])) == key:
                logger.info("captures cached: %s", cache)
                return cache
    renditions = tuple(args.renditions.split(","))
    cries, missing = reference_cries(args.cries_dir, parse_ids(args.ids), renditions)
    if not cries:
        raise ValueError(f"--cries-dir {args.cries_dir}: no reference cries for ids {args.ids}; expected <dir>/latest/<id>.ogg")
    if missing:
        logger.warning("%d reference cries missing (e.g. %s)", len(missing), missing[0])
    work = [(c.pokedex_id, renditions.index(c.rendition), str(c.path)) for c in cries]
    jobs = [(work[i :: args.num_proc], args.per_cry, args.uncaptured_per_cry, args.lead_in_per_cry, args.seed, args.music_dir)
            for i in range(args.num_proc)]
    started = time.perf_counter()
    if args.num_proc == 1:
        parts = [_draw(jobs[0])]
    else:
        from multiprocessing import get_context

        with get_context("spawn").Pool(args.num_proc) as pool:
            parts = pool.map(_draw, jobs)
    feats = [f for p in parts for f in p[0]]
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp.npz")
    np.savez(tmp, fbank=np.concatenate(feats), lengths=np.array([len(f) for f in feats]),
             onset_s=np.array([o for p in parts for o in p[1]]), pokedex_id=np.array([i for p in parts for i in p[2]]),
             key=json.dumps(key))
    tmp.replace(cache)
    logger.info("%d captures of %d cries in %.0f s: %s", len(feats), len(cries), time.perf_counter() - started, cache)
    return cache


def _batches(feats: list[np.ndarray], onsets: np.ndarray, order: np.ndarray, size: int):
    """(features, soft targets, mask) batches, zero-padded to the longest; padding gets no target."""
    import torch

    for i in range(0, len(order), size):
        idx = order[i : i + size]
        longest = max(len(feats[j]) for j in idx)
        x = np.zeros((len(idx), longest, feats[idx[0]].shape[1]), dtype=np.float32)
        mask = np.zeros((len(idx), longest), dtype=bool)
        target = np.zeros((len(idx), longest), dtype=np.float32)
        for b, j in enumerate(idx):
            n = len(feats[j])
            x[b, :n], mask[b, :n] = feats[j], True
            t = np.exp(-0.5 * ((np.arange(n) - onsets[j] * FRAMES_PER_SECOND) / TARGET_SIGMA_FRAMES) ** 2)
            target[b, :n] = t / t.sum()
        yield torch.from_numpy(x), torch.from_numpy(target), torch.from_numpy(mask)


def onset_errors(network, feats: list[np.ndarray], onsets: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """s. |located − true| for the captures ``idx``."""
    import torch

    network.eval()
    located = []
    with torch.no_grad():
        for x, _, mask in _batches(feats, onsets, idx, 64):
            logits = network(x, mask).masked_fill(~mask, float("-inf"))
            located.append(torch.argmax(logits, dim=1).numpy() / FRAMES_PER_SECOND)
    return np.abs(np.concatenate(located) - onsets[idx])


def train_locator(args: LocatorArguments, cache: Path):
    """Fit the locator on the cached captures; (CryLocator, report)."""
    import torch

    from frontend.locator import DILATIONS, CryLocator, build_network

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    with np.load(cache) as saved:
        lengths, fb = saved["lengths"], saved["fbank"]
        onsets, ids = saved["onset_s"], saved["pokedex_id"]
    ends = np.cumsum(lengths)
    feats = [locator_features(fb[e - n : e].astype(np.float32)) for e, n in zip(ends, lengths, strict=True)]
    rng = np.random.default_rng(args.seed)
    species = np.unique(ids)
    held = set(rng.choice(species, size=max(1, len(species) // 10), replace=False).tolist()) if len(species) > 1 else set()
    val = np.array([i for i in range(len(ids)) if ids[i] in held], dtype=int)
    train = np.array([i for i in range(len(ids)) if ids[i] not in held], dtype=int)
    config = {"n_mels": int(feats[0].shape[1]), "channels": 64, "kind": args.architecture}
    config.update({"hidden": 32} if args.architecture == "gru" else {"dilations": list(DILATIONS)})
    network = build_network(**config)
    optimiser = torch.optim.AdamW(network.parameters(), lr=args.learning_rate, weight_decay=1e-4)
    steps = args.epochs * -(-len(train) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.learning_rate, total_steps=steps)
    history, started = [], time.perf_counter()
    for epoch in range(args.epochs):
        network.train()
        losses = []
        for x, target, mask in _batches(feats, onsets, rng.permutation(train), args.batch_size):
            logits = network(x, mask).masked_fill(~mask, -1e9)
            loss = -(target * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
        row = {"epoch": epoch + 1, "loss": round(float(np.mean(losses)), 4), "seconds": round(time.perf_counter() - started)}
        if len(val):
            err = onset_errors(network, feats, onsets, val)
            row.update({f"within_{s:g}_s": round(float(np.mean(err <= s)), 4) for s in NEAR_SECONDS},
                       median_error_s=round(float(np.median(err)), 4))
        history.append(row)
        logger.info("epoch %s", json.dumps(row))
    report = {"captures": len(ids), "train": int(len(train)), "validation": int(len(val)),
              "validation_species": sorted(int(i) for i in held), "history": history,
              "arguments": {k: v for k, v in vars(args).items()}}
    return CryLocator(network, config), report


def parse_args(argv: list[str] | None = None) -> LocatorArguments:
    from transformers import HfArgumentParser

    (args,) = HfArgumentParser(LocatorArguments).parse_args_into_dataclasses(args=argv)
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = parse_args(argv)
        cache = draw_captures(args)
    except (ValueError, OSError) as err:
        print(f"cry_locator: {err}", file=sys.stderr)
        return 2
    locator, report = train_locator(args, cache)
    out = locator.save(args.output)
    Path(args.output + ".json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {report['history'][-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

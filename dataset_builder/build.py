"""Orchestrates a build: Pokédex → selection → cries (download, validate) → variants (parallel) → dataset folder.

Every variant draws from a random stream of its own (see :mod:`dataset_builder.splits`), so the dataset does
not depend on ``num_proc`` or on scheduling, and the same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from common.species import NO_CRY_LABEL
from frontend.audio import SAMPLE_RATE, SILENCE_DBFS, encode_wav
from frontend.levels import frame_samples, loudest_frame_dbfs

from .card import CardInfo, render_card
from .config import BuildConfig, SourceConfig
from .http import DownloadError, HttpClient, HttpConfig
from .schema import CONDITIONS, NAME_LANGUAGES, SPLITS, CryRef, Species, features, name_column
from .selection import (
    SelectionError,
    parse_generations,
    parse_ids,
    parse_list,
    select_renditions,
    select_species,
)
from .sources import Source, SourceError, make_source
from .splits import NO_CRY_ID, NO_CRY_RENDITION, SplitPolicy, VariantJob
from .validate import FRAME_SECONDS, CryError, load_cry
from .writer import SplitWriter, atomic_folder, check_output

logger = logging.getLogger(__name__)


class BuildError(RuntimeError):
    """The build cannot go on; the message lists what failed and what to do."""


@dataclass
class BuildResult:
    output: Path
    counts: dict[str, dict[str, int]]
    """split → condition → rows."""
    missing: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    variant_seconds: float = 0.0
    """Wall time of the variant stage alone (what the benchmark reports)."""
    http_requests: int = 0
    hub_url: str | None = None

    @property
    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())


@dataclass
class OriginalTask:
    """One original cry and every row it contributes; the unit of parallel work (``cry`` None: the no_cry class)."""

    cry: np.ndarray | None
    columns: dict
    """Columns that are the same for all its rows (label, names, types, URLs…)."""
    jobs: list[VariantJob]


@dataclass
class _Plan:
    """What a build will do, settled before any cry is downloaded."""

    source: Source
    http: HttpClient
    target: Path
    cache: Path
    species: list[Species]
    renditions: list[str]
    forms: bool
    policy: SplitPolicy
    background_config: Any
    bank: Any


def build(source_config: SourceConfig, build_config: BuildConfig, augment_config=None) -> BuildResult:
    """Run a whole build and return where it went and what it holds; raises on any unusable input.

    ``augment_config`` sets every variant range but the background SNR, which ``build_config`` gives.
    """
    from .variants import VariantMaker, augment_config_for_build

    start = time.perf_counter()
    plan = _plan(source_config, build_config)
    refs, cries, missing = _gather_cries(plan, build_config)
    augment_config = augment_config_for_build(build_config, augment_config)  # the SNR range and family hold-outs
    maker = VariantMaker(augment_config, plan.bank, seed=build_config.seed)  # simulates rooms (cached)
    labelled = sorted({r.species.pokedex_id: r.species for r in refs}.values(), key=lambda s: s.pokedex_id)
    label_of = {s.pokedex_id: i for i, s in enumerate(labelled)}
    # Rows are sorted by (split, Pokédex id, rendition, form, index): tasks in (id, rendition, form) order, jobs in index order;
    # the no_cry class (the last label) comes after the species.
    refs = sorted(refs, key=lambda r: (r.species.pokedex_id, r.rendition, r.form_id))
    tasks = [OriginalTask(cries[r.url], _constant_columns(r, label_of[r.species.pokedex_id]), plan.policy.jobs(r)) for r in refs]
    label_names = [s.name for s in labelled]
    if build_config.no_cry_variants:
        tasks.append(OriginalTask(None, _no_cry_columns(len(label_names)), plan.policy.no_cry_jobs()))
        label_names.append(NO_CRY_LABEL)
    feats = features(label_names)
    with atomic_folder(plan.target) as tmp:
        counts, variant_seconds = _write_splits(tmp, feats, tasks, maker, build_config)
        card = CardInfo(
            features=feats,
            counts=counts,
            policy_text=plan.policy.describe(),
            command=command_line(source_config, build_config),
            source=plan.source.name,
            source_urls=_source_urls(source_config),
            n_species=len(labelled),
            renditions=sorted({r.rendition for r in refs}),
            seed=build_config.seed,
            backgrounds=_describe_backgrounds(plan.background_config, plan.bank.summary()),
            missing=missing,
            versions=_versions(),
            pitch_semitones=tuple(maker.config.pitch_semitones),
            data_dir=tmp / "data",
            form_cries=sum(1 for r in refs if r.form_id),
            measured_speakers=_describe_measured_speakers(maker),
            compressor=_describe_compressor(maker),
        )
        (tmp / "README.md").write_text(render_card(card), encoding="utf-8")
    result = BuildResult(plan.target, counts, missing, time.perf_counter() - start, variant_seconds, plan.http.requests)
    logger.info("wrote %d rows to %s in %.1f s (%s)", result.rows, plan.target, result.seconds, _counts_text(counts))
    if build_config.push_to_hub:
        result.hub_url = _push(plan.target, build_config)
    return result


def _plan(source_config: SourceConfig, build_config: BuildConfig) -> _Plan:
    """Check every flag, read the Pokédex, settle the selection and the backgrounds: all before any cry download."""
    from .backgrounds import BackgroundBank, BackgroundConfig

    ids, generations = parse_ids(source_config.ids), parse_generations(source_config.generations)
    requested_renditions = parse_list(source_config.renditions)
    target = check_output(build_config.output)
    cache = Path(build_config.cache_dir).expanduser()
    http = HttpClient(
        HttpConfig(cache_dir=str(cache), max_concurrency=build_config.max_concurrency, retries=build_config.http_retries)
    )
    source = make_source(source_config, http)
    if source_config.forms and not source.has_forms:
        raise SourceError(f"--forms: source {source.name} knows no alternate forms; expected --source pokeapi")
    species, renditions = _select(source, ids, generations, requested_renditions, build_config.holdout_rendition)
    policy = SplitPolicy(
        variants_per_cry=build_config.variants_per_cry,
        validation_fraction=build_config.validation_fraction,
        test_fraction=build_config.test_fraction,
        capture_fraction=build_config.capture_fraction,
        holdout_rendition=build_config.holdout_rendition,
        no_cry_variants=build_config.no_cry_variants,
    )
    background_config = BackgroundConfig(
        music_dir=build_config.music_dir,
        youtube_playlist=build_config.youtube_playlist,
        procedural=build_config.procedural_backgrounds,
        cache_dir=str(cache / "backgrounds"),
    )
    bank = BackgroundBank.build(background_config, seed=build_config.seed)  # fails fast on an unusable music folder
    return _Plan(source, http, target, cache, species, renditions, source_config.forms, policy, background_config, bank)


def _gather_cries(plan: _Plan, build_config: BuildConfig) -> tuple[list[CryRef], dict[str, np.ndarray], list[tuple[str, str]]]:
    """Download and validate the selected cries: the usable refs, their samples by URL, and the failures."""
    refs = plan.source.cry_refs(plan.species, plan.renditions)
    forms = plan.source.form_refs(plan.species, plan.renditions) if plan.forms else []
    cries, missing = download_cries(plan.source, refs + forms)
    form_urls = {r.url for r in forms}
    absent = {url for url, reason in missing if url in form_urls and reason.startswith("HTTP 404")}
    if absent:  # most forms share their species' cry and have no file of their own
        logger.info("%d of %d alternate forms have no cry file; skipped", len(absent), len(forms))
        missing = [(url, reason) for url, reason in missing if url not in absent]
    total = len(refs) + len(forms) - len(absent)
    if missing and not build_config.allow_missing:
        raise BuildError(_failure_report(missing, total, plan.cache))
    if missing:
        logger.warning("%s", _failure_report(missing, total, plan.cache, allowed=True))
    refs = _distinct_cries([r for r in refs + forms if r.url in cries], cries)
    if not refs:
        raise BuildError("no usable cry: every download or validation failed (see above)")
    if build_config.holdout_rendition and all(r.rendition == build_config.holdout_rendition for r in refs):
        raise BuildError(f"--holdout-rendition {build_config.holdout_rendition}: no other rendition left for train")
    return refs, cries, missing


def _write_splits(
    folder: Path, feats, tasks: list[OriginalTask], maker, build_config: BuildConfig
) -> tuple[dict[str, dict[str, int]], float]:
    """Make every variant (in parallel) and write the split shards: rows per split and condition, seconds taken."""
    splits_used = [s for s in SPLITS if any(job.split == s for task in tasks for job in task.jobs)]
    writers = {s: SplitWriter(feats, folder, s) for s in splits_used}
    counts = {s: dict.fromkeys(CONDITIONS, 0) for s in splits_used}
    variant_start = time.perf_counter()
    for task_rows in make_variants(tasks, maker, build_config.seed, build_config.num_proc):
        for job, row in task_rows:
            writers[job.split].write(row)
            counts[job.split][job.condition] += 1
    variant_seconds = time.perf_counter() - variant_start
    for writer in writers.values():
        writer.close()
    return counts, variant_seconds


def _push(target: Path, build_config: BuildConfig) -> str:
    """Publish the built folder; a failure keeps it and says how to push again."""
    from .hub import push_dataset

    try:
        url = push_dataset(target, build_config.push_to_hub, private=build_config.private)
    except Exception as err:  # the Hub client raises many types; the built folder is kept either way
        raise BuildError(
            f"the dataset is built at {target}, but --push-to-hub {build_config.push_to_hub} failed "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); check HF_ENDPOINT / HF_TOKEN "
            "and push the folder again (a rebuild reuses the download cache)"
        ) from err
    logger.info("pushed to %s", url)
    return url


def _select(
    source: Source, ids: list[int] | None, generations: list[int] | None, requested: list[str] | None, holdout: str | None
) -> tuple[list[Species], list[str]]:
    try:
        pokedex = source.pokedex()
    except DownloadError as err:
        raise BuildError(
            f"source {source.name}: cannot read the Pokédex: {err}. Check the base URL flags "
            "(--pokeapi-url / --pokebip-url) and that the host is reachable"
        ) from err
    species = select_species(pokedex, ids, generations)
    renditions = select_renditions(requested, source.renditions, source.name)
    if holdout is not None:
        if holdout not in renditions:
            raise SelectionError(f"--holdout-rendition {holdout!r} is not among the selected renditions {renditions}")
        if len(renditions) < 2:
            raise SelectionError(f"--holdout-rendition {holdout!r} needs another rendition for train; got only {renditions}")
    return species, renditions


def _distinct_cries(refs: list[CryRef], cries: dict[str, np.ndarray]) -> list[CryRef]:
    """Drop a form's cry that is the same sound as one already taken for its species and rendition."""
    out, seen = [], {}
    for ref in sorted(refs, key=lambda r: (r.species.pokedex_id, r.rendition, r.form_id)):
        taken = seen.setdefault((ref.species.pokedex_id, ref.rendition), [])
        samples = cries[ref.url]
        if ref.form_id and any(len(t) == len(samples) and np.array_equal(t, samples) for t in taken):
            logger.info("%s: the same cry as its species' own; skipped", ref.url)
            continue
        taken.append(samples)
        out.append(ref)
    return out


def download_cries(source: Source, refs: list[CryRef]) -> tuple[dict[str, np.ndarray], list[tuple[str, str]]]:
    """Fetch (cached) and validate every cry: ``url → samples`` and a ``(url, reason)`` list of failures."""
    fetched = source.fetch(refs)
    cries, missing = {}, []
    for ref in refs:
        data = fetched[ref.url]
        if isinstance(data, DownloadError):
            missing.append((ref.url, data.reason))
            continue
        try:
            cries[ref.url] = load_cry(data, ref.url)
        except CryError as err:
            missing.append((ref.url, str(err).removeprefix(f"{ref.url}: ")))
    return cries, missing


def _failure_report(missing: list[tuple[str, str]], total: int, cache: Path, allowed: bool = False) -> str:
    head = f"{len(missing)} of {total} cries could not be used"
    tail = (
        "built without them (--allow-missing)"
        if allowed
        else f"nothing downloaded is lost (cache: {cache}); rerun to retry, or pass --allow-missing to build without them"
    )
    return "\n".join([head + ":", *(f"  {url}: {reason}" for url, reason in missing), tail])


def _constant_columns(ref: CryRef, label: int) -> dict:
    sp = ref.species
    cols = {"label": label, "pokedex_id": sp.pokedex_id}
    cols.update({name_column(lang): sp.localized_name(lang) for lang in NAME_LANGUAGES})
    cols.update(
        {"types": list(sp.types), "generation": sp.generation, "rendition": ref.rendition, "source_url": ref.url, "sprite_url": sp.sprite_url}
    )
    return cols


def _no_cry_columns(label: int) -> dict:
    """The constant columns of the no_cry class: no species, no names but the label, no sprite."""
    cols = {"label": label, "pokedex_id": NO_CRY_ID}
    cols.update({name_column(lang): NO_CRY_LABEL if lang == "en" else "" for lang in NAME_LANGUAGES})
    cols.update({"types": [], "generation": 0, "rendition": NO_CRY_RENDITION, "source_url": "", "sprite_url": ""})
    return cols


# --- the variant stage -------------------------------------------------------------------------------------

_MAKER = None
_SEED = 0


def _init_worker(maker, seed: int, torch_threads: int | None = 1) -> None:
    global _MAKER, _SEED
    _MAKER, _SEED = maker, seed
    if torch_threads:
        try:
            import torch

            torch.set_num_threads(torch_threads)
        except ImportError:
            pass


def _make_task_rows(task: OriginalTask) -> list[tuple[VariantJob, dict]]:
    out = []
    for job in task.jobs:
        rng = job.rng(_SEED)
        if task.cry is None:
            variant = _MAKER.make_no_cry(job.split, rng)
        else:
            variant = _MAKER.make(task.cry, job.split, job.condition, rng)
        audio = np.asarray(variant.audio, dtype=np.float32)
        where = f"{task.columns['source_url'] or NO_CRY_LABEL} ({job.split}, {job.condition} #{job.index})"
        if audio.ndim != 1 or audio.size == 0 or not np.all(np.isfinite(audio)):
            raise BuildError(f"{where}: variant audio is empty, not mono or holds NaN/Inf (recipe {variant.recipe})")
        if loudest_frame_dbfs(audio, frame_samples(FRAME_SECONDS)) < SILENCE_DBFS:
            raise BuildError(f"{where}: variant is silent (recipe {variant.recipe})")
        recipe = {"stream": list(job.entropy(_SEED)), **variant.recipe}
        row = dict(task.columns)
        row.update(
            {
                "audio": {
                    "bytes": encode_wav(audio, SAMPLE_RATE),
                    "path": f"{job.cry_id:04d}_{job.rendition}_{job.split}_{job.index:03d}.wav",
                },
                "condition": job.condition,
                "background_kind": variant.background_kind,
                "background_id": variant.background_id,
                "snr_db": None if variant.snr_db is None else float(variant.snr_db),
                "recipe": json.dumps(recipe, sort_keys=True, default=_json_default, ensure_ascii=False),
            }
        )
        out.append((job, row))
    return out


def make_variants(tasks: list[OriginalTask], maker, seed: int, num_proc: int = 1) -> Iterator[list[tuple[VariantJob, dict]]]:
    """The rows of each task, task by task in the given order, made over ``num_proc`` processes.

    Results come back in task order whatever finishes first, so the output does not depend on ``num_proc``;
    only a few tasks' rows are in memory at a time.
    """
    from tqdm.auto import tqdm

    total = sum(len(t.jobs) for t in tasks)
    with tqdm(total=total, desc="variants", unit="variant") as bar:
        if num_proc <= 1:
            _init_worker(maker, seed, torch_threads=None)
            results = map(_make_task_rows, tasks)
            for task_rows in results:
                bar.update(len(task_rows))
                yield task_rows
        else:
            ctx = multiprocessing.get_context("spawn")  # fork is unsafe once torch/OpenMP threads exist
            with ctx.Pool(num_proc, initializer=_init_worker, initargs=(maker, seed)) as pool:
                for task_rows in pool.imap(_make_task_rows, tasks, chunksize=1):
                    bar.update(len(task_rows))
                    yield task_rows


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"recipe value {value!r} ({type(value).__name__}) is not JSON-serialisable")


# --- what the card reports ---------------------------------------------------------------------------------

_NOT_IN_COMMAND = {"cache_dir", "num_proc", "max_concurrency", "http_retries", "push_to_hub", "private"}
"""Flags that do not change the dataset's content."""
_ALWAYS_IN_COMMAND = {"source", "output", "variants_per_cry", "seed"}


def command_line(source_config: SourceConfig, build_config: BuildConfig) -> str:
    """The ``python -m dataset_builder`` command that reproduces this dataset (non-default flags only)."""
    args = ["python", "-m", "dataset_builder"]
    for cfg in (source_config, build_config):
        for f in fields(cfg):
            value = getattr(cfg, f.name)
            if f.name in _NOT_IN_COMMAND or (f.name not in _ALWAYS_IN_COMMAND and value == _default(f)):
                continue
            flag = "--" + f.name.replace("_", "-")
            if f.name == "output":
                value = "OUTPUT_DIR"  # the dataset must not depend on where it was written
            if isinstance(value, bool):
                args += [flag] if value else [flag, "false"]
            else:
                args += [flag, str(value)]
    return shlex.join(args)


def _default(f):
    from dataclasses import MISSING

    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _source_urls(cfg: SourceConfig) -> dict[str, str]:
    if cfg.source == "pokeapi":
        return {"pokedex": cfg.pokeapi_url, "cries": cfg.cries_url, "sprites": cfg.sprites_url}
    if cfg.source == "pokebip":
        return {"pokedex": f"{cfg.pokebip_url}/pokedex/{cfg.pokebip_version}", "names": cfg.pokeapi_url}
    return {"folder": Path(cfg.folder or "").name or "(folder)"}


def _describe_measured_speakers(maker) -> str:
    """The card's line on measured loudspeaker responses ("" when the build has none)."""
    bank, c = maker.speaker_bank, maker.config
    if bank is None:
        return ""
    return (f"{len(bank)} measured impulse responses (`{Path(c.measured_speakers).name}`; from guitarix-common, GPL-2+, "
            f"when fetched by `scripts/fetch_real_parts.sh`) stand in for the drawn loudspeaker in "
            f"{c.measured_speaker_probability:.0%} of the captures")


def _describe_compressor(maker) -> str:
    """The card's line on the compressor ("" for the default, thresholds re full scale)."""
    if maker.config.compressor_threshold_reference == "dbfs":
        return ""
    return ("thresholds (-40 to -10 dB) re each capture's own peak (`--compressor-reference peak`), so a quiet "
            f"capture is squeezed as hard as a loud one; on {maker.config.compressor_probability:.0%} of the captures")


def _describe_backgrounds(cfg, summary: dict[str, dict[str, int]]) -> str:
    parts = []
    if cfg.music_dir:
        parts.append(f"the builder's own music folder ({Path(cfg.music_dir).name})")
    if cfg.youtube_playlist:
        parts.append(f"YouTube playlist {cfg.youtube_playlist}")
    if cfg.procedural:
        parts.append("built-in procedural recordings")
    per_split = "; ".join(f"{split}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) for split, kinds in summary.items())
    return f"{' + '.join(parts)}. Each recording belongs to exactly one split ({per_split})."


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("datasets", "numpy", "torch", "torchaudio", "audiomentations", "pyroomacoustics", "scipy", "soundfile"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def _counts_text(counts: dict[str, dict[str, int]]) -> str:
    return ", ".join(f"{s}: {sum(c.values())}" for s, c in counts.items())

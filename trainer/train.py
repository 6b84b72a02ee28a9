"""Train an AST on the cry dataset with the HF ``Trainer`` and write a pipeline-ready model folder.

Flow, one function each: :func:`prepare` (guards on the output folder and the Hub push, the model's shape,
the dataset loaded, resampled, split and checked) → :func:`build_features` (cached fbanks, ``max_length``,
the train split's mean/std) → :func:`build_model` (pretrained and cut to the new length, or scratch) →
:func:`build_datasets` (the head on cached backbone outputs when the backbone is frozen, else the model on
cached fbanks with SpecAugment) → :func:`fit` (early stopping) → calibrate on validation →
:func:`save_outputs` (the folder, the test report, learning curves, the model card) → optionally push to the Hub.
Under ``torchrun`` or ``accelerate launch`` every process runs this; caches are built by the main one first.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from transformers import PreTrainedModel, Trainer, TrainerCallback

from .args import DataArguments, ModelArguments, TrainArguments

logger = logging.getLogger(__name__)


class CryTrainer(Trainer):
    """``Trainer`` whose checkpoint reloads (resume, best model) go through ``from_pretrained``'s key renaming.

    transformers 5.24 saves AST checkpoints under the original key names but reloads them with a plain
    ``load_state_dict``, silently leaving every transformer block as it was (huggingface/transformers#43701).
    """

    def _reloads_itself(self) -> bool:
        return isinstance(self.model, PreTrainedModel) and not (self.is_deepspeed_enabled or self.is_fsdp_enabled)

    def _load_from_checkpoint(self, resume_from_checkpoint, model=None):
        if self._reloads_itself():
            from .model import reload_weights

            return reload_weights(self.model, resume_from_checkpoint)
        return super()._load_from_checkpoint(resume_from_checkpoint, model)

    def _load_best_model(self):
        if self._reloads_itself():
            from .model import reload_weights

            logger.info("loading the best checkpoint %s", self.state.best_model_checkpoint)
            return reload_weights(self.model, self.state.best_model_checkpoint)
        return super()._load_best_model()


class SaveConfigCallback(TrainerCallback):
    """Writes the full model's ``config.json`` into each head-only checkpoint, so a resume can check labels."""

    def __init__(self, config):
        self.config = config

    def on_save(self, args, state, control, **kwargs):
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            self.config.to_json_file(str(folder / "config.json"))


def metrics_fn():
    """``compute_metrics`` for the Trainer: accuracy, top-5 and macro-F1 from the local metric modules."""
    from .metrics import load_metric

    accuracy, top_k, macro_f1 = load_metric("accuracy"), load_metric("top_k_accuracy"), load_metric("macro_f1")

    def compute(eval_pred) -> dict:
        logits, labels = eval_pred.predictions, eval_pred.label_ids
        logits = logits[0] if isinstance(logits, tuple) else logits
        preds = logits.argmax(axis=1)
        return {
            "accuracy": accuracy.compute(predictions=preds, references=labels)["accuracy"],
            "top5_accuracy": top_k.compute(predictions=logits, references=labels, k=5)["top_k_accuracy"],
            "macro_f1": macro_f1.compute(predictions=preds, references=labels)["macro_f1"],
        }

    return compute


def resolve_resume(targs: TrainArguments, label_names: list[str]) -> str | None:
    """The checkpoint to resume (``--resume-from-checkpoint PATH|true``), after checking its labels."""
    from transformers.trainer_utils import get_last_checkpoint

    from .guards import wants_resume
    from .model import ModelError, check_resume_labels

    value = targs.resume_from_checkpoint
    if not wants_resume(value):
        return None
    if str(value).lower() in ("true", "1", "yes", "last"):
        last = get_last_checkpoint(targs.output_dir) if os.path.isdir(targs.output_dir) else None
        if last is None:
            raise ModelError(f"--resume-from-checkpoint {value}: no checkpoint-N folder in {targs.output_dir} to resume")
        value = last
    check_resume_labels(value, label_names)
    return value


def _scan(ds, extractor, audio_column: str, window: int | None = None, locator=None) -> tuple[int, float, float, int]:
    """Longest clip in frames and fbank sums, without caching (``--cache-features false``)."""
    from .features import example_fbank

    longest, s, s2, n = 0, 0.0, 0.0, 0
    for row in ds.select_columns([audio_column]):
        fb = example_fbank(row[audio_column]["array"], extractor, window, locator).astype(np.float64)
        longest, s, s2, n = max(longest, len(fb)), s + fb.sum(), s2 + np.square(fb).sum(), n + fb.size
    return longest, s, s2, n


@dataclass
class Run:
    """What :func:`prepare` settles before any feature work: the splits to use and where to resume."""

    dsd: object
    names: list[str]
    splits: list[str]
    has_test: bool
    extra_train: list[str]
    train_parts: list
    data: dict
    full_train: object
    train_rows: list[int] | None
    mels: int
    patch: int
    stride: int
    resume: str | None


@dataclass
class Features:
    """Each split's cached fbanks (none with ``--cache-features false``), the input length and normalisation."""

    stores: dict
    max_length: int
    mean: float
    std: float
    extractor: object
    window: int | None = None
    """Samples of the model's window a clip is cut to (the app's windows); None: a fitted input holds every clip."""
    locator: object = None
    """The cry locator the windows start at (``frontend.locator.CryLocator``; saved with the model), or None."""


@dataclass
class Setup:
    """What the ``Trainer`` trains: a dataset per split, the module, its collator and callbacks."""

    datasets: dict
    module: object
    collator: object
    callbacks: list
    head_only: bool
    cached_embeddings: bool


def model_shape(model_args: ModelArguments) -> tuple[int, int, int]:
    """Mel bins, patch size and time stride of the model to build; a missing model fails before any dataset work."""
    from .model import model_config_from
    from .presets import preset_config_kwargs

    if model_args.init == "pretrained":
        src = model_config_from(model_args.model_name_or_path, model_args.model_cache_dir)
        return model_args.num_mel_bins or src.num_mel_bins, src.patch_size, src.time_stride
    preset = preset_config_kwargs(model_args.preset)
    return model_args.num_mel_bins or preset["num_mel_bins"], preset["patch_size"], preset["time_stride"]


def load_splits(data_args: DataArguments, seed: int):
    """The dataset ready to train on (16 kHz audio, ``ClassLabel`` labels, a validation split), and its test split."""
    from .data import load_cry_dataset, prepare_columns, split_validation

    dsd = load_cry_dataset(data_args.dataset, data_args.dataset_config, data_args.dataset_revision, data_args.dataset_cache_dir)
    dsd = prepare_columns(dsd, data_args.audio_column, data_args.label_column)
    dsd = split_validation(dsd, data_args.train_split, data_args.eval_split, data_args.train_val_split, seed, data_args.label_column)
    has_test = bool(data_args.test_split) and data_args.test_split in dsd
    if data_args.test_split and not has_test:
        logger.warning("dataset has no %r split: no test report", data_args.test_split)
    return dsd, has_test


def add_extra_train(dsd, names: list[str], data_args: DataArguments):
    """Other datasets' train splits (e.g. a supplement of hard captures) appended to this one's.

    Each part keeps its own fbank cache entry, so the main split is not computed again. Returns the dataset, the
    extra sources and the train parts.
    """
    extra = [d.strip() for d in (data_args.extra_train_datasets or "").split(",") if d.strip()]
    parts = [dsd[data_args.train_split]]
    if extra:
        from datasets import DatasetDict, concatenate_datasets

        from .data import extra_train_splits

        parts += extra_train_splits(extra, names, dsd[data_args.train_split].features, data_args.train_split,
                                    data_args.audio_column, data_args.label_column, data_args.dataset_cache_dir)
        dsd = DatasetDict(dsd)
        dsd[data_args.train_split] = concatenate_datasets(parts)
    return dsd, extra, parts


def prepare(model_args: ModelArguments, data_args: DataArguments, targs: TrainArguments) -> Run:
    """Guards, model shape, dataset (loaded by the main process first), resume point and row selections."""
    from .data import condition_rows, subset, validate
    from .guards import preflight

    with targs.main_process_first(desc="output folder and Hub checks"):
        preflight(targs, is_main=targs.process_index == 0)
    mels, patch, stride = model_shape(model_args)
    with targs.main_process_first(desc="dataset"):
        dsd, has_test = load_splits(data_args, targs.seed)
    splits = [data_args.train_split, data_args.eval_split] + ([data_args.test_split] if has_test else [])
    names = validate(dsd, splits, data_args.audio_column, data_args.label_column)
    dsd, extra, parts = add_extra_train(dsd, names, data_args)
    resume = resolve_resume(targs, names)
    limits = {data_args.train_split: data_args.max_train_samples}
    data = {s: subset(dsd[s], limits.get(s, data_args.max_eval_samples)) for s in splits}
    # A curriculum stage trains on some conditions only: its fbanks are a view over the whole split's cache entry,
    # which the next stage (every condition) then reuses instead of computing those clips twice.
    full_train, rows = data[data_args.train_split], None
    if data_args.train_conditions:
        rows = condition_rows(full_train, data_args.train_conditions)
        data[data_args.train_split] = full_train.select(rows)
    return Run(dsd, names, splits, has_test, extra, parts, data, full_train, rows, mels, patch, stride, resume)


def cached_stores(run: Run, data_args: DataArguments, targs: TrainArguments, window: int | None = None,
                  onset_below_peak_db: float | None = None, locator=None) -> dict:
    """Each split's fbank store, computed once (by the main process first) and memory-mapped by the others."""
    from . import features as F
    from .fbank_store import ConcatFbankStore

    cols = {"audio_column": data_args.audio_column, "label_column": data_args.label_column}
    train, stores = data_args.train_split, {}

    def cached(ds, desc):
        return F.cached_fbanks(ds, run.mels, data_args.cache_dir, dtype=data_args.feature_dtype, desc=desc,
                               window=window, onset_below_peak_db=onset_below_peak_db, locator=locator, **cols)

    with targs.main_process_first(desc="fbank cache"):
        for s in run.splits:
            if s == train and len(run.train_parts) > 1:
                names = [data_args.dataset, *run.extra_train]
                whole = ConcatFbankStore([cached(p, f"{s} ({n})") for p, n in zip(run.train_parts, names, strict=True)])
                stores[s] = whole if len(whole) == len(run.full_train) else whole.select(range(len(run.full_train)))
            else:
                stores[s] = cached(run.full_train if s == train else run.data[s], s)
        if run.train_rows is not None:
            stores[train] = stores[train].select(run.train_rows)
    return stores


def build_features(run: Run, model_args: ModelArguments, data_args: DataArguments, targs: TrainArguments) -> Features:
    """Fbanks (cached, or scanned once), the fitted ``max_length`` and the train split's mean and std.

    Each clip is first prepared as the app prepares a recording (:func:`frontend.windows.training_example`): cut
    to the model's window when ``--max-length`` fixes it, else whole (the fitted length then holds every clip).
    """
    from frontend.fbank import make_extractor, window_samples

    from . import features as F

    window = window_samples(model_args.max_length) if model_args.max_length else None
    onset = model_args.onset_below_peak_db
    onset = inherited_preprocessor_setting(model_args, "onset_below_peak_db", None) if onset is None else onset
    locator = resolve_locator(model_args)
    stores = {}
    if data_args.cache_features:
        stores = cached_stores(run, data_args, targs, window, onset, locator)
        longest = max(int(st.lengths.max()) for st in stores.values())
        mean, std = stores[data_args.train_split].stats()
    else:
        probe = make_extractor(run.mels, onset_below_peak_db=onset)
        scans = {s: _scan(run.data[s], probe, data_args.audio_column, window, locator) for s in run.splits}
        longest = max(v[0] for v in scans.values())
        _, s1, s2, n = scans[data_args.train_split]
        mean = s1 / n
        std = float(np.sqrt(max(s2 / n - mean * mean, 1e-12)))
    max_length = model_args.max_length or F.fit_max_length(longest, run.patch, run.stride)
    bands = model_args.band_normalisation or inherited_band_normalisation(model_args)
    extractor = make_extractor(run.mels, max_length, mean, std, bands, onset)
    logger.info("max_length %d frames (longest clip %d); fbank mean %.4f std %.4f; band normalisation %s; onset %s",
                max_length, longest, mean, std, bands,
                "the cry locator's" if locator is not None else "off" if onset is None else f"{onset:g} dB under the peak")
    return Features(stores, max_length, mean, std, extractor, window, locator)


def resolve_locator(model_args: ModelArguments):
    """The cry locator the windows start at: ``--cry-locator`` (a file; "none": no locator), else the --model
    folder's when training continues from one, else None."""
    from frontend.locator import CryLocator, load_locator

    if model_args.cry_locator == "none":
        return None
    if model_args.cry_locator:
        return CryLocator.load(model_args.cry_locator)
    return load_locator(model_args.model_name_or_path) if model_args.init == "pretrained" else None


def inherited_band_normalisation(model_args: ModelArguments) -> str:
    """The --model folder's band normalisation when training continues from one, else "none"."""
    return inherited_preprocessor_setting(model_args, "band_normalisation", "none")


def inherited_preprocessor_setting(model_args: ModelArguments, key: str, default):
    """A front-end setting of the --model folder's preprocessor_config.json when training continues from one."""
    from recognizer.model_files import preprocessor_setting

    if model_args.init != "pretrained":
        return default
    return preprocessor_setting(model_args.model_name_or_path, key, default)


def build_model(run: Run, feats: Features, model_args: ModelArguments):
    """The model to train (pretrained and fitted, or scratch) with its frozen parts set; and parameter counts."""
    from .model import apply_freeze, build_scratch, load_pretrained

    if model_args.init == "pretrained":
        model = load_pretrained(model_args.model_name_or_path, run.names, feats.max_length, run.mels, model_args.model_cache_dir)
    else:
        model = build_scratch(model_args.preset, run.names, feats.max_length, run.mels)
    counts = apply_freeze(model, model_args.freeze, model_args.unfreeze_last)
    if model_args.cosine_head_scale:
        from .cosine_head import make_cosine

        make_cosine(model.classifier, model_args.cosine_head_scale)
        counts["trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return model, counts


def build_datasets(run: Run, feats: Features, model, model_args: ModelArguments, data_args: DataArguments,
                   targs: TrainArguments) -> Setup:
    """Cached backbone outputs for a frozen backbone (the head trains alone), else fbanks with SpecAugment."""
    from . import features as F
    from .embedding_cache import EmbeddingDataset, HeadOnlyModel, cached_embeddings
    from .specaugment import SpecAugment

    head_only = model_args.freeze == "backbone" and model_args.unfreeze_last == 0
    collator = F.FbankCollator.for_extractor(feats.extractor)
    if head_only and data_args.cache_embeddings and data_args.cache_features:
        with targs.main_process_first(desc="embedding cache"):
            datasets_ = {
                s: EmbeddingDataset(cached_embeddings(model, feats.stores[s], collator, data_args.cache_dir, device=targs.device,
                                                      batch_size=targs.per_device_eval_batch_size, desc=s))
                for s in run.splits
            }
        model.to("cpu")
        return Setup(datasets_, HeadOnlyModel(model.classifier, model.config), None, [SaveConfigCallback(model.config)], True, True)
    augment = None
    if data_args.freq_mask or data_args.time_mask:
        augment = SpecAugment(data_args.freq_mask, data_args.time_mask, data_args.num_masks, fill=feats.mean)

    def augment_for(split):
        return augment if split == data_args.train_split else None

    if data_args.cache_features:
        datasets_ = {s: F.FbankDataset(feats.stores[s], augment_for(s)) for s in run.splits}
    else:
        cols = {"audio_column": data_args.audio_column, "label_column": data_args.label_column}
        datasets_ = {s: run.data[s].with_transform(F.audio_transform(feats.extractor, **cols, augment=augment_for(s), window=feats.window,
                                                                locator=feats.locator))
                     for s in run.splits}
    return Setup(datasets_, model, collator, [], head_only, False)


def prototype_callback(run: Run, feats: Features, model, model_args: ModelArguments, data_args: DataArguments,
                       targs: TrainArguments):
    """The prototype head's refresher over the train split's clean clips, prepared as for evaluation (no SpecAugment)."""
    from . import features as F
    from .data import condition_rows
    from .prototype_head import PrototypeHeadCallback

    train = data_args.train_split
    rows = condition_rows(run.data[train], "clean", option="--prototype-head-every")  # each class's references
    if feats.stores:
        references = F.FbankDataset(feats.stores[train].select(rows))
    else:
        cols = {"audio_column": data_args.audio_column, "label_column": data_args.label_column}
        references = run.data[train].select(rows).with_transform(F.audio_transform(feats.extractor, **cols, window=feats.window, locator=feats.locator))
    collator = F.FbankCollator.for_extractor(feats.extractor)
    return PrototypeHeadCallback(model, references, collator, model_args.cosine_head_scale,
                                 model_args.prototype_head_every, targs.per_device_eval_batch_size)


def fit(run: Run, setup: Setup, model, data_args: DataArguments, targs: TrainArguments):
    """Train (resuming when asked, from a checkpoint of this very model); returns the trainer, result and seconds."""
    from transformers import EarlyStoppingCallback

    from .model import check_resume_compatible

    if run.resume:
        check_resume_compatible(run.resume, model.config, setup.cached_embeddings)
    callbacks = list(setup.callbacks)
    if data_args.early_stopping_patience and targs.load_best_model_at_end:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=data_args.early_stopping_patience))
    trainer = CryTrainer(
        model=setup.module,
        args=targs,
        train_dataset=setup.datasets[data_args.train_split],
        eval_dataset=setup.datasets[data_args.eval_split],
        data_collator=setup.collator,
        compute_metrics=metrics_fn(),
        callbacks=callbacks,
    )
    started = time.time()
    result = trainer.train(resume_from_checkpoint=run.resume)
    return trainer, result, time.time() - started


def hyperparameters(targs: TrainArguments) -> dict:
    """The training hyperparameters the model card lists (as the ``Trainer``'s own cards do)."""
    world = targs.world_size
    return {
        "learning_rate": targs.learning_rate,
        "train_batch_size": targs.per_device_train_batch_size,
        "eval_batch_size": targs.per_device_eval_batch_size,
        "seed": targs.seed,
        "num_processes": world,
        "gradient_accumulation_steps": targs.gradient_accumulation_steps,
        "total_train_batch_size": targs.per_device_train_batch_size * world * targs.gradient_accumulation_steps,
        "optimizer": str(getattr(targs.optim, "value", targs.optim)),
        "weight_decay": targs.weight_decay,
        "lr_scheduler_type": str(getattr(targs.lr_scheduler_type, "value", targs.lr_scheduler_type)),
        "warmup_steps": targs.warmup_steps,
        "num_epochs": targs.num_train_epochs,
        "label_smoothing_factor": targs.label_smoothing_factor,
        "mixed_precision": "bf16" if targs.bf16 else "fp16" if targs.fp16 else "no",
    }


def summarize(run: Run, feats: Features, setup: Setup, counts: dict, trainer, result, seconds: float,
              model_args: ModelArguments, data_args: DataArguments, targs: TrainArguments, cal_report: dict) -> dict:
    """``train_summary.json``: what was trained, on what, how long, with which result (``card``: what the card says)."""
    from .card import framework_versions

    pretrained = model_args.init == "pretrained"
    return {
        "dataset": data_args.dataset,
        "extra_train_datasets": run.extra_train,
        "init": model_args.init,
        "model": model_args.model_name_or_path if pretrained else None,
        "preset": model_args.preset,
        "freeze": model_args.freeze,
        "unfreeze_last": model_args.unfreeze_last,
        "head_only_on_cached_embeddings": setup.cached_embeddings,
        "cosine_head_scale": model_args.cosine_head_scale,
        "prototype_head_every": model_args.prototype_head_every,
        "parameters": counts,
        "max_length": feats.max_length,
        "num_mel_bins": run.mels,
        "fbank_mean": feats.mean,
        "fbank_std": feats.std,
        "clips": {s: len(setup.datasets[s]) for s in run.splits},
        "world_size": targs.world_size,
        "train_seconds": round(seconds, 2),
        "train_metrics": result.metrics,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "calibration": cal_report,
        "seed": targs.seed,
        # What the card says about the training, kept so `trainer.evaluate --recalibrate-on` can write it again.
        "card": {
            "dataset": data_args.dataset,
            "extra_train_datasets": run.extra_train,
            "base_model": model_args.model_name_or_path if pretrained else None,
            "preset": model_args.preset,
            "max_length": feats.max_length,
            "trainable": "classification head only" if setup.head_only else f"{counts['trainable']:,} trainable parameters",
            "hyperparameters": hyperparameters(targs),
            "framework_versions": framework_versions(),
            "model_ref": targs.push_to_hub_repo or str(targs.output_dir),
        },
    }


def save_outputs(out: Path, model, run: Run, feats: Features, trainer, summary: dict, calibration, test_logits,
                 labels_of, data_args: DataArguments) -> None:
    """The pipeline-ready folder: model, extractor, pokedex, calibration, curves, test report, card, summary."""
    from recognizer.calibrated_head import fold_into_folder
    from recognizer.model_files import save_calibration, save_pokedex

    from .card import eval_results, write_model_card
    from .curves import write_learning_curves
    from .data import species_info
    from .evaluate import markdown, metadata_columns, report

    model.to("cpu")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    feats.extractor.save_pretrained(out)
    if feats.locator is not None:
        from frontend.locator import LOCATOR_FILE

        feats.locator.save(out / LOCATOR_FILE)
    species, languages = species_info(run.dsd, run.splits, run.names, data_args.label_column)
    save_pokedex(out, species, languages)
    save_calibration(out, calibration)
    write_learning_curves(trainer.state.log_history, out)
    (out / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=1) + "\n")
    metrics_md = None
    if run.has_test:
        test = run.data[data_args.test_split]
        metrics = report(test_logits, labels_of(data_args.test_split), run.names, metadata_columns(test), calibration,
                         out / f"eval-{data_args.test_split}", data_args.test_split)
        summary["test"] = metrics["overall"]
        metrics_md = markdown(metrics)
        summary["card"]["eval_results"] = eval_results(metrics["overall"], data_args.test_split)
    write_model_card(out, **summary["card"], label_names=run.names, metrics_markdown=metrics_md,
                     calibration_report=summary["calibration"])
    # the temperature goes into the head, so pipeline() returns the app's calibrated probabilities too
    fold_into_folder(out)


def train(model_args: ModelArguments, data_args: DataArguments, targs: TrainArguments) -> dict:
    """Run the whole stage; returns a summary (also written to ``train_summary.json``)."""
    from transformers import set_seed

    from .calibration import calibrate

    started = time.time()
    set_seed(targs.seed)
    run = prepare(model_args, data_args, targs)
    feats = build_features(run, model_args, data_args, targs)
    model, counts = build_model(run, feats, model_args)
    setup = build_datasets(run, feats, model, model_args, data_args, targs)
    if model_args.cosine_head_scale:
        from .cosine_head import CosineHeadCallback

        setup.callbacks.append(CosineHeadCallback(model.classifier, model_args.cosine_head_scale))
    if model_args.prototype_head_every:
        setup.callbacks.append(prototype_callback(run, feats, model, model_args, data_args, targs))
    trainer, result, seconds = fit(run, setup, model, data_args, targs)

    def labels_of(split: str) -> np.ndarray:
        return feats.stores[split].labels if feats.stores else np.asarray(run.data[split][data_args.label_column])

    # Every process takes part in predict() (it gathers across them); only the main one writes the folder.
    val_logits = trainer.predict(setup.datasets[data_args.eval_split]).predictions
    calibration, cal_report = calibrate(val_logits, labels_of(data_args.eval_split), data_args.target_precision, run.names)
    test_logits = trainer.predict(setup.datasets[data_args.test_split]).predictions if run.has_test else None
    summary = summarize(run, feats, setup, counts, trainer, result, seconds, model_args, data_args, targs, cal_report)
    if not trainer.is_world_process_zero():
        return summary
    out = Path(targs.output_dir)
    save_outputs(out, model, run, feats, trainer, summary, calibration, test_logits, labels_of, data_args)
    summary["total_seconds"] = round(time.time() - started, 2)
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if targs.push_to_hub_repo:
        push_model(out, targs.push_to_hub_repo)
        summary["pushed_to"] = targs.push_to_hub_repo
    return summary


def push_model(out: Path, repo_id: str) -> None:
    """Upload the finished folder; a failure now (the Hub was checked before training) keeps the folder and says so."""
    from common.hub import hub_endpoint

    from .guards import RunError
    from .hub import upload_model

    try:
        upload_model(out, repo_id)
    except Exception as err:  # the Hub client raises many types; the trained folder is kept either way
        first = str(err).splitlines()[0] if str(err) else ""
        raise RunError(
            f"the model is saved in {out}, but --push-to-hub {repo_id} failed at the Hugging Face Hub "
            f"({hub_endpoint()}: {type(err).__name__}: {first}); push the folder again: "
            f"hf upload {repo_id} {out} --exclude 'checkpoint-*/*'"
        ) from err

"""Train an AST on the cry dataset with the HF ``Trainer`` and write a pipeline-ready model folder.

Flow: load and check the dataset → compute (or reuse) the cached fbanks → fit ``max_length`` and the
dataset's mean/std → build the model (pretrained, cut to the new length, or scratch) → train (the head
on cached backbone outputs when the backbone is frozen, else the model on cached fbanks with
SpecAugment) with early stopping → calibrate on validation → save the folder, evaluate the test split,
write learning curves and the model card → optionally push to the Hub.
"""

from __future__ import annotations

import json
import logging
import os
import time
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

    from .model import ModelError, check_resume_labels

    value = targs.resume_from_checkpoint
    if not value or str(value).lower() in ("false", "0", "no"):
        return None
    if str(value).lower() in ("true", "1", "yes", "last"):
        last = get_last_checkpoint(targs.output_dir) if os.path.isdir(targs.output_dir) else None
        if last is None:
            raise ModelError(f"--resume-from-checkpoint {value}: no checkpoint-N folder in {targs.output_dir} to resume")
        value = last
    check_resume_labels(value, label_names)
    return value


def _scan(ds, extractor, audio_column: str, window: int | None = None) -> tuple[int, float, float, int]:
    """Longest clip in frames and fbank sums, without caching (``--cache-features false``)."""
    from .features import example_fbank

    longest, s, s2, n = 0, 0.0, 0.0, 0
    for row in ds.select_columns([audio_column]):
        fb = example_fbank(row[audio_column]["array"], extractor, window).astype(np.float64)
        longest, s, s2, n = max(longest, len(fb)), s + fb.sum(), s2 + np.square(fb).sum(), n + fb.size
    return longest, s, s2, n


def train(model_args: ModelArguments, data_args: DataArguments, targs: TrainArguments) -> dict:
    """Run the whole stage; returns a summary (also written to ``train_summary.json``)."""
    from transformers import EarlyStoppingCallback, set_seed

    from frontend.fbank import make_extractor, window_samples
    from recognizer.model_files import save_calibration, save_pokedex

    from . import features as F
    from .calibration import calibrate
    from .card import write_model_card
    from .curves import write_learning_curves
    from .data import condition_rows, extra_train_splits, load_cry_dataset, species_info, subset, validate
    from .embedding_cache import EmbeddingDataset, HeadOnlyModel, cached_embeddings
    from .evaluate import markdown, metadata_columns, report
    from .fbank_store import ConcatFbankStore
    from .model import apply_freeze, build_scratch, load_pretrained, model_config_from
    from .presets import preset_config_kwargs

    started = time.time()
    set_seed(targs.seed)
    out = Path(targs.output_dir)

    # Model config first: a missing model path fails before any dataset work.
    if model_args.init == "pretrained":
        src = model_config_from(model_args.model_name_or_path, model_args.model_cache_dir)
        mels, patch, stride = model_args.num_mel_bins or src.num_mel_bins, src.patch_size, src.time_stride
    else:
        preset = preset_config_kwargs(model_args.preset)
        mels, patch, stride = model_args.num_mel_bins or preset["num_mel_bins"], preset["patch_size"], preset["time_stride"]

    dsd = load_cry_dataset(data_args.dataset, data_args.dataset_config, data_args.dataset_revision, data_args.dataset_cache_dir)
    has_test = bool(data_args.test_split) and data_args.test_split in dsd
    if data_args.test_split and not has_test:
        logger.warning("dataset has no %r split: no test report", data_args.test_split)
    splits = [data_args.train_split, data_args.eval_split] + ([data_args.test_split] if has_test else [])
    names = validate(dsd, splits, data_args.audio_column, data_args.label_column)
    # Other datasets' train splits (e.g. a supplement of hard captures) appended to this one's; each part keeps its
    # own fbank cache entry, so the main split is not computed again.
    extra_train = [d.strip() for d in (data_args.extra_train_datasets or "").split(",") if d.strip()]
    train_parts = [dsd[data_args.train_split]]
    if extra_train:
        from datasets import DatasetDict, concatenate_datasets

        train_parts += extra_train_splits(extra_train, names, dsd[data_args.train_split].features,
                                          data_args.train_split, data_args.audio_column, data_args.label_column,
                                          data_args.dataset_cache_dir)
        dsd = DatasetDict(dsd)
        dsd[data_args.train_split] = concatenate_datasets(train_parts)
    resume = resolve_resume(targs, names)
    limits = {data_args.train_split: data_args.max_train_samples}
    data = {s: subset(dsd[s], limits.get(s, data_args.max_eval_samples)) for s in splits}
    # A curriculum stage trains on some conditions only: its fbanks are a view over the whole split's cache entry,
    # which the next stage (every condition) then reuses instead of computing those clips twice.
    full_train, train_rows = data[data_args.train_split], None
    if data_args.train_conditions:
        train_rows = condition_rows(full_train, data_args.train_conditions)
        data[data_args.train_split] = full_train.select(train_rows)

    # Features: computed once per split and cached; max_length and mean/std come from them.
    cols = {"audio_column": data_args.audio_column, "label_column": data_args.label_column}
    # Each clip becomes the window the app would score (frontend.windows.training_example); a fitted input
    # length covers the longest clip, so then every clip is one window.
    window = window_samples(model_args.max_length) if model_args.max_length else None
    stores = {}
    if data_args.cache_features:
        with targs.main_process_first(desc="fbank cache"):
            for s in splits:
                if s == data_args.train_split and len(train_parts) > 1:
                    whole = ConcatFbankStore([
                        F.cached_fbanks(part, mels, data_args.cache_dir, dtype=data_args.feature_dtype,
                                        desc=f"{s} ({name})", window=window, **cols)
                        for part, name in zip(train_parts, [data_args.dataset, *extra_train], strict=True)
                    ])
                    stores[s] = whole if len(whole) == len(full_train) else whole.select(range(len(full_train)))
                    continue
                source = full_train if s == data_args.train_split else data[s]
                stores[s] = F.cached_fbanks(source, mels, data_args.cache_dir, dtype=data_args.feature_dtype, desc=s,
                                            window=window, **cols)
            if train_rows is not None:
                stores[data_args.train_split] = stores[data_args.train_split].select(train_rows)
        longest = max(int(st.lengths.max()) for st in stores.values())
        mean, std = stores[data_args.train_split].stats()
    else:
        probe = make_extractor(mels)
        scans = {s: _scan(data[s], probe, data_args.audio_column, window) for s in splits}
        longest = max(v[0] for v in scans.values())
        _, s1, s2, n = scans[data_args.train_split]
        mean = s1 / n
        std = float(np.sqrt(max(s2 / n - mean * mean, 1e-12)))
    max_length = model_args.max_length or F.fit_max_length(longest, patch, stride)
    extractor = make_extractor(mels, max_length, mean, std)
    logger.info("max_length %d frames (longest clip %d); fbank mean %.4f std %.4f", max_length, longest, mean, std)

    if model_args.init == "pretrained":
        model = load_pretrained(model_args.model_name_or_path, names, max_length, mels, model_args.model_cache_dir)
    else:
        model = build_scratch(model_args.preset, names, max_length, mels)
    counts = apply_freeze(model, model_args.freeze, model_args.unfreeze_last)
    head_only = model_args.freeze == "backbone" and model_args.unfreeze_last == 0
    use_embedding_cache = head_only and data_args.cache_embeddings and data_args.cache_features
    collator = F.FbankCollator(max_length, mean, std)
    callbacks = []

    if use_embedding_cache:
        emb_device = targs.device
        with targs.main_process_first(desc="embedding cache"):
            datasets_ = {
                s: EmbeddingDataset(
                    cached_embeddings(model, stores[s], collator, data_args.cache_dir, device=emb_device,
                                      batch_size=targs.per_device_eval_batch_size, desc=s)
                )
                for s in splits
            }
        model.to("cpu")
        trainer_model, data_collator = HeadOnlyModel(model.classifier), None
        callbacks.append(SaveConfigCallback(model.config))
    else:
        augment = None
        if data_args.freq_mask or data_args.time_mask:
            augment = F.SpecAugment(data_args.freq_mask, data_args.time_mask, data_args.num_masks, fill=mean)
        if data_args.cache_features:
            datasets_ = {s: F.FbankDataset(stores[s], augment if s == data_args.train_split else None) for s in splits}
        else:
            datasets_ = {
                s: data[s].with_transform(
                    F.audio_transform(extractor, **cols, augment=augment if s == data_args.train_split else None, window=window)
                )
                for s in splits
            }
        trainer_model, data_collator = model, collator

    if data_args.early_stopping_patience and targs.load_best_model_at_end:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=data_args.early_stopping_patience))
    trainer = CryTrainer(
        model=trainer_model,
        args=targs,
        train_dataset=datasets_[data_args.train_split],
        eval_dataset=datasets_[data_args.eval_split],
        data_collator=data_collator,
        compute_metrics=metrics_fn(),
        callbacks=callbacks,
    )
    train_started = time.time()
    train_result = trainer.train(resume_from_checkpoint=resume)
    train_seconds = time.time() - train_started

    def labels_of(split: str) -> np.ndarray:
        return stores[split].labels if stores else np.asarray(data[split][data_args.label_column])

    val_logits = trainer.predict(datasets_[data_args.eval_split]).predictions
    calibration, cal_report = calibrate(val_logits, labels_of(data_args.eval_split), data_args.target_precision)
    test_logits = trainer.predict(datasets_[data_args.test_split]).predictions if has_test else None

    summary = {
        "dataset": data_args.dataset,
        "extra_train_datasets": extra_train,
        "init": model_args.init,
        "model": model_args.model_name_or_path if model_args.init == "pretrained" else None,
        "preset": model_args.preset,
        "freeze": model_args.freeze,
        "unfreeze_last": model_args.unfreeze_last,
        "head_only_on_cached_embeddings": use_embedding_cache,
        "parameters": counts,
        "max_length": max_length,
        "num_mel_bins": mels,
        "fbank_mean": mean,
        "fbank_std": std,
        "clips": {s: len(datasets_[s]) for s in splits},
        "train_seconds": round(train_seconds, 2),
        "train_metrics": train_result.metrics,
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "calibration": cal_report,
        "seed": targs.seed,
    }
    if not trainer.is_world_process_zero():
        return summary

    model.to("cpu")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    extractor.save_pretrained(out)
    species, languages = species_info(dsd, splits, names, data_args.label_column)
    save_pokedex(out, species, languages)
    save_calibration(out, calibration)
    write_learning_curves(trainer.state.log_history, out)
    (out / "log_history.json").write_text(json.dumps(trainer.state.log_history, indent=1) + "\n")
    metrics_md = None
    if has_test:
        test = data[data_args.test_split]
        metrics = report(test_logits, labels_of(data_args.test_split), names, metadata_columns(test), calibration,
                         out / f"eval-{data_args.test_split}", data_args.test_split)
        summary["test"] = metrics["overall"]
        metrics_md = markdown(metrics)
    # What the card says about the training, kept so `trainer.evaluate --recalibrate-on` can write it again.
    summary["card"] = {
        "dataset": data_args.dataset,
        "extra_train_datasets": extra_train,
        "base_model": model_args.model_name_or_path if model_args.init == "pretrained" else None,
        "preset": model_args.preset,
        "max_length": max_length,
        "trainable": "classification head only" if head_only else f"{counts['trainable']:,} trainable parameters",
    }
    write_model_card(out, **summary["card"], label_names=names, metrics_markdown=metrics_md, calibration_report=cal_report)
    summary["total_seconds"] = round(time.time() - started, 2)
    (out / "train_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if targs.push_to_hub_repo:
        from .hub import push_folder

        push_folder(out, targs.push_to_hub_repo)
        summary["pushed_to"] = targs.push_to_hub_repo
    return summary

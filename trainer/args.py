"""Command-line arguments as typed dataclasses, parsed by ``HfArgumentParser`` (flags or a JSON/YAML file).

``TrainArguments`` is ``transformers.TrainingArguments`` with defaults suited to this task (epoch-wise
evaluation, early stopping on the best checkpoint, cosine schedule with warmup) and ``--push-to-hub`` taking
the repository id: the trainer pushes once at the end, with the model card, instead of every checkpoint.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from transformers import TrainingArguments

from common.files import default_cache_dir

DEFAULT_CHECKPOINT = "MIT/ast-finetuned-audioset-10-10-0.4593"
FREEZE_CHOICES = ("backbone", "none")
INIT_CHOICES = ("pretrained", "scratch")


@dataclass
class ModelArguments:
    """Which model to start from and which of its parts train."""

    model_name_or_path: str = field(
        default=DEFAULT_CHECKPOINT,
        metadata={"aliases": ["--model"], "help": "Checkpoint id or local folder (used with --init pretrained)."},
    )
    init: Literal["pretrained", "scratch"] = field(
        default="pretrained",
        metadata={"help": "pretrained: start from --model; scratch: random weights with --preset."},
    )
    preset: str | None = field(
        default=None, metadata={"help": "Config preset for --init scratch: tiny or small (default small)."}
    )
    freeze: Literal["backbone", "none"] | None = field(
        default=None,
        metadata={
            "help": "backbone: train only the classification head (default for --init pretrained); "
            "none: train everything (default for --init scratch)."
        },
    )
    unfreeze_last: int = field(
        default=0, metadata={"help": "Also train the last N transformer blocks (and the final layer norm)."}
    )
    max_length: int | None = field(
        default=None,
        metadata={"help": "Input length in fbank frames (10 ms each); default: fitted to the longest clip."},
    )
    num_mel_bins: int | None = field(
        default=None, metadata={"help": "Mel bins; default: the checkpoint's or the preset's."}
    )
    band_normalisation: str | None = field(
        default=None,
        metadata={
            "help": "Per-band normalisation of each window's log-mel (frontend.fbank.BAND_NORMALISATIONS): none, or "
            "mean (subtract each band's mean over the window: a static filter cancels), or floor (subtract each "
            "band's noise floor, in power: a steady background falls away); with either the model needs the "
            "recogniser, pipeline() ignores it. Default: the --model folder's, else none."
        },
    )
    onset_below_peak_db: float | None = field(
        default=None,
        metadata={
            "help": "Start each example's (and the app's) first window at the cry's onset: the first 10 ms frame "
            "within this many dB of the loudest, less 0.02 s (frontend.windows.find_windows; e.g. 20). Saved in "
            "preprocessor_config.json, which the recogniser reads. Default: the --model folder's, else off."
        },
    )
    cry_locator: str | None = field(
        default=None,
        metadata={
            "help": "A cry locator file (python -m trainer.cry_locator): every example's (and the app's) first window "
            "starts where it puts the cry, in place of --onset-below-peak-db's level rule (frontend.windows). "
            "Saved in the model folder (cry_locator.safetensors), which the recogniser reads. \"none\": no locator. "
            "Default: the --model folder's, else none."
        },
    )
    cosine_head_scale: float | None = field(
        default=None,
        metadata={
            "help": "Train the head as a cosine classifier with this logit scale (e.g. 16; trainer.cosine_head): "
            "identity layer norm, no bias, rows of one length, so a class is a direction in the embedding (never-"
            "trained sounds land apart). The folder stays a plain AST model."
        },
    )
    prototype_head_every: int | None = field(
        default=None,
        metadata={
            "help": "With --cosine-head-scale: every N optimiser steps (and at the start) set each class's head row to "
            "the prototype of its clean training clips (trainer.prototype_head), rows the optimiser never moves, so "
            "the backbone learns to put captures near their clean references, which is what enrolment uses."
        },
    )
    model_cache_dir: str | None = field(default=None, metadata={"help": "Where Hub checkpoints are cached."})

    def __post_init__(self):
        if self.cosine_head_scale is not None and not self.cosine_head_scale > 0:
            raise ValueError(f"--cosine-head-scale {self.cosine_head_scale}: expected a positive logit scale (e.g. 16)")
        if self.onset_below_peak_db is not None and not 0 < self.onset_below_peak_db <= 60:
            raise ValueError(f"--onset-below-peak-db {self.onset_below_peak_db}: expected dB in (0, 60], e.g. 20")
        if self.cry_locator not in (None, "none") and not Path(self.cry_locator).is_file():
            raise ValueError(f"--cry-locator {self.cry_locator}: not a file; expected a locator from python -m trainer.cry_locator, or none")
        if self.band_normalisation is not None:
            from frontend.fbank import check_band_normalisation

            check_band_normalisation(self.band_normalisation)
        if self.init not in INIT_CHOICES:
            raise ValueError(f"--init {self.init!r}: expected one of {', '.join(INIT_CHOICES)}")
        if self.init == "scratch":
            from .presets import PRESETS

            self.preset = self.preset or "small"
            if self.preset not in PRESETS:
                raise ValueError(f"--preset {self.preset!r}: expected one of {', '.join(PRESETS)}")
            self.freeze = self.freeze or "none"
            if self.freeze == "backbone":
                raise ValueError(
                    "--freeze backbone with --init scratch would train a head on a random, frozen backbone; "
                    "use --freeze none (the default for scratch) or --init pretrained"
                )
        else:
            self.freeze = self.freeze or "backbone"
            if self.preset is not None:
                raise ValueError("--preset only applies to --init scratch; a pretrained model keeps its config")
        if self.freeze not in FREEZE_CHOICES:
            raise ValueError(f"--freeze {self.freeze!r}: expected one of {', '.join(FREEZE_CHOICES)}")
        if self.unfreeze_last < 0:
            raise ValueError(f"--unfreeze-last must be >= 0, got {self.unfreeze_last}")
        if self.prototype_head_every is not None:
            if not self.prototype_head_every > 0:
                raise ValueError(f"--prototype-head-every {self.prototype_head_every}: expected a positive number of steps")
            if self.cosine_head_scale is None:
                raise ValueError("--prototype-head-every needs --cosine-head-scale (prototype rows are cosine rows)")
            if self.freeze == "backbone" and self.unfreeze_last == 0:
                raise ValueError("--prototype-head-every needs a backbone that trains (--freeze none or --unfreeze-last)")


@dataclass
class DataArguments:
    """Which dataset, how its features are cached, and the training-time augmentation."""

    dataset: str = field(
        metadata={"help": "Builder output folder (parquet), a save_to_disk folder, or a Hub dataset id."}
    )
    dataset_config: str | None = field(default=None, metadata={"help": "Hub dataset configuration name."})
    dataset_revision: str | None = field(default=None, metadata={"help": "Hub dataset revision."})
    dataset_cache_dir: str | None = field(default=None, metadata={"help": "datasets' own cache folder."})
    train_split: str = field(default="train")
    eval_split: str = field(default="validation")
    test_split: str = field(default="test", metadata={"help": "Reported after training; '' to skip."})
    audio_column: str = field(
        default="audio",
        metadata={"aliases": ["--audio-column-name"], "help": "The datasets.Audio column (resampled to 16 kHz on load)."},
    )
    label_column: str = field(
        default="label",
        metadata={"aliases": ["--label-column-name"], "help": "The ClassLabel (or string) column naming each clip's class."},
    )
    train_val_split: float | None = field(
        default=None,
        metadata={
            "help": "When the dataset has no --eval-split, hold out this fraction of the train split (stratified by "
            "label, drawn with --seed) as validation, e.g. 0.2."
        },
    )
    extra_train_datasets: str | None = field(
        default=None,
        metadata={
            "help": "Comma-separated datasets (folders or Hub ids) whose train split is appended to --dataset's, e.g. a "
            "supplement of hard conditions; they must have the same labels. Validation and test stay --dataset's."
        },
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Keep the first N train rows (smoke runs)."})
    train_conditions: str | None = field(
        default=None,
        metadata={
            "help": "Train only on rows whose `condition` is one of these (comma-separated, e.g. clean,augmented): "
            "the first stage of a curriculum. Validation and test keep every row."
        },
    )
    max_eval_samples: int | None = field(default=None, metadata={"help": "Keep the first N rows of other splits."})
    cache_dir: str = field(
        default_factory=lambda: str(default_cache_dir()),
        metadata={"help": "Feature and embedding cache (default $WHO_CACHE_DIR or ~/.cache/who_tf_screamin)."},
    )
    cache_features: bool = field(
        default=True,
        metadata={"help": "Compute fbanks once and cache them on disk; false: decode audio every epoch."},
    )
    cache_embeddings: bool = field(
        default=True,
        metadata={"help": "With a frozen backbone, cache its pooled output once and train the head on it."},
    )
    feature_dtype: str = field(default="float32", metadata={"help": "Cached fbank dtype: float32 or float16."})
    freq_mask: int = field(default=12, metadata={"help": "SpecAugment: widest frequency mask in mel bins (0: off)."})
    time_mask: int = field(default=48, metadata={"help": "SpecAugment: widest time mask in frames (0: off)."})
    num_masks: int = field(default=1, metadata={"help": "SpecAugment: masks of each kind per clip."})
    target_precision: float = field(
        default=0.95, metadata={"help": "Validation precision the 'not sure' threshold is chosen for."}
    )
    early_stopping_patience: int = field(
        default=5, metadata={"help": "Evaluations without improvement before stopping (0: no early stopping)."}
    )

    def __post_init__(self):
        if self.feature_dtype not in ("float32", "float16"):
            raise ValueError(f"--feature-dtype {self.feature_dtype!r}: expected float32 or float16")
        if self.train_val_split is not None and not 0.0 < self.train_val_split < 1.0:
            raise ValueError(f"--train-val-split must be a fraction in (0, 1), got {self.train_val_split}")
        if not 0.0 < self.target_precision <= 1.0:
            raise ValueError(f"--target-precision must be in (0, 1], got {self.target_precision}")
        for name in ("freq_mask", "time_mask", "num_masks", "early_stopping_patience"):
            if getattr(self, name) < 0:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(self, name)}")


@dataclass
class TrainArguments(TrainingArguments):
    """``TrainingArguments`` with this task's defaults; every other Trainer flag works as usual."""

    output_dir: str | None = field(default=None, metadata={"help": "Where the model folder is written."})
    overwrite_output_dir: bool = field(
        default=False,
        metadata={
            "help": "Train into a non-empty --output-dir (its old checkpoint-N folders are deleted first); without it "
            "the trainer refuses, unless --resume-from-checkpoint continues the run there."
        },
    )
    push_to_hub: str | None = field(
        default=None, metadata={"help": "Hub repository id (REPO_ID) to push the final folder and card to."}
    )
    eval_strategy: str = field(default="epoch")
    save_strategy: str = field(default="epoch")
    logging_strategy: str = field(default="epoch")
    load_best_model_at_end: bool = field(default=True)
    metric_for_best_model: str | None = field(default="accuracy")
    save_total_limit: int | None = field(default=2)
    learning_rate: float = field(default=1e-3, metadata={"help": "1e-3 suits head-only and scratch; ~5e-5 full fine-tuning."})
    lr_scheduler_type: str = field(default="cosine")
    warmup_steps: float = field(default=0.1, metadata={"help": "Warmup steps (>= 1) or fraction of all steps (< 1)."})
    num_train_epochs: float = field(default=20.0)
    per_device_train_batch_size: int = field(default=32)
    per_device_eval_batch_size: int = field(default=32)
    remove_unused_columns: bool = field(default=False)
    report_to: str | None = field(default="none")

    def __post_init__(self):
        if self.output_dir is None:
            raise ValueError("--output-dir is required: the folder the trained model is written to")
        repo = self.push_to_hub
        if isinstance(repo, str) and repo.lower() in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"--push-to-hub {repo!r}: expected a Hub repository id such as user/who-tf-screamin-ast")
        self.push_to_hub_repo = repo or None
        self.push_to_hub = False  # the Trainer must not push checkpoints; train.py pushes the final folder once
        if self.push_to_hub_repo and not self.hub_model_id:
            self.hub_model_id = self.push_to_hub_repo
        if not self.use_cpu and not has_accelerator():
            # No GPU: say so, so that torchrun's processes join one gloo job instead of training copies, and so
            # that the DataLoader does not warn on every run that pin_memory has no device to pin for.
            self.use_cpu = True
        super().__post_init__()


def has_accelerator() -> bool:
    """Whether torch sees a GPU (or another accelerator) to train on."""
    import torch

    accelerator = getattr(torch, "accelerator", None)
    return bool(accelerator.is_available()) if accelerator is not None else torch.cuda.is_available()


def parser():
    """The ``HfArgumentParser`` for ``python -m trainer``."""
    from transformers import HfArgumentParser

    return HfArgumentParser((ModelArguments, DataArguments, TrainArguments))


def parse_args(argv: list[str] | None = None) -> tuple[ModelArguments, DataArguments, TrainArguments]:
    """Flags, or a single ``.json``/``.yaml`` file holding the same keys."""
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    p = parser()
    if len(argv) == 1 and argv[0].endswith(".json"):
        return p.parse_json_file(os.path.abspath(argv[0]))
    if len(argv) == 1 and argv[0].endswith((".yaml", ".yml")):
        return p.parse_yaml_file(os.path.abspath(argv[0]))
    return p.parse_args_into_dataclasses(args=argv)

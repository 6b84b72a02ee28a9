"""Build the ``ASTForAudioClassification`` to train: a pretrained checkpoint fitted to short cries, or a
compact one from random weights, and choose which of its parts train.

Fitting a checkpoint to a new input length cuts its position embeddings the way the original AST code
does (Gong et al., ``ast_models.py``): the centre of the patch grid is kept, so no pretrained weight is
re-initialised (``from_pretrained(..., ignore_mismatched_sizes=True)`` would zero them).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from common.hub import looks_local

from .presets import preset_config_kwargs

logger = logging.getLogger(__name__)

POSITION_KEY = "audio_spectrogram_transformer.embeddings.position_embeddings"
HEAD_KEYS = ("classifier.dense.weight", "classifier.dense.bias")


class ModelError(ValueError):
    """The model path, checkpoint or labels are not what the trainer expects."""


def patch_grid(config) -> tuple[int, int]:
    """``(frequency, time)`` patches of the input for this config (as ``ASTEmbeddings.get_shape``)."""
    f = (config.num_mel_bins - config.patch_size) // config.frequency_stride + 1
    t = (config.max_length - config.patch_size) // config.time_stride + 1
    return f, t


def adapt_position_embeddings(pos: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int]) -> torch.Tensor:
    """Position embeddings ``(1, 2 + F*T, H)`` for a new ``(F', T')`` patch grid.

    Each axis is cut from the middle when it shrinks (``start = T//2 - T'//2``) and bilinearly
    interpolated when it grows, as the original AST does; the two token embeddings are kept.
    """
    (f, t), (nf, nt) = old_grid, new_grid
    if pos.shape[1] != 2 + f * t:
        raise ModelError(f"position embeddings hold {pos.shape[1]} positions; expected 2 + {f}×{t} for the checkpoint's config")
    hidden = pos.shape[-1]
    tokens, grid = pos[:, :2], pos[:, 2:].reshape(1, f, t, hidden).permute(0, 3, 1, 2)  # (1, H, F, T)
    if nt <= t:
        start = t // 2 - nt // 2
        grid = grid[:, :, :, start : start + nt]
    else:
        grid = torch.nn.functional.interpolate(grid, size=(f, nt), mode="bilinear")
    if nf <= f:
        start = f // 2 - nf // 2
        grid = grid[:, :, start : start + nf, :]
    else:
        grid = torch.nn.functional.interpolate(grid, size=(nf, nt), mode="bilinear")
    return torch.cat([tokens, grid.permute(0, 2, 3, 1).reshape(1, nf * nt, hidden)], dim=1).contiguous()


def label_maps(label_names: list[str]) -> dict:
    return {"id2label": {i: n for i, n in enumerate(label_names)}, "label2id": {n: i for i, n in enumerate(label_names)}}


def check_model_path(name_or_path: str) -> None:
    """A local model path must exist and hold a ``config.json``; Hub ids are checked when loaded."""
    path = Path(name_or_path)
    if path.is_dir() and not (path / "config.json").exists():
        raise ModelError(f"--model {name_or_path}: folder has no config.json; expected a transformers model folder")
    if not path.exists() and looks_local(name_or_path):
        raise ModelError(f"--model {name_or_path}: no such folder; expected a model folder or a Hub id such as MIT/ast-finetuned-audioset-10-10-0.4593")


def model_config_from(name_or_path: str, cache_dir: str | None = None):
    """The checkpoint's ``ASTConfig`` (read before any weights are loaded)."""
    from transformers import AutoConfig

    check_model_path(name_or_path)
    try:
        config = AutoConfig.from_pretrained(name_or_path, cache_dir=cache_dir)
    except OSError as err:
        raise ModelError(f"--model {name_or_path}: could not load its config ({err}); expected a local folder or a reachable Hub id") from err
    if config.model_type != "audio-spectrogram-transformer":
        raise ModelError(f"--model {name_or_path}: is a {config.model_type!r} model; expected an Audio Spectrogram Transformer")
    return config


def load_pretrained(
    name_or_path: str,
    label_names: list[str],
    max_length: int,
    num_mel_bins: int | None = None,
    cache_dir: str | None = None,
):
    """The checkpoint fitted to ``max_length`` frames and ``num_mel_bins``, with a head for ``label_names``.

    Every checkpoint weight is kept (position embeddings adapted). When the labels differ from the
    checkpoint's, the head's last linear layer keeps the rows of the labels both know (a species added to a
    trained model, e.g. ``no_cry`` or a new generation, starts beside what it already hears) and the other
    rows start as a fresh layer's.
    """
    from transformers import ASTConfig, ASTForAudioClassification

    src_config = model_config_from(name_or_path, cache_dir)
    source = ASTForAudioClassification.from_pretrained(name_or_path, cache_dir=cache_dir)
    kwargs = source.config.to_dict()
    for key in ("id2label", "label2id", "num_labels", "architectures", "transformers_version", "model_type"):
        kwargs.pop(key, None)
    kwargs.update(max_length=int(max_length), num_mel_bins=int(num_mel_bins or src_config.num_mel_bins))
    config = ASTConfig(**kwargs, **label_maps(label_names))
    model = ASTForAudioClassification(config)
    state = source.state_dict()
    old_grid, new_grid = patch_grid(source.config), patch_grid(config)
    state[POSITION_KEY] = adapt_position_embeddings(state[POSITION_KEY], old_grid, new_grid)
    old_labels = [source.config.id2label.get(i) for i in range(source.config.num_labels)]
    same_head = old_labels == list(label_names)
    if not same_head:
        state = {**state, **_head_with_known_rows(state, model, old_labels, list(label_names))}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - set(HEAD_KEYS):
        raise ModelError(f"--model {name_or_path}: weights do not fit an AST (missing {missing}, unexpected {unexpected})")
    kept = len(set(old_labels) & set(label_names))
    logger.info(
        "loaded %s: patch grid %s -> %s, head %s",
        name_or_path,
        old_grid,
        new_grid,
        "kept" if same_head else f"{kept} of {len(label_names)} rows kept, the rest new",
    )
    return model


def _head_with_known_rows(state: dict, model, old_labels: list, new_labels: list) -> dict:
    """The last head layer for ``new_labels``: the checkpoint's rows where it knows the label, fresh ones elsewhere."""
    weight, bias = (model.state_dict()[k].clone() for k in HEAD_KEYS)
    old_w, old_b = (state.get(k) for k in HEAD_KEYS)
    if old_w is None or old_b is None or old_w.shape[1] != weight.shape[1]:
        return {HEAD_KEYS[0]: weight, HEAD_KEYS[1]: bias}
    row_of = {label: i for i, label in enumerate(old_labels)}
    for j, label in enumerate(new_labels):
        if label in row_of:
            weight[j], bias[j] = old_w[row_of[label]], old_b[row_of[label]]
    return {HEAD_KEYS[0]: weight, HEAD_KEYS[1]: bias}


def build_scratch(preset: str, label_names: list[str], max_length: int, num_mel_bins: int | None = None):
    """A compact AST with random weights; position and token embeddings drawn like the original's (σ = 0.02)."""
    from transformers import ASTConfig, ASTForAudioClassification

    kwargs = preset_config_kwargs(preset)
    if num_mel_bins:
        kwargs["num_mel_bins"] = int(num_mel_bins)
    config = ASTConfig(**kwargs, max_length=int(max_length), **label_maps(label_names))
    model = ASTForAudioClassification(config)
    emb = model.audio_spectrogram_transformer.embeddings
    with torch.no_grad():
        for param in (emb.position_embeddings, emb.cls_token, emb.distillation_token):
            torch.nn.init.trunc_normal_(param, std=0.02)
    return model


def apply_freeze(model, freeze: str, unfreeze_last: int = 0) -> dict:
    """Set ``requires_grad``: ``backbone`` trains the head (plus the last ``unfreeze_last`` blocks), ``none`` all."""
    backbone = model.audio_spectrogram_transformer
    layers = backbone.layers
    if unfreeze_last > len(layers):
        raise ModelError(f"--unfreeze-last {unfreeze_last}: the model has only {len(layers)} transformer blocks")
    for param in model.parameters():
        param.requires_grad = True
    if freeze == "backbone":
        for param in backbone.parameters():
            param.requires_grad = False
        if unfreeze_last:
            for layer in layers[len(layers) - unfreeze_last :]:
                for param in layer.parameters():
                    param.requires_grad = True
            for param in backbone.layernorm.parameters():
                param.requires_grad = True
    elif freeze != "none":
        raise ModelError(f"--freeze {freeze!r}: expected backbone or none")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"trainable": trainable, "total": sum(p.numel() for p in model.parameters())}


def check_resume_labels(checkpoint: str, label_names: list[str]) -> None:
    """A checkpoint being resumed must have been trained on the same labels, in the same order."""
    config_file = Path(checkpoint) / "config.json"
    if not Path(checkpoint).is_dir():
        raise ModelError(f"--resume-from-checkpoint {checkpoint}: no such folder; expected a checkpoint-N folder")
    if not config_file.exists():
        raise ModelError(f"--resume-from-checkpoint {checkpoint}: has no config.json; expected a checkpoint written by this trainer")
    id2label = json.loads(config_file.read_text()).get("id2label", {})
    theirs = [id2label.get(str(i), id2label.get(i)) for i in range(len(id2label))]
    if theirs != list(label_names):
        diff = sorted(set(theirs) ^ set(label_names))[:5]
        raise ModelError(
            f"--resume-from-checkpoint {checkpoint}: was trained on {len(theirs)} labels, the dataset has "
            f"{len(label_names)} (differing: {diff or 'same names, other order'}); expected the same ClassLabel names "
            "in the same order — start a new run instead of resuming"
        )


SHAPE_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "patch_size",
              "frequency_stride", "time_stride", "num_mel_bins", "max_length")


def check_resume_compatible(checkpoint: str, config, head_only: bool) -> None:
    """A resumed checkpoint must hold the model this run builds: same shapes, and the same part trained.

    Otherwise the ``Trainer`` would fail with pages of size mismatches (or, for a head-only checkpoint, load
    nothing); this says which setting differs.
    """
    theirs = json.loads((Path(checkpoint) / "config.json").read_text())
    diff = [f"{k} {theirs.get(k)} here {getattr(config, k, None)}" for k in SHAPE_KEYS if theirs.get(k) != getattr(config, k, None)]
    if diff:
        raise ModelError(
            f"--resume-from-checkpoint {checkpoint}: holds another model ({'; '.join(diff)}); expected a checkpoint of "
            "this run (same --model/--preset, --num-mel-bins, --max-length and dataset) — start a new run with "
            "--overwrite-output-dir or another --output-dir"
        )
    weights = Path(checkpoint) / "model.safetensors"
    if not weights.exists():
        return
    from safetensors import safe_open

    with safe_open(str(weights), "pt") as f:
        theirs_head_only = all(k.startswith("classifier.") for k in f.keys())
    if theirs_head_only != head_only:
        kind = {True: "the head alone (frozen backbone, cached embeddings)", False: "the whole model"}
        raise ModelError(
            f"--resume-from-checkpoint {checkpoint}: trained {kind[theirs_head_only]}, this run trains "
            f"{kind[head_only]}; expected the same --freeze, --unfreeze-last and --cache-embeddings as the run that wrote it"
        )


def reload_weights(model, checkpoint: str) -> None:
    """Load a Trainer checkpoint's weights into ``model`` through ``from_pretrained``'s key conversion.

    transformers 5 saves AST checkpoints under their original key names, but ``Trainer`` reloads them
    (best model, resume) with a plain ``load_state_dict`` that skips the renaming and silently leaves the
    transformer blocks untouched (huggingface/transformers#43701). Loading through ``from_pretrained``
    applies the renaming; ``strict=True`` proves every weight arrived.
    """
    state = type(model).from_pretrained(checkpoint).state_dict()
    model.load_state_dict(state, strict=True)

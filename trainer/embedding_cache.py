"""Head-only training on cached backbone outputs.

With a frozen backbone and materialised variants, the backbone's pooled output for a clip never
changes, so it is computed once per (model, split), cached on disk, and the Trainer trains only the
classification head on it: an epoch then costs a few thousand small matrix products. The head module
trained here *is* the full model's ``classifier``, so the saved ``ASTForAudioClassification`` predicts
exactly what the cached path predicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput

from .fbank_store import FbankStore
from .features import FbankCollator, cache_entry

logger = logging.getLogger(__name__)

EMBEDDING_CACHE_VERSION = 1


def backbone_fingerprint(model) -> str:
    """Hash of the backbone's config and every backbone weight (the head is excluded: it is what trains)."""
    h = hashlib.sha256()
    config = model.config.to_dict()
    for key in ("id2label", "label2id", "num_labels", "architectures", "_name_or_path", "transformers_version"):
        config.pop(key, None)
    h.update(json.dumps(config, sort_keys=True, default=str).encode())
    for name, tensor in sorted(model.audio_spectrogram_transformer.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()[:20]


class EmbeddingStore:
    """Cached pooled backbone outputs of one split: ``embeddings`` ``(n, hidden)`` float32 and ``labels``."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.embeddings = np.load(self.folder / "embeddings.npy", mmap_mode="r")
        self.labels = np.load(self.folder / "labels.npy")

    def __len__(self) -> int:
        return len(self.labels)


@torch.inference_mode()
def pooled_outputs(model, store: FbankStore, collator: FbankCollator, batch_size: int = 16, device=None) -> np.ndarray:
    """The backbone's pooled output for every clip of ``store`` (eval mode, float32)."""
    device = torch.device(device or "cpu")
    backbone = model.audio_spectrogram_transformer
    was_training = backbone.training
    backbone.eval().to(device)
    out = np.zeros((len(store), model.config.hidden_size), dtype=np.float32)
    from tqdm.auto import tqdm

    for start in tqdm(range(0, len(store), batch_size), desc="backbone embeddings", mininterval=5):
        idx = range(start, min(start + batch_size, len(store)))
        batch = collator([{"fbank": store[i]} for i in idx])
        pooled = backbone(batch["input_values"].to(device)).pooler_output
        out[start : start + len(idx)] = pooled.float().cpu().numpy()
    backbone.train(was_training)
    return out


def cached_embeddings(
    model,
    store: FbankStore,
    collator: FbankCollator,
    cache_dir: str | os.PathLike,
    *,
    batch_size: int = 16,
    device=None,
    desc: str = "",
) -> EmbeddingStore:
    """The split's :class:`EmbeddingStore`, keyed by backbone weights, fbank cache and normalisation."""
    payload = {
        "backbone": backbone_fingerprint(model),
        "fbank": store.key,
        "max_length": collator.max_length,
        "mean": collator.mean,
        "std": collator.std,
        "version": EMBEDDING_CACHE_VERSION,
    }
    if collator.bands != "none":  # keys of existing caches stay as they were
        payload["bands"] = collator.bands
    key = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]
    folder = Path(cache_dir) / "embeddings" / key
    if (folder / "meta.json").exists():
        logger.info("embedding cache hit for %s: %s", desc or "split", folder)
        return EmbeddingStore(folder)
    with cache_entry(folder) as tmp:
        np.save(tmp / "embeddings.npy", pooled_outputs(model, store, collator, batch_size, device))
        np.save(tmp / "labels.npy", np.asarray(store.labels, dtype=np.int64))
        (tmp / "meta.json").write_text(json.dumps({**payload, "split": desc, "rows": len(store)}, indent=2))
    return EmbeddingStore(folder)


class EmbeddingDataset(torch.utils.data.Dataset):
    """``{"pooled", "labels"}`` items for the Trainer's default collator."""

    def __init__(self, store: EmbeddingStore):
        self.store = store

    def __len__(self) -> int:
        return len(self.store)

    def __getitem__(self, i: int) -> dict:
        return {"pooled": torch.from_numpy(np.array(self.store.embeddings[i])), "labels": int(self.store.labels[i])}


class HeadOnlyModel(nn.Module):
    """Wraps the full model's ``classifier`` (shared, not copied) so the Trainer can train it on pooled outputs.

    ``config`` is the full model's: the Trainer reads it (e.g. ``problem_type`` for label smoothing).
    """

    def __init__(self, classifier: nn.Module, config=None):
        super().__init__()
        self.classifier = classifier
        self.config = config

    def forward(self, pooled: torch.Tensor, labels: torch.Tensor | None = None) -> SequenceClassifierOutput:
        logits = self.classifier(pooled)
        loss = nn.functional.cross_entropy(logits, labels) if labels is not None else None
        return SequenceClassifierOutput(loss=loss, logits=logits)

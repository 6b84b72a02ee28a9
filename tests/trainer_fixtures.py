"""Tiny cry datasets and tiny AST checkpoints for the trainer's tests (offline, seconds to build)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dataset_builder.schema import NAME_LANGUAGES, features, name_column
from frontend.audio import encode_wav
from tests.synthetic import fake_cry

NAMES = ("Bulbasaur", "Charmander", "Squirtle", "Pikachu", "Psyduck", "Golduck")
SNRS = (None, 0.0, 10.0, 20.0, 30.0)
CONDITIONS = ("clean", "augmented", "capture")
DEFAULT_SIZES = {"train": 8, "validation": 3, "test": 3}


def cry_index(label: int) -> int:
    """The :func:`fake_cry` class a label sounds like (spread out so neighbouring labels differ clearly)."""
    return 3 * label + 3


def split_rows(split: str, n_classes: int, per_class: int, seconds: float, seed: int) -> dict[str, list]:
    """Rows shaped like the builder's output: one fake cry per row, metadata cycled through its values."""
    rng = np.random.default_rng([seed, len(split)])
    cols = {name: [] for name in features(list(NAMES[:n_classes]))}
    i = 0
    for c in range(n_classes):
        for k in range(per_class):
            samples = fake_cry(cry_index(c), seconds=seconds, seed=int(rng.integers(1 << 30))) * float(rng.uniform(0.5, 1.0))
            snr = SNRS[i % len(SNRS)]
            cols["audio"].append({"bytes": encode_wav(samples), "path": None})
            cols["label"].append(c)
            cols["pokedex_id"].append(c + 1)
            for lang in NAME_LANGUAGES:
                cols[name_column(lang)].append(f"{NAMES[c]}-{lang}" if lang != "en" else NAMES[c])
            cols["types"].append(["water"] if c % 2 else ["grass", "poison"])
            cols["generation"].append(1)
            cols["rendition"].append("latest" if k % 2 == 0 else "legacy")
            cols["condition"].append(CONDITIONS[i % len(CONDITIONS)])
            cols["background_kind"].append(None if snr is None else "noise")
            cols["background_id"].append(None if snr is None else f"bg{i % 4}")
            cols["snr_db"].append(snr)
            cols["recipe"].append("{}")
            cols["source_url"].append(f"http://cries.local/{c + 1}.ogg")
            cols["sprite_url"].append(f"http://sprites.local/{c + 1}.gif")
            i += 1
    return cols


def make_dataset_dict(n_classes: int = 3, sizes: dict | None = None, seconds: float = 1.0, seed: int = 0):
    """A ``DatasetDict`` with ``schema.features()`` and trivially separable classes."""
    from datasets import Dataset, DatasetDict

    feats = features(list(NAMES[:n_classes]))
    sizes = sizes or DEFAULT_SIZES
    return DatasetDict(
        {s: Dataset.from_dict(split_rows(s, n_classes, n, seconds, seed), features=feats) for s, n in sizes.items()}
    )


def save_parquet(dsd, root: str | Path) -> Path:
    """The layout ``push_to_hub`` writes (and ``load_dataset(folder)`` reads): ``data/<split>-*.parquet`` + README."""
    root = Path(root)
    (root / "data").mkdir(parents=True, exist_ok=True)
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split, ds in dsd.items():
        ds.to_parquet(str(root / "data" / f"{split}-00000-of-00001.parquet"))
        lines += [f"  - split: {split}", f"    path: data/{split}-*"]
    (root / "README.md").write_text("\n".join(lines + ["---", "", "Synthetic cries for tests."]) + "\n")
    return root


def make_cry_dataset(root: str | Path, layout: str = "parquet", **kwargs) -> Path:
    """Build and save a tiny dataset; ``layout`` is ``parquet`` (builder/Hub layout) or ``disk`` (save_to_disk)."""
    dsd = make_dataset_dict(**kwargs)
    if layout == "disk":
        dsd.save_to_disk(str(root))
        return Path(root)
    return save_parquet(dsd, root)


def make_tiny_ast(folder: str | Path, max_length: int = 1024, num_mel_bins: int = 16, labels=None, seed: int = 0) -> Path:
    """A tiny random ``ASTForAudioClassification`` checkpoint (position embeddings drawn, not left at zero)."""
    import torch
    from transformers import ASTConfig, ASTForAudioClassification

    torch.manual_seed(seed)
    kwargs = {}
    if labels:
        kwargs = {"id2label": dict(enumerate(labels)), "label2id": {n: i for i, n in enumerate(labels)}}
    config = ASTConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        num_mel_bins=num_mel_bins,
        max_length=max_length,
        **kwargs,
    )
    model = ASTForAudioClassification(config)
    with torch.no_grad():
        model.audio_spectrogram_transformer.embeddings.position_embeddings.normal_(0, 0.02)
    model.save_pretrained(folder)
    return Path(folder)

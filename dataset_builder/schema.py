"""The dataset's columns: the contract between the builder, the trainer and the app (the species record
itself is :class:`common.species.Species`).

One row is one variant of one cry. ``label`` is a ClassLabel whose names are the English species
names, so a model trained on it reports species names through ``id2label``.
"""

from __future__ import annotations

from dataclasses import dataclass

from common.species import Species
from frontend.audio import SAMPLE_RATE

NAME_LANGUAGES = ("en", "fr", "ja", "de", "es", "it", "ko", "zh-Hans", "zh-Hant")
"""Languages with their own ``name_<lang>`` column (PokeAPI language identifiers; ``ja`` is the kana name)."""

REQUIRED_NAME_LANGUAGES = ("en", "fr", "ja", "de", "es")
"""Languages every source must provide (the app's selector offers these)."""

SPLITS = ("train", "validation", "test")

CONDITIONS = ("clean", "augmented", "capture")
"""``clean``: the original cry; ``augmented``: the original's four families only; ``capture``: the full
loudspeaker → room → microphone → codec chain on top."""


def name_column(lang: str) -> str:
    """``name_zh-Hans`` is not a valid identifier everywhere: columns use underscores."""
    return "name_" + lang.replace("-", "_")


@dataclass
class CryRef:
    """Where one rendition of one species' cry lives (or of one of its alternate forms: ``form_id``)."""

    species: Species
    rendition: str
    url: str
    form_id: int = 0
    """PokeAPI pokemon id of an alternate form whose cry this is (≥ 10001); 0: the species' own cry."""


def features(label_names: list[str]):
    """The ``datasets.Features`` of every split."""
    from datasets import Audio, ClassLabel, Features, List, Value

    cols = {
        "audio": Audio(sampling_rate=SAMPLE_RATE),
        "label": ClassLabel(names=list(label_names)),
        "pokedex_id": Value("int32"),
    }
    for lang in NAME_LANGUAGES:
        cols[name_column(lang)] = Value("string")
    cols.update(
        {
            "types": List(Value("string")),
            "generation": Value("int32"),
            "rendition": Value("string"),
            "condition": Value("string"),
            "background_kind": Value("string"),
            "background_id": Value("string"),
            "snr_db": Value("float32"),
            "recipe": Value("string"),
            "source_url": Value("string"),
            "sprite_url": Value("string"),
        }
    )
    return Features(cols)

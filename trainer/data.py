"""Load the cry dataset (builder folder, ``save_to_disk`` folder or Hub id) and check it before any work.

Every check fails with an error that names the split, the column and what was expected, so a bad
dataset is caught in seconds rather than after an hour of feature extraction.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from pathlib import Path

from common.hub import looks_local
from frontend.audio import SAMPLE_RATE

logger = logging.getLogger(__name__)


class DatasetError(ValueError):
    """The dataset is not shaped like the builder's output."""


def load_cry_dataset(source: str, config: str | None = None, revision: str | None = None, cache_dir: str | None = None):
    """A ``DatasetDict`` from a local folder (``load_from_disk`` layout or data files) or a Hub id."""
    import datasets

    path = Path(source)
    if path.is_dir():
        if (path / "dataset_dict.json").exists() or (path / "state.json").exists():
            loaded = datasets.load_from_disk(str(path))
        else:
            loaded = datasets.load_dataset(str(path), config, cache_dir=cache_dir)
    elif path.exists():
        raise DatasetError(f"--dataset {source}: is a file; expected a dataset folder or a Hub dataset id")
    elif looks_local(source):
        raise DatasetError(f"--dataset {source}: no such folder; expected the builder's output folder or a Hub id (user/name)")
    else:
        try:
            loaded = datasets.load_dataset(source, config, revision=revision, cache_dir=cache_dir)
        except Exception as err:
            raise DatasetError(
                f"--dataset {source}: could not load it as a Hub dataset ({type(err).__name__}: {err}); "
                "expected the builder's output folder or a reachable Hub dataset id (HF_ENDPOINT)"
            ) from err
    if isinstance(loaded, datasets.Dataset):
        raise DatasetError(
            f"--dataset {source}: holds a single split; expected a DatasetDict with a train split (and validation, or "
            "--train-val-split) and optionally test"
        )
    return loaded


def extra_train_splits(
    sources: list[str], names: list[str], features, split: str = "train", audio_column: str = "audio",
    label_column: str = "label", cache_dir: str | None = None,
) -> list:
    """The ``split`` of each dataset in ``sources`` (folders or Hub ids), to be appended to the main dataset's.

    Each one is checked like the main dataset and must carry the same ``ClassLabel`` and columns (``features``),
    so a row's label means the same species whichever dataset it came from.
    """
    out = []
    for source in sources:
        extra = load_cry_dataset(source, cache_dir=cache_dir)
        try:
            extra_names = validate(extra, [split], audio_column, label_column)
        except DatasetError as err:
            raise DatasetError(f"--extra-train-datasets {source}: {err}") from err
        if extra_names != names:
            raise DatasetError(
                f"--extra-train-datasets {source}: its labels ({len(extra_names)}: {extra_names[:3]}…) differ from "
                f"--dataset's ({len(names)}: {names[:3]}…); expected the same ClassLabel (build both with the same --ids)"
            )
        theirs = extra[split].features
        if theirs != features:
            diff = sorted(k for k in set(features) | set(theirs) if features.get(k) != theirs.get(k))
            raise DatasetError(
                f"--extra-train-datasets {source}: split {split!r} differs from --dataset's in column(s) "
                f"{', '.join(diff)}; expected the same features (both made by the same dataset builder version)"
            )
        out.append(extra[split])
    return out


def prepare_columns(dsd, audio_column: str = "audio", label_column: str = "label"):
    """Make any audio classification dataset trainable: audio decoded at :data:`SAMPLE_RATE`, labels a ``ClassLabel``.

    Audio declared at another rate (or none) is cast to ``Audio(sampling_rate=16000)``, so datasets resamples on
    decode; a string label column is encoded with one ``ClassLabel`` (sorted names) shared by every split.
    """
    from datasets import Audio, ClassLabel, DatasetDict, Value

    dsd = DatasetDict(dsd)
    for split, ds in dsd.items():
        feature = ds.features.get(audio_column)
        if isinstance(feature, Audio) and feature.sampling_rate != SAMPLE_RATE:
            dsd[split] = ds.cast_column(audio_column, Audio(sampling_rate=SAMPLE_RATE))
    string_labels = [s for s, ds in dsd.items() if ds.features.get(label_column) == Value("string")]
    if string_labels:
        names = sorted({v for s in string_labels for v in dsd[s].unique(label_column) if v is not None})
        for split in string_labels:
            dsd[split] = dsd[split].cast_column(label_column, ClassLabel(names=names))
    return dsd


def split_validation(dsd, train_split: str, eval_split: str, fraction: float | None, seed: int, label_column: str = "label"):
    """Hold out ``fraction`` of ``train_split`` as ``eval_split`` when the dataset has none (``--train-val-split``).

    The draw is stratified by label (when every class has two clips) and seeded, so every process of a
    distributed run, and every rerun, gets the same split.
    """
    from datasets import DatasetDict

    if eval_split in dsd:
        if fraction is not None:
            logger.warning("--train-val-split %s ignored: the dataset has a %r split", fraction, eval_split)
        return dsd
    if fraction is None:
        raise DatasetError(
            f"dataset has no {eval_split!r} split (it has {', '.join(sorted(dsd))}); pass --train-val-split 0.2 to hold "
            f"out part of {train_split!r} as validation, or --eval-split NAME"
        )
    if train_split not in dsd:
        raise DatasetError(f"--train-val-split: dataset has no {train_split!r} split to take validation from (it has {sorted(dsd)})")
    train = dsd[train_split]
    counts = Counter(train[label_column])
    stratify = label_column if counts and min(counts.values()) >= 2 else None
    if stratify is None:
        logger.warning("--train-val-split: some class has a single train clip; validation is drawn without stratifying")
    parts = train.train_test_split(test_size=fraction, seed=seed, stratify_by_column=stratify)
    out = DatasetDict(dsd)
    out[train_split], out[eval_split] = parts["train"], parts["test"]
    logger.info("--train-val-split %s: %d train and %d validation clips", fraction, len(parts["train"]), len(parts["test"]))
    return out


def label_names(dsd, split: str = "train", label_column: str = "label") -> list[str]:
    """Class names from the label column's ``ClassLabel`` (the English species names)."""
    return list(dsd[split].features[label_column].names)


def validate(dsd, splits: list[str], audio_column: str = "audio", label_column: str = "label") -> list[str]:
    """Check the columns, labels, sample rates and sizes of ``splits``; return the label names."""
    from datasets import Audio, ClassLabel

    missing = [s for s in splits if s not in dsd]
    if missing:
        raise DatasetError(f"dataset has no split {', '.join(map(repr, missing))}; it has {sorted(dsd)}, expected {splits}")
    names = None
    for split in splits:
        ds = dsd[split]
        feats = ds.features
        if audio_column not in feats:
            raise DatasetError(
                f"split {split!r} has no {audio_column!r} column (columns: {', '.join(feats)}); "
                "expected an Audio column as the builder writes it"
            )
        if not isinstance(feats[audio_column], Audio):
            raise DatasetError(
                f"split {split!r}: column {audio_column!r} is {type(feats[audio_column]).__name__}; expected datasets.Audio"
            )
        if label_column not in feats:
            raise DatasetError(
                f"split {split!r} has no {label_column!r} column (columns: {', '.join(feats)}); "
                "expected a ClassLabel of species names"
            )
        if not isinstance(feats[label_column], ClassLabel):
            raise DatasetError(
                f"split {split!r}: column {label_column!r} is {feats[label_column]!r}; expected a ClassLabel whose "
                "names are the species (cast it with datasets.ClassLabel(names=[...]))"
            )
        if len(ds) == 0:
            raise DatasetError(f"split {split!r} is empty; expected at least one clip in each of {splits}")
        split_names = list(feats[label_column].names)
        if names is None:
            names = split_names
        elif split_names != names:
            raise DatasetError(
                f"split {split!r} has labels {split_names[:5]}… but {splits[0]!r} has {names[:5]}…; expected one ClassLabel"
            )
        check_sample_rate(ds, split, audio_column)
    return names


def check_sample_rate(ds, split: str, audio_column: str = "audio") -> None:
    """Every clip must be (or be decoded to) :data:`SAMPLE_RATE`.

    With ``Audio(sampling_rate=16000)`` datasets resamples on decode, so any stored rate is fine. An
    ``Audio`` feature declaring another rate is wrong; one declaring none decodes at each file's own
    rate, so every file header is read and mixed or wrong rates are reported.
    """
    declared = ds.features[audio_column].sampling_rate
    if declared is not None:
        if declared != SAMPLE_RATE:
            raise DatasetError(
                f"split {split!r}: column {audio_column!r} decodes at {declared} Hz; expected {SAMPLE_RATE} Hz "
                f"(cast it: ds.cast_column({audio_column!r}, Audio(sampling_rate={SAMPLE_RATE})))"
            )
        return
    rates = Counter(_stored_rate(entry) for entry in _raw_audio(ds, audio_column))
    if set(rates) != {SAMPLE_RATE}:
        found = ", ".join(f"{r} Hz × {n}" for r, n in sorted(rates.items(), key=lambda kv: str(kv[0])))
        kind = "mixed sample rates" if len(rates) > 1 else "a wrong sample rate"
        raise DatasetError(
            f"split {split!r}: column {audio_column!r} has {kind} ({found}) and declares none; expected every clip "
            f"at {SAMPLE_RATE} Hz (cast it: ds.cast_column({audio_column!r}, Audio(sampling_rate={SAMPLE_RATE})))"
        )


def _raw_audio(ds, audio_column: str):
    from datasets import Audio

    return ds.select_columns([audio_column]).cast_column(audio_column, Audio(decode=False))[audio_column]


def _stored_rate(entry: dict) -> int | None:
    import soundfile as sf

    src = io.BytesIO(entry["bytes"]) if entry.get("bytes") else entry.get("path")
    try:
        return sf.info(src).samplerate
    except Exception:
        from torchcodec.decoders import AudioDecoder

        return AudioDecoder(entry["bytes"] if entry.get("bytes") else entry["path"]).metadata.sample_rate


def subset(ds, max_samples: int | None):
    """The first ``max_samples`` rows (all when ``None``)."""
    return ds if max_samples is None or max_samples >= len(ds) else ds.select(range(max_samples))


def condition_rows(ds, conditions: str, column: str = "condition", option: str = "--train-conditions") -> list[int]:
    """Indices of the rows whose ``condition`` is in the comma-separated ``conditions``; a clear error, naming the
    ``option`` that asked for them, otherwise."""
    wanted = {c.strip() for c in conditions.split(",") if c.strip()}
    if column not in ds.column_names:
        raise ValueError(f"{option} needs a {column!r} column; the dataset has {', '.join(ds.column_names)}")
    values = list(ds.select_columns([column])[column])
    unknown = wanted - set(values)
    if unknown:
        raise ValueError(
            f"{option} {conditions!r}: no training row has condition {', '.join(sorted(unknown))}; "
            f"expected some of {', '.join(sorted(set(values)))}"
        )
    return [i for i, v in enumerate(values) if v in wanted]


def species_info(dsd, splits: list[str], names: list[str], label_column: str = "label"):
    """Per-species metadata for ``pokedex.json`` from the dataset's columns: ``({name: Species}, languages)``.

    The first row of each label (in ``splits`` order) supplies it; a column the dataset lacks is left empty.
    The ``no_cry`` class is no species: it has no entry.
    """
    from common.species import NO_CRY_LABEL, Species
    from dataset_builder.schema import NAME_LANGUAGES, name_column

    found: dict[int, dict] = {}
    lang_cols = {lang: name_column(lang) for lang in NAME_LANGUAGES}
    for split in splits:
        ds = dsd[split]
        wanted = [c for c in ["pokedex_id", "types", "generation", "sprite_url", *lang_cols.values()] if c in ds.column_names]
        columns = ds.select_columns([label_column, *wanted]).to_dict()
        for i, label in enumerate(columns[label_column]):
            if label not in found:
                found[label] = {c: columns[c][i] for c in wanted}
        if len(found) == len(names):
            break
    species, languages = {}, []
    for lang, col in lang_cols.items():
        if any(row.get(col) for row in found.values()) and lang not in languages:
            languages.append(lang)
    for label, name in enumerate(names):
        if name == NO_CRY_LABEL:
            continue
        row = found.get(label, {})
        species[name] = Species(
            pokedex_id=int(row.get("pokedex_id") or 0),
            identifier=str(row.get("identifier") or ""),
            names={lang: row[col] for lang, col in lang_cols.items() if row.get(col)} or {"en": name},
            types=list(row.get("types") or []),
            generation=int(row.get("generation") or 0),
            sprite_url=row.get("sprite_url") or "",
        )
    return species, languages or ["en"]

"""Loading the builder's layouts, the Pokédex metadata, and clear errors for each kind of bad dataset."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datasets import Audio, ClassLabel, Dataset, DatasetDict, Value

from frontend.audio import encode_wav
from tests.synthetic import audio_bytes, fake_cry
from tests.trainer_fixtures import NAMES, make_cry_dataset, make_dataset_dict
from trainer.args import ModelArguments, TrainArguments, parse_args
from trainer.data import (
    DatasetError,
    load_cry_dataset,
    prepare_columns,
    species_info,
    split_validation,
    validate,
)

SPLITS = ["train", "validation", "test"]


@pytest.fixture(scope="module")
def dsd():
    return make_dataset_dict(n_classes=2, sizes={"train": 2, "validation": 1, "test": 1}, seconds=0.5)


@pytest.mark.parametrize("layout", ["parquet", "disk"])
def test_both_folder_layouts_load_with_names_from_the_class_label(tmp_path, layout):
    folder = make_cry_dataset(tmp_path / layout, layout=layout, n_classes=2, sizes={"train": 1, "test": 1}, seconds=0.5)
    loaded = load_cry_dataset(str(folder), cache_dir=str(tmp_path / "hf"))
    assert set(loaded) == {"train", "test"}
    assert validate(loaded, ["train", "test"]) == list(NAMES[:2])


def test_species_info_comes_from_the_dataset_columns(dsd):
    species, languages = species_info(dsd, SPLITS, list(NAMES[:2]))
    assert languages[:5] == ["en", "fr", "ja", "de", "es"]
    charmander = species["Charmander"]
    assert (charmander.pokedex_id, charmander.types, charmander.generation) == (2, ["water"], 1)
    assert charmander.names["fr"] == "Charmander-fr" and charmander.sprite_url.endswith("/2.gif")
    # the no_cry class (the last label when a build has one) is no species: pokedex.json has no entry for it
    with_class, _ = species_info(dsd, SPLITS, [*NAMES[:2], "no_cry"])
    assert set(with_class) == set(NAMES[:2])


def test_missing_audio_or_label_column(dsd):
    with pytest.raises(DatasetError, match=r"split 'train' has no 'audio' column .*expected an Audio column"):
        validate(DatasetDict(train=dsd["train"].remove_columns("audio")), ["train"])
    with pytest.raises(DatasetError, match=r"split 'train' has no 'label' column .*expected a ClassLabel"):
        validate(DatasetDict(train=dsd["train"].remove_columns("label")), ["train"])
    as_int = dsd["train"].cast_column("label", Value("int64"))
    with pytest.raises(DatasetError, match="expected a ClassLabel whose names are the species"):
        validate(DatasetDict(train=as_int), ["train"])


def test_empty_or_missing_split(dsd):
    empty = DatasetDict(train=dsd["train"], validation=dsd["validation"].select([]))
    with pytest.raises(DatasetError, match="split 'validation' is empty; expected at least one clip"):
        validate(empty, ["train", "validation"])
    with pytest.raises(DatasetError, match=r"dataset has no split 'validation'; it has \['train'\]"):
        validate(DatasetDict(train=dsd["train"]), ["train", "validation"])


def test_wrong_declared_sample_rate(dsd):
    wrong = dsd["train"].cast_column("audio", Audio(sampling_rate=8000))
    with pytest.raises(DatasetError, match="decodes at 8000 Hz; expected 16000 Hz"):
        validate(DatasetDict(train=wrong), ["train"])


def raw_rate_split(rates: list[int]):
    """Files stored at their own rates, with an ``Audio()`` feature that declares none."""
    rows = {
        "audio": [{"bytes": audio_bytes(fake_cry(0, 0.3, sample_rate=r), sample_rate=r, fmt="wav"), "path": None} for r in rates],
        "label": [0] * len(rates),
    }
    return Dataset.from_dict(rows).cast_column("audio", Audio()).cast_column("label", ClassLabel(names=["Mew"]))


def test_mixed_or_wrong_stored_sample_rates():
    with pytest.raises(DatasetError, match=r"mixed sample rates \(16000 Hz × 1, 22050 Hz × 2\).*expected every clip at 16000 Hz"):
        validate(DatasetDict(train=raw_rate_split([16000, 22050, 22050])), ["train"])
    with pytest.raises(DatasetError, match=r"a wrong sample rate \(44100 Hz × 1\)"):
        validate(DatasetDict(train=raw_rate_split([44100])), ["train"])
    validate(DatasetDict(train=raw_rate_split([16000, 16000])), ["train"])


def test_missing_dataset_folder_and_single_split(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        load_cry_dataset(str(tmp_path / "missing" / "dataset"))
    single = Dataset.from_dict({"audio": [{"bytes": encode_wav(np.zeros(800, np.float32)), "path": None}]})
    single.save_to_disk(str(tmp_path / "single"))
    with pytest.raises(DatasetError, match="single split; expected a DatasetDict with a train split"):
        load_cry_dataset(str(tmp_path / "single"))


def test_arguments_parse_flags_and_json_and_reject_nonsense(tmp_path):
    model, data, train = parse_args(
        ["--dataset", "d", "--output-dir", str(tmp_path), "--init", "scratch", "--preset", "tiny", "--push-to-hub", "me/m"]
    )
    assert (model.freeze, model.preset, train.push_to_hub, train.push_to_hub_repo) == ("none", "tiny", False, "me/m")
    assert train.eval_strategy == "epoch" and train.load_best_model_at_end and not train.remove_unused_columns
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"dataset": "d", "output_dir": str(tmp_path), "unfreeze_last": 2, "warmup_steps": 0.05}))
    model, data, train = parse_args([str(config)])
    assert (model.freeze, model.unfreeze_last, train.warmup_steps) == ("backbone", 2, 0.05)
    with pytest.raises(ValueError, match="--freeze backbone with --init scratch"):
        ModelArguments(init="scratch", freeze="backbone")
    with pytest.raises(ValueError, match="expected a Hub repository id"):
        TrainArguments(output_dir=str(tmp_path), push_to_hub="true")


def test_train_conditions_keep_only_the_named_conditions():
    from trainer.data import condition_rows

    ds = Dataset.from_dict({"condition": ["clean", "capture", "augmented", "capture"], "label": [0, 1, 0, 1]})
    kept = ds.select(condition_rows(ds, "clean, augmented"))
    assert list(kept["condition"]) == ["clean", "augmented"] and list(kept["label"]) == [0, 0]
    with pytest.raises(ValueError, match="no training row has condition studio.*expected some of augmented, capture, clean"):
        condition_rows(ds, "clean,studio")
    with pytest.raises(ValueError, match="needs a 'condition' column"):
        condition_rows(ds.remove_columns("condition"), "clean")


def test_extra_train_splits_are_checked_against_the_main_dataset(tmp_path):
    from trainer.data import extra_train_splits

    main = load_cry_dataset(str(make_cry_dataset(tmp_path / "main", n_classes=2, sizes={"train": 2, "validation": 1})),
                            cache_dir=str(tmp_path / "hf"))
    extra = make_cry_dataset(tmp_path / "extra", n_classes=2, sizes={"train": 3, "validation": 5}, seed=1)
    names, feats = validate(main, ["train", "validation"]), main["train"].features
    parts = extra_train_splits([str(extra), str(extra)], names, feats, cache_dir=str(tmp_path / "hf"))
    assert [p.num_rows for p in parts] == [6, 6] and all(p.features == feats for p in parts)
    again = extra_train_splits([str(extra)], names, feats, cache_dir=str(tmp_path / "hf"))
    assert again[0]._fingerprint == parts[0]._fingerprint  # so its fbank cache entry is found again

    other = make_cry_dataset(tmp_path / "three", n_classes=3, sizes={"train": 1})
    with pytest.raises(DatasetError, match=r"--extra-train-datasets .*three: its labels \(3: .*differ from --dataset's \(2: "):
        extra_train_splits([str(other)], names, feats, cache_dir=str(tmp_path / "hf"))
    no_train = make_cry_dataset(tmp_path / "no-train", n_classes=2, sizes={"test": 1})
    with pytest.raises(DatasetError, match=r"--extra-train-datasets .*no-train: dataset has no split 'train'"):
        extra_train_splits([str(no_train)], names, feats, cache_dir=str(tmp_path / "hf"))
    fewer = make_dataset_dict(n_classes=2, sizes={"train": 1})
    fewer["train"] = fewer["train"].remove_columns("recipe")
    fewer.save_to_disk(str(tmp_path / "fewer"))
    with pytest.raises(DatasetError, match=r"differs from --dataset's in column\(s\) recipe; expected the same features"):
        extra_train_splits([str(tmp_path / "fewer")], names, feats, cache_dir=str(tmp_path / "hf"))


def foreign_split(n_per_class: int, rate: int = 22050, names=("dog", "cat", "bird")) -> Dataset:
    """Another dataset's shape: audio stored and declared at ``rate``, string labels."""
    rows = {"audio": [], "label": []}
    for c, name in enumerate(names):
        for k in range(n_per_class):
            samples = fake_cry(3 * c + 3, 0.3, sample_rate=rate, seed=k)
            rows["audio"].append({"bytes": audio_bytes(samples, sample_rate=rate, fmt="wav"), "path": None})
            rows["label"].append(name)
    return Dataset.from_dict(rows).cast_column("audio", Audio(sampling_rate=rate))


def test_any_dataset_is_resampled_and_its_string_labels_encoded_once_for_all_splits():
    raw = DatasetDict(train=foreign_split(2), test=foreign_split(1, names=("cat", "emu")))
    with pytest.raises(DatasetError, match="decodes at 22050 Hz"):
        validate(raw.cast_column("label", ClassLabel(names=["bird", "cat", "dog", "emu"])), ["train"])
    ready = prepare_columns(raw)
    assert validate(ready, ["train", "test"]) == ["bird", "cat", "dog", "emu"]  # one ClassLabel, sorted names
    assert ready["test"].features["label"].int2str(ready["test"][1]["label"]) == "emu"
    audio = ready["train"][0]["audio"]
    assert audio["sampling_rate"] == 16000 and len(audio["array"]) == pytest.approx(0.3 * 16000, abs=2)


def test_train_val_split_holds_out_a_stratified_seeded_fraction():
    dsd = prepare_columns(DatasetDict(train=foreign_split(10), test=foreign_split(1)))
    with pytest.raises(DatasetError, match=r"no 'validation' split \(it has test, train\); pass --train-val-split 0.2"):
        split_validation(dsd, "train", "validation", None, seed=0)
    a = split_validation(dsd, "train", "validation", 0.2, seed=0)
    b = split_validation(dsd, "train", "validation", 0.2, seed=0)
    assert (len(a["train"]), len(a["validation"]), len(a["test"])) == (24, 6, 3)
    assert sorted(a["validation"]["label"]) == [0, 0, 1, 1, 2, 2]  # two of each class: stratified
    assert a["validation"]["label"] == b["validation"]["label"] and a["train"]["label"] == b["train"]["label"]
    assert split_validation(a, "train", "validation", 0.5, seed=0) is a  # a dataset that has one keeps it


def test_column_name_flags_and_split_fraction_parse(tmp_path):
    _, data, train = parse_args(["--dataset", "d", "--output-dir", str(tmp_path), "--audio-column-name", "speech",
                                 "--label-column-name", "intent", "--train-val-split", "0.1"])
    assert (data.audio_column, data.label_column, data.train_val_split) == ("speech", "intent", 0.1)
    from trainer.args import has_accelerator

    if not has_accelerator():  # no GPU: one gloo job under torchrun, and no pin_memory warning
        assert train.use_cpu and not train.dataloader_pin_memory
    with pytest.raises(ValueError, match=r"--train-val-split must be a fraction in \(0, 1\)"):
        parse_args(["--dataset", "d", "--output-dir", str(tmp_path), "--train-val-split", "1.5"])

"""Cached fbanks equal what the saved feature extractor computes; the cache is reused; SpecAugment masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from frontend.fbank import compute_fbank, make_extractor, num_frames
from frontend.windows import training_example
from tests.synthetic import fake_cry
from tests.trainer_fixtures import make_dataset_dict
from trainer.fbank_store import ConcatFbankStore
from trainer.features import FbankCollator, FbankDataset, cached_fbanks, fit_max_length
from trainer.specaugment import SpecAugment


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    """A small saved split of 6 clips (a loaded dataset has a stable fingerprint, as the builder's output does)."""
    from datasets import load_from_disk

    folder = tmp_path_factory.mktemp("ds") / "dsd"
    make_dataset_dict(n_classes=2, sizes={"train": 3}, seconds=1.5).save_to_disk(str(folder))  # 3 per class
    return load_from_disk(str(folder))["train"]


def test_fit_max_length_covers_the_longest_clip_with_whole_patches():
    assert num_frames(4 * 16_000) == 398
    assert fit_max_length(398, 16, 10) == 406 and (406 - 16) % 10 == 0
    assert fit_max_length(398, 16, 8) == 400
    assert fit_max_length(398, 16, 16) == 400
    assert fit_max_length(3, 16, 10) == 16  # never shorter than one patch


def test_cached_fbanks_padded_and_normalised_equal_the_feature_extractor(split, tmp_path):
    store = cached_fbanks(split, 32, tmp_path, desc="train")
    assert len(store) == 6
    mean, std = store.stats()
    extractor = make_extractor(32, max_length=160, mean=mean, std=std)
    for i, row in enumerate(split):
        example = training_example(row["audio"]["array"])  # the app's trim and loudness
        assert list(store.lengths)[i] == num_frames(len(example)) <= num_frames(24_000)
        expected = extractor(example, sampling_rate=16_000, return_tensors="np")["input_values"][0]
        batch = FbankCollator(160, mean, std)([{"fbank": store[i], "labels": 0}])
        np.testing.assert_allclose(batch["input_values"][0].numpy(), expected, rtol=1e-5, atol=1e-5)
    # The dataset's own statistics: normalised real frames have mean 0 and std 1/2 (AST divides by 2σ).
    real = np.concatenate([(store[i] - mean) / (2 * std) for i in range(len(store))])
    assert abs(real.mean()) < 1e-4 and real.std() == pytest.approx(0.5, rel=1e-3)


def test_the_cache_is_reused_not_recomputed(split, tmp_path, monkeypatch):
    first = cached_fbanks(split, 32, tmp_path, desc="train")
    calls = []
    monkeypatch.setattr("trainer.features.compute_fbank", lambda *a: calls.append(1) or compute_fbank(*a))
    again = cached_fbanks(split, 32, tmp_path, desc="train")
    assert calls == [] and again.folder == first.folder
    other = cached_fbanks(split, 16, tmp_path, desc="train")  # other mel settings: another entry
    assert len(calls) == 6 and other.folder != first.folder
    assert sorted(p.name for p in (tmp_path / "fbank").iterdir()) == sorted([first.key, other.key])  # no temp left


def test_spec_augment_masks_stripes_and_follows_torch_seed():
    fb = np.ones((100, 32), dtype=np.float32)
    aug = SpecAugment(freq_mask=8, time_mask=20, num_masks=2, fill=-5.0)
    torch.manual_seed(0)
    params = aug.draw(100, 32)
    out = aug.apply(fb, params)
    assert len(params) == 4 and np.all(fb == 1.0)  # the input is not modified
    for axis, start, width in params:
        region = out[start : start + width] if axis == 0 else out[:, start : start + width]
        assert np.all(region == -5.0)
    torch.manual_seed(0)
    assert aug.draw(100, 32) == params
    with pytest.raises(ValueError, match="freq_mask must be >= 0"):
        SpecAugment(freq_mask=-1)


def test_augmentation_only_touches_the_training_items(split, tmp_path):
    store = cached_fbanks(split, 32, tmp_path, desc="train")
    torch.manual_seed(1)
    augmented = FbankDataset(store, SpecAugment(8, 30, 1, fill=0.0))[0]["fbank"]
    assert not np.array_equal(augmented, store[0]) and np.array_equal(FbankDataset(store)[0]["fbank"], store[0])


def test_compute_fbank_accepts_stereo_and_too_short_clips():
    extractor = make_extractor(16)
    stereo = np.stack([fake_cry(0, 0.5), fake_cry(0, 0.5)])
    assert compute_fbank(stereo, extractor).shape == (num_frames(8000), 16)
    assert compute_fbank(np.zeros(100, dtype=np.float32), extractor).shape == (0, 16)


def test_a_row_selection_is_a_view_on_the_split_entry_not_a_new_one(split, tmp_path):
    store = cached_fbanks(split, 32, tmp_path, desc="train")
    rows = [4, 1, 3]
    view = store.select(rows)
    fresh = cached_fbanks(split.select(rows), 32, tmp_path / "fresh", desc="train")  # what a filtered split computes
    assert len(view) == 3 and list(view.labels) == list(fresh.labels) and list(view.lengths) == list(fresh.lengths)
    for k, r in enumerate(rows):
        np.testing.assert_array_equal(view[k], store[r])
        np.testing.assert_array_equal(view[k], fresh[k])
    assert view.stats() == pytest.approx(fresh.stats(), rel=1e-9)
    assert view.stats() != pytest.approx(store.stats(), rel=1e-9)
    # Nothing new is written; the key names the selection, so caches derived from a view never mix subsets.
    assert [p.name for p in (tmp_path / "fbank").iterdir()] == [store.key]
    assert view.key.startswith(store.key) and view.key != store.key and store.select([1, 3, 4]).key != view.key
    with pytest.raises(IndexError, match=r"row selection out of range; expected indices in \[0, 6\)"):
        store.select([0, 6])


def test_stores_concatenated_read_like_the_concatenated_split_without_computing_it(split, tmp_path):
    """A supplement appended to the train split: each part keeps its own cache entry."""
    from datasets import concatenate_datasets, load_from_disk

    folder = tmp_path / "extra"
    make_dataset_dict(n_classes=2, sizes={"train": 2}, seconds=0.8, seed=5).save_to_disk(str(folder))
    extra = load_from_disk(str(folder))["train"]
    parts = [cached_fbanks(split, 32, tmp_path, desc="train"), cached_fbanks(extra, 32, tmp_path, desc="extra")]
    both = ConcatFbankStore(parts)
    fresh = cached_fbanks(concatenate_datasets([split, extra]), 32, tmp_path / "fresh", desc="concatenated")
    assert len(both) == 10 and list(both.labels) == list(fresh.labels) and list(both.lengths) == list(fresh.lengths)
    for i in range(10):
        np.testing.assert_array_equal(both[i], fresh[i])
    assert both.stats() == pytest.approx(fresh.stats(), rel=1e-9)
    assert sorted(p.name for p in (tmp_path / "fbank").iterdir()) == sorted(p.key for p in parts)
    # Views compose as on a single store, and their keys name the selection.
    rows = [9, 0, 7, 6]
    view = both.select(rows)
    assert list(view.labels) == [fresh.labels[r] for r in rows] and list(view.lengths) == [fresh.lengths[r] for r in rows]
    np.testing.assert_array_equal(view.select([2])[0], fresh[7])
    assert view.stats() == pytest.approx(fresh.select(rows).stats(), rel=1e-9)
    assert len({both.key, view.key, both.select([9, 0, 7]).key, ConcatFbankStore(parts[::-1]).key}) == 4
    with pytest.raises(IndexError, match=r"row selection out of range; expected indices in \[0, 10\)"):
        both.select([10])


def test_the_onset_setting_prepares_the_cached_examples_and_keys_their_entry(split, tmp_path):
    plain = cached_fbanks(split, 32, tmp_path, desc="train")
    onset = cached_fbanks(split, 32, tmp_path, desc="train", onset_below_peak_db=20.0)
    assert onset.folder != plain.folder and list(onset.lengths) != list(plain.lengths)
    for i, row in enumerate(split):
        example = training_example(row["audio"]["array"], None, 20.0)
        np.testing.assert_allclose(onset[i], compute_fbank(example, make_extractor(32)), rtol=1e-6, atol=1e-6)

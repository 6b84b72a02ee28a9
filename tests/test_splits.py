"""The split policy and its leak rules: no random stream, background recording or room shared across splits."""

from __future__ import annotations

import json
import re

import pytest

from dataset_builder.schema import SPLITS, CryRef, Species
from dataset_builder.splits import SplitPolicy
from tests.synthetic import fake_cry

SPECIES = [Species(i, f"p{i}", {"en": f"P{i}"}, generation=1) for i in (1, 4, 25)]
REFS = [CryRef(s, r, f"http://h/{r}/{s.pokedex_id}.ogg") for s in SPECIES for r in ("latest", "legacy")]


@pytest.mark.parametrize("n", [0, 1, 2, 4, 7, 25, 100])
def test_counts_add_up_to_variants_per_cry(n):
    counts = SplitPolicy(variants_per_cry=n).counts("latest")
    assert sum(counts.values()) == n and min(counts.values()) >= 0


def test_default_ratio_is_70_15_15():
    assert SplitPolicy(variants_per_cry=25).counts("latest") == {"train": 17, "validation": 4, "test": 4}
    assert SplitPolicy(variants_per_cry=100).counts("latest") == {"train": 70, "validation": 15, "test": 15}


def test_every_original_has_a_clean_copy_in_every_split():
    jobs = SplitPolicy(variants_per_cry=25).plan(REFS)
    clean = {(j.pokedex_id, j.rendition, j.split) for j in jobs if j.condition == "clean"}
    assert clean == {(r.species.pokedex_id, r.rendition, s) for r in REFS for s in SPLITS}
    assert len(jobs) == len(REFS) * (25 + 3)


def test_capture_fraction_is_spread_over_each_split():
    policy = SplitPolicy(variants_per_cry=25, capture_fraction=0.6)
    assert policy.conditions(17).count("capture") == 10 and policy.conditions(4).count("capture") == 2
    assert policy.conditions(4) in (["augmented", "capture", "augmented", "capture"], ["capture", "augmented", "capture", "augmented"])
    assert set(SplitPolicy(capture_fraction=0.0).conditions(10)) == {"augmented"}
    assert set(SplitPolicy(capture_fraction=1.0).conditions(10)) == {"capture"}


def test_random_streams_are_unique_and_differ_between_splits():
    jobs = SplitPolicy(variants_per_cry=25).plan(REFS)
    entropies = [j.entropy(0) for j in jobs]
    assert len(set(entropies)) == len(entropies)
    first = {s: [j.rng(0).random() for j in jobs if j.split == s] for s in SPLITS}
    assert not set(first["train"]) & set(first["test"]) and not set(first["train"]) & set(first["validation"])
    # Another seed changes every stream; the same seed gives the same one.
    assert jobs[5].rng(0).random() == jobs[5].rng(0).random() != jobs[5].rng(1).random()


def test_holdout_rendition_is_only_in_test():
    policy = SplitPolicy(variants_per_cry=25, holdout_rendition="legacy")
    jobs = policy.plan(REFS)
    assert {j.split for j in jobs if j.rendition == "legacy"} == {"test"}
    assert sum(j.rendition == "legacy" for j in jobs) == 3 * 26  # clean + all 25 variants, per original
    assert {j.split for j in jobs if j.rendition == "latest"} == set(SPLITS)
    assert "`legacy` is held out" in policy.describe()


def test_describe_states_the_counts():
    text = SplitPolicy(variants_per_cry=25).describe()
    assert "17 in train, 4 in validation, 4 in test" in text and "per-split pools" in text


def test_variants_share_no_background_room_or_stream_across_splits(tmp_path):
    """The real VariantMaker driven by the build's row maker: every resource a split uses is its own."""
    from dataset_builder.backgrounds import BackgroundBank, BackgroundConfig
    from dataset_builder.build import OriginalTask, make_variants
    from dataset_builder.variants import AugmentConfig, VariantMaker

    small = {"train": 3, "validation": 2, "test": 2}
    bank = BackgroundBank.build(BackgroundConfig(cache_dir=str(tmp_path), procedural_per_split=small, procedural_seconds=2.0), seed=0)
    maker = VariantMaker(AugmentConfig(rooms_per_split=small, positions_per_room=2), bank, seed=0)
    policy = SplitPolicy(variants_per_cry=20, capture_fraction=0.5, holdout_rendition="legacy")
    refs = [CryRef(SPECIES[0], "latest", "u1"), CryRef(SPECIES[0], "legacy", "u2"), CryRef(SPECIES[1], "latest", "u3")]
    tasks = [
        OriginalTask(fake_cry(i, 0.6), {"source_url": r.url, "rendition": r.rendition}, policy.jobs(r)) for i, r in enumerate(refs)
    ]
    rows = [row for task_rows in make_variants(tasks, maker, seed=0) for _, row in task_rows]
    used = {s: {"background": set(), "room": set(), "stream": set()} for s in SPLITS}
    for row in rows:
        recipe = json.loads(row["recipe"])
        split = SPLITS[recipe["stream"][1]]
        if row["background_id"]:
            used[split]["background"].add(row["background_id"])
        used[split]["room"] |= set(re.findall(r'"room": "([^"]+)"', row["recipe"]))
        used[split]["stream"].add(tuple(recipe["stream"]))
    for key in ("background", "room", "stream"):
        assert used["train"][key] and used["test"][key], key
        for a, b in (("train", "test"), ("train", "validation"), ("validation", "test")):
            assert not used[a][key] & used[b][key], f"{key} shared between {a} and {b}"
    assert {SPLITS[json.loads(r["recipe"])["stream"][1]] for r in rows if r["rendition"] == "legacy"} == {"test"}

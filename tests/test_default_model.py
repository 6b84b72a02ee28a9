"""The committed embedded model: what the app and the Space read from ``models/default`` is complete and public."""

import json
from pathlib import Path

import pytest

from common.species import NO_CRY_LABEL

MODEL = Path(__file__).resolve().parents[1] / "models" / "default"

pytestmark = pytest.mark.skipif(not (MODEL / "config.json").exists(), reason="models/default is not in this checkout")


def test_pokedex_covers_every_label_with_public_sprites():
    labels = set(json.loads((MODEL / "config.json").read_text())["id2label"].values())
    species = json.loads((MODEL / "pokedex.json").read_text(encoding="utf-8"))["species"]
    assert set(species) == labels - {NO_CRY_LABEL} and len(species) == 1025  # no_cry is a class, not a species
    assert sorted({info["pokedex_id"] for info in species.values()}) == list(range(1, 1026))
    assert {info["generation"] for info in species.values()} == set(range(1, 10))
    for name, info in species.items():
        # a build served from a loopback mirror must not leak its address into the Space
        assert info["sprite_url"].startswith("https://raw.githubusercontent.com/PokeAPI/sprites/"), (name, info["sprite_url"])
        assert info["names"]["fr"] and info["types"]


def test_weights_fit_the_size_budget_and_calibration_is_set():
    assert (MODEL / "model.safetensors").stat().st_size <= 25 * 1024 * 1024
    calibration = json.loads((MODEL / "calibration.json").read_text())
    assert 0 < calibration["temperature"] and 0 < calibration["threshold"] < 1

"""The trainer on a dataset made by the project's own builder (loopback PokeAPI, fake cries)."""

from __future__ import annotations

import json

import pytest

build_module = pytest.importorskip("dataset_builder.build", reason="the dataset builder is not in this checkout")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from pytest_httpserver import HTTPServer

    from dataset_builder.config import BuildConfig, SourceConfig
    from tests.fake_sources import SPECIES, serve_pokeapi

    server = HTTPServer()
    server.start()
    try:
        urls = serve_pokeapi(server, SPECIES[:3])
        root = tmp_path_factory.mktemp("built")
        source = SourceConfig(source="pokeapi", ids="1,4,25", renditions="latest,legacy", **urls)
        config = BuildConfig(output=str(root / "cries"), variants_per_cry=4, seed=0, cache_dir=str(root / "cache"))
        result = build_module.build(source, config)
    finally:
        server.stop()
    return result.output, root


def test_trains_and_reports_on_a_builder_dataset(built):
    import torch

    from trainer.cli import main

    folder, root = built
    out = root / "model"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        args = ["--dataset", str(folder), "--output-dir", str(out), "--init", "scratch", "--preset", "tiny",
                "--num-train-epochs", "2", "--cache-dir", str(root / "features"), "--dataset-cache-dir", str(root / "hf"),
                "--disable-tqdm", "true", "--per-device-train-batch-size", "8"]
        assert main(args) == 0
    finally:
        torch.set_num_threads(threads)
    config = json.loads((out / "config.json").read_text())
    assert sorted(config["id2label"].values()) == ["Bulbasaur", "Charmander", "Pikachu"]
    assert config["max_length"] == 400  # 4 s clips: 398 frames, rounded up to whole 16-frame patches
    pokedex = json.loads((out / "pokedex.json").read_text())["species"]
    assert pokedex["Pikachu"]["pokedex_id"] == 25 and pokedex["Bulbasaur"]["types"] == ["grass", "poison"]
    assert pokedex["Charmander"]["names"]["fr"] and pokedex["Pikachu"]["sprite_url"].endswith("/25.gif")
    metrics = json.loads((out / "eval-test" / "metrics.json").read_text())
    assert set(metrics["groups"]["rendition"]) == {"latest", "legacy"}
    assert set(metrics["groups"]["condition"]) <= {"clean", "augmented", "capture"} and metrics["groups"]["snr_band"]

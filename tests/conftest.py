"""Shared fixtures: synthetic audio only; nothing here downloads or needs ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

SHARED_POKEAPI = Path(__file__).resolve().parents[1].parent / "shared" / "pokeapi"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def shared_pokeapi() -> Path:
    """The real data beside the checkout; tests that need it skip cleanly on a user's clone."""
    if not SHARED_POKEAPI.is_dir():
        pytest.skip("../shared/pokeapi is not beside this checkout")
    return SHARED_POKEAPI


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Where the browser tests keep screenshots for people to look at (``$WHO_ARTIFACTS_DIR``)."""
    folder = Path(os.environ.get("WHO_ARTIFACTS_DIR", Path(__file__).parent / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def small_capture_chain(tmp_path, monkeypatch):
    """``dataset_builder.captures.CaptureMaker`` with one room and short procedural backgrounds (fast to simulate), for
    the commands that build their own maker."""
    import functools

    import dataset_builder.captures
    from dataset_builder.backgrounds import BackgroundConfig
    from dataset_builder.variants import AugmentConfig

    small = functools.partial(
        dataset_builder.captures.CaptureMaker,
        augment=AugmentConfig(rooms_per_split={"train": 1, "validation": 1, "test": 1}, positions_per_room=1),
        backgrounds=BackgroundConfig(cache_dir=str(tmp_path / "bg"), procedural_seconds=5.0,
                                     procedural_per_split={"train": 1, "validation": 1, "test": 1}))
    monkeypatch.setattr(dataset_builder.captures, "CaptureMaker", small)
    return small

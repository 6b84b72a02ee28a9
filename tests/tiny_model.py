"""A tiny AST model folder for tests, laid out exactly like the trainer's output.

``build_tiny_model(dir)`` writes config + safetensors + preprocessor_config.json + pokedex.json +
calibration.json with random weights (instant). ``trained_tiny_model()`` fits one on three
:func:`tests.synthetic.fake_cry` classes (one per species in ``SPECIES``) so tests can check that the right
species comes out of any format, rate or channel layout; it is cached on disk between runs.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from common.species import Species
from frontend.audio import SAMPLE_RATE
from recognizer.model_files import Calibration, save_calibration, save_pokedex
from tests.synthetic import fake_cry

SPRITE_URL = "https://raw.githubusercontent.com/PokeAPI/sprites/master/sprites/pokemon/versions/generation-v/black-white/animated/{}.gif"
LANGUAGES = ["en", "fr", "ja", "de", "es"]
SPECIES = {
    "Bulbasaur": Species(
        1, "bulbasaur", {"en": "Bulbasaur", "fr": "Bulbizarre", "ja": "フシギダネ", "de": "Bisasam", "es": "Bulbasaur"},
        ["grass", "poison"], 1, SPRITE_URL.format(1),
    ),
    "Charmander": Species(
        4, "charmander", {"en": "Charmander", "fr": "Salamèche", "ja": "ヒトカゲ", "de": "Glumanda", "es": "Charmander"},
        ["fire"], 1, SPRITE_URL.format(4),
    ),
    "Squirtle": Species(
        7, "squirtle", {"en": "Squirtle", "fr": "Carapuce", "ja": "ゼニガメ", "de": "Schiggy", "es": "Squirtle"},
        ["water"], 1, SPRITE_URL.format(7),
    ),
}
LABELS = list(SPECIES)
CLASS_INDEX = {name: i * 4 + 2 for i, name in enumerate(LABELS)}
"""The :func:`fake_cry` class each label is trained on (spread out so the calls sound different)."""


LEARNING_RATE = 5e-3


def species_cry(label: str, seconds: float = 1.0, sample_rate: int = SAMPLE_RATE, seed: int = 0) -> np.ndarray:
    """The synthetic call a trained tiny model names ``label``."""
    return fake_cry(CLASS_INDEX[label], seconds, sample_rate, seed)


@functools.cache
def trained_tiny_model(steps: int = 300, seed: int = 2) -> Path:
    """A tiny model fitted on the synthetic calls (about 20 s of CPU), cached on disk between runs.

    Seed 2: trained through the front end's windows, the seed-1 model (300 steps) names the Vorbis-coded
    22 kHz Squirtle call Bulbasaur; seeds 2 and 3 name every call in tests/test_recognizer.py right.

    The cache key hashes the code that shapes the model (this file, the synthetic audio, the audio
    front end) and the library versions, so a change there rebuilds it.
    """
    import torch
    import transformers

    here = Path(__file__).resolve()
    sources = [here, here.parent / "synthetic.py", *sorted((here.parents[1] / "frontend").glob("*.py"))]
    digest = hashlib.sha1()
    for source in sources:
        digest.update(source.read_bytes())
    digest.update(f"{steps}-{seed}-{torch.__version__}-{transformers.__version__}".encode())
    cache_root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "who_tf_screamin"
    folder = cache_root / f"tiny-model-{digest.hexdigest()[:16]}"
    if not (folder / "calibration.json").exists():
        cache_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="tiny-model-", dir=cache_root))
        build_tiny_model(staging, train_steps=steps, seed=seed)
        try:
            os.replace(staging, folder)
        except OSError:  # another process won the race: use its copy
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def tiny_model_with_row_maps(folder: Path, rng: np.random.Generator, spread: float) -> Path:
    """A copy of :func:`trained_tiny_model` at ``folder`` with both enrolment maps (``recognizer.row_map``): the
    identity plus ``spread`` × noise from ``rng``, so enrolment has maps to apply without fitting them."""
    from recognizer.loading import load_model
    from recognizer.row_map import CAPTURES_ROW_MAP_FILE, ROW_MAP_FILE, RowMap, save_row_map

    shutil.copytree(trained_tiny_model(), folder)
    width = load_model(str(folder)).model.config.hidden_size
    for name in (ROW_MAP_FILE, CAPTURES_ROW_MAP_FILE):
        save_row_map(folder, RowMap(np.eye(width + 1) + spread * rng.standard_normal((width + 1, width + 1)), 0.1, 12,
                                    0.9), name)
    return folder


def build_tiny_model(
    path: str | Path,
    *,
    max_length: int = 300,
    num_mel_bins: int = 32,
    train_steps: int = 0,
    temperature: float = 1.0,
    threshold: float = 0.5,
    seed: int = 0,
) -> Path:
    """Write a tiny ``ASTForAudioClassification`` folder with the project's extra files; returns its path."""
    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    path = Path(path)
    torch.manual_seed(seed)
    config = ASTConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        num_mel_bins=num_mel_bins, max_length=max_length, frequency_stride=8, time_stride=16,
        num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)},
    )
    model = ASTForAudioClassification(config)
    extractor = ASTFeatureExtractor(num_mel_bins=num_mel_bins, max_length=max_length, mean=-6.0, std=4.0)
    if train_steps:
        _fit(model, extractor, train_steps, seed)
    model.eval()
    model.save_pretrained(path)
    extractor.save_pretrained(path)
    save_pokedex(path, SPECIES, LANGUAGES)
    save_calibration(path, Calibration(temperature=temperature, threshold=threshold))
    return path


def _fit(model, extractor, steps: int, seed: int) -> None:
    """A few AdamW steps on synthetic calls, alone or placed at random in a noisy window, prepared by the trainer's
    own path (:func:`frontend.windows.training_example`, the recogniser's windowing)."""
    import torch

    from frontend.fbank import window_samples
    from frontend.windows import training_example

    rng = np.random.default_rng(seed)
    window = window_samples(extractor.max_length)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(  # linear warmup, then linear decay to 0 (a stable end point)
        optimizer, lambda step: min((step + 1) / warmup, (steps - step) / (steps - warmup + 1))
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops: extra threads only contend on a shared CPU
    model.train()
    try:
        for step in range(steps):
            clips, targets = [], []
            for j in range(12):
                target = int(rng.integers(len(LABELS)))
                cry = species_cry(LABELS[target], float(rng.uniform(0.6, 2.0)), seed=step * 100 + j)
                if j % 2:  # inside a longer recording
                    clip = np.zeros(window, np.float32)
                    start = int(rng.integers(0, window - len(cry)))
                    clip[start : start + len(cry)] = cry
                else:
                    clip = cry
                clips.append(training_example(_degrade(clip, rng), window))
                targets.append(target)
            inputs = extractor(clips, sampling_rate=SAMPLE_RATE, return_tensors="pt")
            loss = model(**inputs, labels=torch.tensor(targets)).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
    finally:
        torch.set_num_threads(threads)


def _degrade(clip: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Noise at 10-40 dB SNR, then a random low-pass (2-8 kHz) as low sample rates and codecs do."""
    noise = rng.standard_normal(len(clip)).astype(np.float32)
    clip = clip + noise * np.sqrt(np.mean(clip**2) / 10 ** (rng.uniform(10, 40) / 10))
    spectrum = np.fft.rfft(clip)
    spectrum[np.fft.rfftfreq(len(clip), 1.0 / SAMPLE_RATE) > rng.uniform(2000, 8000)] = 0
    return np.fft.irfft(spectrum, len(clip)).astype(np.float32)

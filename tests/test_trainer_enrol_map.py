"""``python -m trainer.enrol_map``: prototypes of a model's trained species from their cries, paired with rows."""

from __future__ import annotations

import numpy as np
import pytest

from tests.synthetic import write_audio
from tests.tiny_model import LABELS, SPECIES, species_cry, trained_tiny_model
from trainer.enrol_map import main, species_pairs


@pytest.fixture()
def cries_dir(tmp_path):
    """PokeAPI's cries layout with each tiny-model species' own call (latest) and another take (legacy)."""
    root = tmp_path / "cries"
    for label in LABELS:
        pid = SPECIES[label].pokedex_id
        write_audio(root / "cries" / "pokemon" / "latest" / f"{pid}.ogg", species_cry(label, 1.0, seed=pid))
        write_audio(root / "cries" / "pokemon" / "legacy" / f"{pid}.ogg", species_cry(label, 0.8, seed=pid + 50))
    return root


def test_each_trained_species_pairs_its_cries_prototype_with_its_own_row(cries_dir):
    from recognizer.loading import load_model

    bundle = load_model(str(trained_tiny_model()))
    prototypes, rows, biases, with_captures = species_pairs(bundle, str(cries_dir), ("latest", "legacy"))
    weights = bundle.model.classifier.dense.weight.detach().numpy()
    order = sorted(LABELS, key=lambda name: SPECIES[name].pokedex_id)
    assert prototypes.shape == (len(LABELS), bundle.model.config.hidden_size)
    assert np.allclose(np.linalg.norm(prototypes, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(rows, weights[[bundle.labels.index(name) for name in order]])
    # a trained species' prototype scores highest on its own row: the pairs are matched, not shuffled
    assert np.array_equal(np.argmax(prototypes @ rows.T + biases, axis=1), np.arange(len(LABELS)))


def test_the_command_refuses_too_few_species_and_missing_cries_with_a_clear_message(cries_dir, tmp_path, capsys):
    model = str(trained_tiny_model())
    assert main(["--model", model, "--cries-dir", str(cries_dir)]) == 2
    assert "3 species: expected at least 10" in capsys.readouterr().err
    empty = tmp_path / "empty" / "cries" / "pokemon" / "latest"
    empty.mkdir(parents=True)
    assert main(["--model", model, "--cries-dir", str(tmp_path / "empty")]) == 2
    assert "no cry of the model's 3 species" in capsys.readouterr().err
    assert main(["--model", model, "--cries-dir", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_with_captures_per_cry_the_prototypes_include_simulated_captures(cries_dir, small_capture_chain, capsys):
    """``--captures-per-cry``: a second set of prototypes, each from the cries and their captures (the builder's
    chain), still matched to their own rows; 0 leaves it out; out of range is refused."""
    from recognizer.loading import load_model

    bundle = load_model(str(trained_tiny_model()))
    prototypes, rows, biases, with_captures = species_pairs(bundle, str(cries_dir), ("latest", "legacy"), 2)
    assert with_captures.shape == prototypes.shape
    assert np.allclose(np.linalg.norm(with_captures, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(prototypes * with_captures, axis=1)
    assert np.all(cosines < 0.9999) and np.all(cosines > 0.0)  # moved by the captures, still the same species
    again = species_pairs(bundle, str(cries_dir), ("latest", "legacy"), 2)[3]
    assert np.array_equal(again, with_captures)  # the same seed, the same captures
    assert main(["--model", str(trained_tiny_model()), "--cries-dir", str(cries_dir), "--captures-per-cry", "101"]) == 2
    assert "--captures-per-cry 101: expected 0-100" in capsys.readouterr().err

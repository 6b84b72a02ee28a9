"""The enrolment row map: a ridge fit from prototypes to trained rows, stored beside the weights, used by enrol."""

from __future__ import annotations

import numpy as np
import pytest

from recognizer.row_map import ROW_MAP_FILE, RowMap, fit_row_map, load_row_map, save_row_map


def _pairs(species: int, width: int, seed: int = 0, noise: float = 0.0):
    """Unit prototypes and rows made from them by a known affine map (with an intercept), plus noise."""
    rng = np.random.default_rng(seed)
    prototypes = rng.standard_normal((species, width))
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    truth = rng.standard_normal((width + 1, width + 1))
    out = np.hstack([prototypes, np.ones((species, 1))]) @ truth + noise * rng.standard_normal((species, width + 1))
    return prototypes, out[:, :-1], out[:, -1], truth


def test_the_fit_recovers_a_known_affine_map_and_predicts_new_rows():
    prototypes, rows, biases, truth = _pairs(300, 12)
    row_map = fit_row_map(prototypes, rows, biases)
    assert row_map.species == 300 and row_map.held_out_cosine > 0.999
    new, new_rows, new_biases, _ = _pairs(5, 12, seed=1)
    new_out = np.hstack([new, np.ones((5, 1))]) @ truth  # the same map on prototypes it never saw
    for unit, want in zip(new, new_out, strict=True):
        row, bias = row_map.row(unit)
        assert np.allclose(row, want[:-1], atol=0.05) and bias == pytest.approx(want[-1], abs=0.05)


def test_noisy_pairs_choose_a_stronger_penalty_than_clean_ones():
    clean = fit_row_map(*_pairs(40, 30)[:3])
    noisy = fit_row_map(*_pairs(40, 30, noise=3.0)[:3])
    assert noisy.strength > clean.strength
    assert noisy.held_out_cosine < clean.held_out_cosine


def test_bad_pairs_and_prototypes_are_refused():
    prototypes, rows, biases, _ = _pairs(30, 8)
    with pytest.raises(ValueError, match="expected one each"):
        fit_row_map(prototypes, rows[:-1], biases)
    with pytest.raises(ValueError, match="at least 10 trained species"):
        fit_row_map(prototypes[:5], rows[:5], biases[:5])
    with pytest.raises(ValueError, match=r"expected \(8,\)"):
        fit_row_map(prototypes, rows, biases).row(np.ones(9))


def test_the_map_round_trips_through_the_model_folder_and_a_broken_file_is_named(tmp_path):
    assert load_row_map(tmp_path) is None
    row_map = fit_row_map(*_pairs(30, 8)[:3])
    path = save_row_map(tmp_path, row_map)
    assert path == tmp_path / ROW_MAP_FILE and not list(tmp_path.glob(".*tmp"))
    loaded = load_row_map(tmp_path)
    assert isinstance(loaded, RowMap) and loaded.species == 30 and loaded.strength == row_map.strength
    assert loaded.held_out_cosine == pytest.approx(row_map.held_out_cosine)
    assert np.allclose(loaded.matrix, row_map.matrix, atol=1e-5)
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match=ROW_MAP_FILE):
        load_row_map(tmp_path)

"""trainer.fitted_rows: new head rows fitted by softmax regression against fixed trained rows, and its cache."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.fitted_rows import EmbeddingCache, SpeciesEmbeddings, fit_rows


def clusters(rng, centres: np.ndarray, per: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([c + spread * rng.standard_normal((per, centres.shape[1])) for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(len(centres)), per)


def test_fitted_rows_name_new_classes_and_leave_the_trained_ones_theirs():
    rng = np.random.default_rng(0)
    centres = 3.0 * rng.standard_normal((6, 16))
    fixed_w, fixed_b = 2.0 * centres[:3], -np.square(centres[:3]).sum(1)  # a nearest-centre head for classes 0-2
    x, y = clusters(rng, centres, 60, 1.0)
    rows = fit_rows(x, y, fixed_w, fixed_b, new=3, l2=1e-4)
    assert rows.weights.shape == (3, 16) and rows.biases.shape == (3,)
    test_x, test_y = clusters(np.random.default_rng(1), centres, 100, 1.0)
    logits = test_x @ np.vstack([fixed_w, rows.weights]).T + np.concatenate([fixed_b, rows.biases])
    predicted = logits.argmax(1)
    assert np.mean(predicted[test_y >= 3] == test_y[test_y >= 3]) > 0.95  # the new classes are named
    assert np.mean(predicted[test_y < 3] == test_y[test_y < 3]) > 0.95  # and do not take the trained ones'
    # without the trained classes' examples in the fit, nothing keeps the new rows off them
    only_new = y >= 3
    greedy = fit_rows(x[only_new], y[only_new], fixed_w, fixed_b, new=3, l2=1e-4)
    logits = test_x @ np.vstack([fixed_w, greedy.weights]).T + np.concatenate([fixed_b, greedy.biases])
    assert np.mean(logits.argmax(1)[test_y < 3] == test_y[test_y < 3]) < 0.9


def test_a_stronger_penalty_gives_shorter_rows():
    rng = np.random.default_rng(2)
    centres = 3.0 * rng.standard_normal((4, 8))
    x, y = clusters(rng, centres, 40, 0.5)
    weak = fit_rows(x, y, centres[:2], np.zeros(2), new=2, l2=1e-5)
    strong = fit_rows(x, y, centres[:2], np.zeros(2), new=2, l2=1e-1)
    assert np.linalg.norm(strong.weights) < 0.5 * np.linalg.norm(weak.weights)


def test_bad_inputs_are_refused_with_what_was_expected():
    x = np.zeros((4, 8), np.float32)
    with pytest.raises(ValueError, match=r"expected \(examples, 6\)"):
        fit_rows(x, np.zeros(4, int), np.zeros((2, 6)), np.zeros(2), new=1)
    with pytest.raises(ValueError, match="row index below 3"):
        fit_rows(x, np.array([0, 1, 2, 3]), np.zeros((2, 8)), np.zeros(2), new=1)
    with pytest.raises(ValueError, match="at least one"):
        fit_rows(x, np.zeros(4, int), np.zeros((2, 8)), np.zeros(2), new=0)


def test_the_cache_keeps_what_was_put_and_first_windows_are_the_located_ones(tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    found = SpeciesEmbeddings(np.arange(12, dtype=np.float32).reshape(4, 3), np.array([0, 0, 1, 1]),
                              np.array([-1, 0, -1, -1]), np.array([0, 0, 0, 1]))
    assert cache.get(7) is None
    cache.put(7, found)
    back = cache.get(7)
    assert np.array_equal(back.embeddings, found.embeddings) and np.array_equal(back.window, found.window)
    assert np.array_equal(back.first_windows(), found.embeddings[:3])
    assert np.array_equal(back.first_windows((-1, 0)), found.embeddings[[0, 2]])  # the clean references alone
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["7.npz"]  # no temporary file left behind


def test_weighting_the_trained_examples_keeps_more_of_them_theirs():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [1.0, 0.0]])  # a trained class and a new one that overlap
    x, y = clusters(rng, centres, 400, 0.8)
    fixed_w, fixed_b = np.zeros((1, 2)), np.zeros(1)

    def kept(weight):
        rows = fit_rows(x, y, fixed_w, fixed_b, new=1, l2=1e-4, fixed_weight=weight)
        logits = x @ np.vstack([fixed_w, rows.weights]).T + np.concatenate([fixed_b, rows.biases])
        return np.mean(logits.argmax(1)[y == 0] == 0)

    assert kept(3.0) > kept(1.0) + 0.1

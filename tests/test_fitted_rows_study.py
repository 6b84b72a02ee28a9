"""benchmarks/fitted_rows_study.py: new rows in the trained rows' span replayed exactly from saved window logits."""

import numpy as np

from benchmarks.fitted_rows_study import Head, span_basis, with_new_rows


def test_rows_in_the_trained_span_replay_as_if_the_model_had_run():
    from trainer.evaluation.window_logits import ScoredRecording, WindowScores
    from trainer.fitted_rows import FittedRows

    rng = np.random.default_rng(0)
    trained = Head(["A", "B", "C"], rng.standard_normal((3, 8)), rng.standard_normal(3), {}, {})
    x = rng.standard_normal((4, 8))  # the head's inputs of four windows
    old = np.hstack([x @ trained.weights.T + trained.biases, rng.standard_normal((4, 2))])  # + rows to replace
    scored = [ScoredRecording("A", {}, WindowScores(old.astype(np.float32), np.ones(4, bool)))]
    solver = np.linalg.pinv(trained.weights.T)
    basis = span_basis(trained.weights)
    assert basis.shape == (3, 8)
    inside = FittedRows(rng.standard_normal((2, 3)) @ basis, rng.standard_normal(2), 0.0)
    replayed = with_new_rows(scored, trained, inside, solver)[0].scores.logits
    assert np.allclose(replayed, np.hstack([x @ trained.weights.T + trained.biases,
                                            x @ inside.weights.T + inside.biases]), atol=1e-4)
    # a row outside the span reads a part of the input the logits do not keep: the replay would be wrong
    outside = FittedRows(rng.standard_normal((2, 8)), inside.biases, 0.0)
    replayed = with_new_rows(scored, trained, outside, solver)[0].scores.logits[:, 3:]
    assert not np.allclose(replayed, x @ outside.weights.T + outside.biases, atol=1e-2)

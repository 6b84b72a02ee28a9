"""Top-k accuracy: the fraction of examples whose true class is among the k highest scores."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Fraction of examples whose reference class is among the k highest-scoring classes."
_KWARGS = """
Args:
    predictions (list of list of float): one score (logit or probability) per class for each example.
    references (list of int): true class indices.
    k (int): how many guesses count (default 5; capped at the number of classes).
Returns:
    top_k_accuracy (float): in [0, 1]; ties are broken by class index, like numpy's stable argsort.
"""


class TopKAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Sequence(datasets.Value("float32")), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, k=5):
        scores, references = np.asarray(predictions, dtype=np.float64), np.asarray(references)
        if scores.ndim != 2 or scores.shape[0] == 0:
            raise ValueError(f"top_k_accuracy: expected a (n_examples, n_classes) score matrix, got shape {scores.shape}")
        if k < 1:
            raise ValueError(f"top_k_accuracy: k must be >= 1, got {k}")
        k = min(int(k), scores.shape[1])
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return {"top_k_accuracy": float(np.mean((top == references[:, None]).any(axis=1)))}

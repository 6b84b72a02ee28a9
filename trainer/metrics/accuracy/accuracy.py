"""Top-1 accuracy: the fraction of predictions equal to the reference label."""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Fraction of class predictions equal to the reference class."
_KWARGS = """
Args:
    predictions (list of int): predicted class indices.
    references (list of int): true class indices.
Returns:
    accuracy (float): in [0, 1].
"""


class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references):
        predictions, references = np.asarray(predictions), np.asarray(references)
        if predictions.size == 0:
            raise ValueError("accuracy: no predictions; expected at least one")
        return {"accuracy": float(np.mean(predictions == references))}
